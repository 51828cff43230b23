/**
 * The session worker's handler table (protocol/train-api.ts): model loading (same sources as the model worker; the
 * frozen base quantized at load when the spec asks), data preparation, estimate, train/stop/resume with IndexedDB
 * checkpoints, generation, export/import and storage.
 * Each verb lives in its own file; this one only wires them to one Session and one checkpoint store.
 */
import { loadModel, type ModelSource } from '../model/load';
import { allLinearNames } from '../peft';
import { hasChatTemplate } from '../tokenizer/chat-template';
import { withBuiltinTemplate } from '../tokenizer/glm-templates';
import { loadTokenizer } from '../tokenizer/tokenizer';
import { idbCheckpointStore } from '../train/idb-checkpoint-store';
import type { CheckpointStore } from '../train/checkpoint';
import type { BackendChoice, ModelInfo, TrainApi } from '../protocol/train-api';
import type { Handlers } from '../protocol/serve';
import { hubSource, memorySource, urlSource } from './model-sources';
import { asDeviceError, disposeModel, newSession, userError, type Session } from './session';
import { prepareData } from './train-data';
import { quantInfo, quantizerOf } from './model-quant';
import { estimate, listCheckpoints, resumable, runTraining } from './train-run';
import { runGenerate } from './train-generate';
import { exportAdapter, importAdapter } from './train-export';
import { deleteStorage, storageReport } from './storage';
import { testFaults, type TestFaults } from './test-faults';
import { adapterSnapshot } from './train-live';
import { serveRater } from './train-rater';

/** `session` is injected by tests that look at the loaded model; the worker lets it default. */
export function createTrainHandlers(backendReady: Promise<BackendChoice>, idbStore: CheckpointStore = idbCheckpointStore(), faults: TestFaults = testFaults(false), session: Session = newSession(backendReady)): Handlers<TrainApi> {
  const store = faults.store(idbStore); // as idbStore unless a test armed a fault

  return {
    backend: () => backendReady,

    async loadModel(params, { signal, progress }) {
      await backendReady;
      if (session.stop) throw userError('Training is running. Stop it before loading another model.');
      const src: ModelSource =
        'files' in params ? memorySource(params.files, params.label)
          : 'hub' in params ? hubSource(params.hub, { signal, onProgress: progress })
            : urlSource(params.baseUrl, { label: params.label, signal, onProgress: progress });
      const quantizer = quantizerOf(params.quantize); // a bad group size fails here, before any download
      let next;
      try {
        next = await loadModel(src, { quantizer });
      } catch (e) {
        throw asDeviceError(Object.assign(new Error(`The model at ${src.label} could not be loaded: ${(e as Error).message}`), { details: String((e as Error).stack ?? e) }), null);
      }
      if (signal.aborted) {
        next.dispose();
        signal.throwIfAborted();
      }
      const tokJson = await src.readText('tokenizer.json');
      const tokCfg = await src.readText('tokenizer_config.json');
      disposeModel(session);
      session.data = null;
      session.model = next;
      session.source = src;
      session.quant = quantizer?.spec ?? null;
      session.tok = tokJson ? loadTokenizer(JSON.parse(tokJson), withBuiltinTemplate(tokCfg ? JSON.parse(tokCfg) : null, next.config.family)) : null;
      const c = next.config;
      let parameters = 0;
      for (const [name, t] of next.weights) if (!(name === 'lm_head.w' && c.tieEmbeddings)) parameters += t.size;
      const info: ModelInfo = {
        label: src.label, family: c.family, layers: c.layers, hidden: c.hidden, heads: c.heads, kvHeads: c.kvHeads, vocabSize: c.vocabSize, parameters,
        hasTokenizer: session.tok !== null, promptFormat: session.tok && hasChatTemplate(session.tok) ? 'chat template' : 'alpaca', linearModules: allLinearNames(c),
        quantized: quantInfo(next, session.quant),
      };
      return info;
    },

    prepareData: (p, ctx) => prepareData(session, p, ctx),
    estimate: (p) => estimate(session, p),
    train: (p, ctx) => runTraining(session, store, p, faults.trainContext(ctx)),
    async stopTraining() {
      if (!session.stop) return false;
      session.stop.abort();
      return true;
    },
    async pauseTraining() {
      // Resolves once the run is held between two steps, so the caller has seen every step it will see.
      if (!session.stop || !session.live.pause.pause()) return false;
      await session.live.pause.held();
      return session.live.pause.paused;
    },
    continueTraining: async () => session.live.pause.resume(),
    adapterSnapshot: (p) => adapterSnapshot(session, p.since),
    resumable: () => resumable(store),
    checkpoints: () => listCheckpoints(store),
    generate: (p, ctx) => runGenerate(session, p, ctx),
    exportAdapter: (p) => exportAdapter(session, p.format),
    importAdapter: (p) => importAdapter(session, p),
    storage: () => storageReport(store),
    deleteStorage: (p) => deleteStorage(store, p),
    testFault: async (p) => faults.arm(p.kind),
    serveRater: (p, ctx) => serveRater(session, p, ctx),
  };
}
