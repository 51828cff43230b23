/**
 * Worker-side handlers of the model API (protocol/model-api.ts): report the backend, load one checkpoint at a time
 * (the previous one is disposed), and run the forward pass to full logits. Every handler waits for the backend.
 * Not handled: KV-cached generation, adapters, several models at once (later issues).
 */
import * as Comlink from 'comlink';
import { loadModel, type ModelSource } from '../model/load';
import { forward } from '../model/transformer';
import type { Model } from '../model/types';
import type { BackendChoice, ModelApi, ModelSummary } from '../protocol/model-api';
import type { Handlers } from '../protocol/serve';
import { hubSource, memorySource, urlSource } from './model-sources';

function summarize(model: Model, label: string): ModelSummary {
  const c = model.config;
  let parameters = 0;
  for (const [name, t] of model.weights) if (!(name === 'lm_head.w' && c.tieEmbeddings)) parameters += t.size;
  return { label, family: c.family, layers: c.layers, hidden: c.hidden, heads: c.heads, kvHeads: c.kvHeads, vocabSize: c.vocabSize, parameters };
}

function noModel(): Error {
  return Object.assign(new Error('No model is loaded yet. Load a checkpoint first.'), { details: 'logits was called before loadModel' });
}

/** `backendReady` is the worker's initBackend() promise; a failure there fails every call with its reason. */
export function createModelHandlers(backendReady: Promise<BackendChoice>): Handlers<ModelApi> {
  let model: Model | null = null;

  return {
    backend: () => backendReady,

    async loadModel(params, { signal, progress }) {
      await backendReady;
      const src: ModelSource =
        'files' in params
          ? memorySource(params.files, params.label)
          : 'hub' in params
            ? hubSource(params.hub, { signal, onProgress: progress })
            : urlSource(params.baseUrl, { label: params.label, signal, onProgress: progress });
      const next = await loadModel(src);
      if (signal.aborted) {
        next.dispose();
        signal.throwIfAborted();
      }
      model?.dispose();
      model = next;
      return summarize(next, src.label);
    },

    async logits(params) {
      const backend = await backendReady;
      if (!model) throw noModel();
      const { ids, B, T, attentionMask, positionIds } = params;
      const t0 = performance.now();
      const out = forward(model, { ids, B, T, attentionMask, positionIds });
      const logits = out.logits!; // (B, T, V)
      try {
        const read = (await logits.data()) as Float32Array;
        // The cpu backend hands out its own storage; transferring that would detach a live tensor. Copy there.
        const data = backend.name === 'cpu' ? read.slice() : read;
        const shape = logits.shape as [number, number, number];
        return Comlink.transfer({ logits: data, shape, backend: backend.name, ms: performance.now() - t0 }, [data.buffer]);
      } finally {
        logits.dispose();
      }
    },

    async unloadModel() {
      const had = model !== null;
      model?.dispose();
      model = null;
      return had;
    },
  };
}
