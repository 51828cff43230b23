/**
 * App entry: starts the session worker, builds the controller (stored data sources are read through the lazily
 * started ingest worker), installs the test hook (test-hook.ts; the model worker behind it starts only when a test
 * uses it), and mounts the Solid root.
 */
import { render } from 'solid-js/web';
import { App } from './App';
import { startModelWorker, type ModelClient } from './model-client';
import { sessionWorker, startTrainWorker } from './train-worker-handle';
import { createController } from './stores/controller';
import { installTestHook, testFaultsRequested } from './test-hook';
import { ingestClient } from './data/ingest-worker';
import { resolveStoredTexts } from './stores/stored-sources';
import './styles.css';

const faults = testFaultsRequested();
const handle = startTrainWorker(() => sessionWorker(faults));
const ctl = createController({ handle, origin: location.origin, resolveStored: (data, texts) => resolveStoredTexts(data, texts, ingestClient) });
let modelClient: ModelClient | null = null;
installTestHook(() => (modelClient ??= startModelWorker()), ctl);
render(() => <App ctl={ctl} />, document.getElementById('root')!);
