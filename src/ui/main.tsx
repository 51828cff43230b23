/**
 * App entry: starts the model worker, installs the test hook (see test-hook.ts), and mounts the Solid root.
 * The UI never touches tensors; it talks to workers through protocol/ only.
 */
import { render } from 'solid-js/web';
import { App } from './App';
import { startModelWorker } from './model-client';
import { installTestHook } from './test-hook';
import './styles.css';

const client = startModelWorker();
installTestHook(client);
render(() => <App client={client} />, document.getElementById('root')!);
