/**
 * The app: header (name, one line on what this is, the backend line), the first-minute card (Hero), then the
 * screens. On start it reads a share link from the hash (validated; all or nothing), loads the embedded data index
 * and the model, and asks the worker whether a run can be resumed. Never touches tensors.
 */
import { createMemo, onMount } from 'solid-js';
import { BackendLine } from './BackendLine';
import { createBackendStatus } from './backend-status';
import type { Controller } from './stores/controller';
import { createChat } from './stores/chat-store';
import { decodeExperiment, experimentParam } from '../experiment/share-link';
import { Hero } from './Hero';
import { Screens } from './Screens';
import { ExperimentScreen } from './ExperimentScreen';
import { DataScreen } from './DataScreen';
import { TrainScreen } from './TrainScreen';
import { ChatScreen } from './ChatScreen';
import { ExportScreen } from './ExportScreen';
import { StorageScreen } from './StorageScreen';
import { EvaluateScreen } from './EvaluateScreen';
import { estimateMinutes } from './stores/time-estimate';
import { createLinkOffer } from './stores/link-offer';
import { LinkOffer } from './data/LinkOffer';
import { ingestFor } from './data/ingest-for';
import { ingestClient } from './data/ingest-worker';

export function App(props: { ctl: Controller }) {
  const ctl = props.ctl;
  const status = createBackendStatus(() => ctl.client().call('backend', {}));
  const chat = createChat(ctl);
  const minutes = createMemo(() => estimateMinutes(status(), ctl.model(), ctl.estimate(), ctl.exp.train.maxSteps));
  // A link naming pulled or filtered data: restored only once this browser holds all of it (link-offer.ts).
  const ingest = ingestFor(ctl);
  const linkOffer = createLinkOffer({
    client: ingestClient, replace: (x) => ctl.replaceExperiment(x), pull: (id) => ingest.pullEntry(id), setError: ctl.setError,
    restored: () => void ctl.ensureModel().then((m) => m && ctl.ensureData()),
  });

  onMount(async () => {
    const encoded = experimentParam(location.hash);
    if (encoded) {
      const d = decodeExperiment(encoded);
      if (d.ok) await linkOffer.open(d.value);
      else ctl.setError({ message: `${d.message} The default experiment is loaded instead.`, details: d.errors.join('\n') });
    }
    await Promise.all([ctl.loadIndex(), ctl.refreshResumable()]);
    if (await ctl.ensureModel()) {
      await ctl.ensureData();
      await ctl.refreshEstimate();
    }
  });

  return (
    <div class="app">
      <header class="app-header">
        <div class="brand">
          <h1>webift</h1>
          <p class="tagline">Instruction fine-tuning of real LLMs, in this browser tab.</p>
        </div>
        <BackendLine status={status} />
      </header>
      <main>
        <LinkOffer offer={linkOffer} ingest={ingest} />
        <Hero ctl={ctl} minutes={minutes} />
        <Screens initial="train" screens={[
          { id: 'experiment', label: 'Experiment', body: () => <ExperimentScreen ctl={ctl} /> },
          { id: 'data', label: 'Data', body: () => <DataScreen ctl={ctl} /> },
          { id: 'train', label: 'Train', body: () => <TrainScreen ctl={ctl} chat={chat} minutes={minutes} /> },
          { id: 'chat', label: 'Chat', body: () => <ChatScreen ctl={ctl} chat={chat} /> },
          { id: 'export', label: 'Export', body: () => <ExportScreen ctl={ctl} /> },
          { id: 'evaluate', label: 'Evaluate', body: (active) => <EvaluateScreen ctl={ctl} active={active} /> },
          { id: 'storage', label: 'Storage', body: (active) => <StorageScreen ctl={ctl} active={active} /> },
        ]} />
      </main>
    </div>
  );
}
