/**
 * The eval worker's handler table (protocol/eval-api.ts): one model (loaded as the generate worker loads it), one
 * adapter from PEFT bytes, and the evaluations: benchmark (eval-benchmark.ts), batch prediction whose lines stream
 * back in the progress events (so the page keeps them and a rerun skips their ids), and the pairwise judge
 * (eval-judge.ts), and the ablation runner (eval-ablate.ts). One evaluation at a time: a second call while one runs is refused, not queued.
 * Not handled: several adapters, a device loss restart (the page restarts the worker).
 */
import { parsePromptRows } from '../eval/prompt-rows';
import { predict } from '../eval/predict';
import { loadAdapter, type Adapter } from '../peft';
import type { EvalApi } from '../protocol/eval-api';
import type { BackendChoice } from '../protocol/train-api';
import type { Handlers } from '../protocol/serve';
import { runAblate } from './eval-ablate';
import { runBenchmark } from './eval-benchmark';
import { runJudge } from './eval-judge';
import { loadForChat, type LoadedModel } from './generate-model';
import { asDeviceError, userError } from './session';

export function createEvalHandlers(backendReady: Promise<BackendChoice>): Handlers<EvalApi> {
  let loaded: LoadedModel | null = null;
  let adapter: Adapter | null = null;
  let busy = false;

  /** The model, tokenizer and adapter for one evaluation, held until it ends. */
  async function run<T>(withAdapter: boolean, f: (m: LoadedModel['model'], tok: NonNullable<LoadedModel['tok']>, a: Adapter | null) => Promise<T>): Promise<T> {
    await backendReady;
    if (!loaded) throw userError('No model is loaded for evaluation yet. Pick a model on the Experiment screen first.');
    const { model, tok, source } = loaded;
    if (!tok) throw userError(`${source.label} ships no tokenizer.json, so text cannot be encoded. Pick a model with a tokenizer.`);
    if (withAdapter && !adapter) throw userError('There is no adapter yet: train one (Start training) or import one on the Export screen, or evaluate the base model.');
    if (busy) throw userError('An evaluation is already running here. Stop it first.');
    busy = true;
    try {
      return await f(model, tok, withAdapter ? adapter : null);
    } catch (e) {
      throw asDeviceError(e, null);
    } finally {
      busy = false;
    }
  }

  return {
    backend: () => backendReady,

    async loadModel(spec, { signal, progress }) {
      await backendReady;
      if (busy) throw userError('An evaluation is still running. Stop it before loading another model.');
      const next = await loadForChat(spec, signal, progress);
      adapter?.dispose();
      adapter = null;
      loaded?.model.dispose();
      loaded = next;
      return next.info;
    },

    async setAdapter(p) {
      await backendReady;
      if (!loaded) throw userError('Load a model before its adapter.');
      if (busy) throw userError('An evaluation is running. Stop it before changing the adapter.');
      let next: Adapter;
      try {
        next = await loadAdapter(loaded.model, { config: p.config, weights: p.weights });
      } catch (e) {
        throw userError(`This adapter does not fit the model: ${(e as Error).message}`, String(e));
      }
      adapter?.dispose();
      adapter = next;
      let n = 0;
      for (const v of next.params.values()) n += v.size;
      return { method: next.method, trainableParams: n };
    },

    benchmark: (p, ctx) => run(p.withAdapter, (model, tok, a) => runBenchmark(model, tok, a, p, ctx)),

    predict: (p, ctx) =>
      run(p.withAdapter, async (model, tok, a) => {
        let rows;
        try {
          rows = parsePromptRows(p.data.text, p.data.name);
        } catch (e) {
          throw userError((e as Error).message, String(e));
        }
        if (p.limit && p.limit > 0) rows = rows.slice(0, p.limit);
        const phase = `predict ${p.data.name}`;
        const done = new Set(p.done ?? []);
        let count = rows.filter((r) => done.has(r.id)).length;
        ctx.progress({ phase, done: count, total: rows.length });
        return predict({
          model, tokenizer: tok, adapter: a, rows, done, promptFormat: 'auto', batchSize: 4,
          generation: { maxNewTokens: p.maxNewTokens, doSample: false }, signal: ctx.signal,
          onResults: (lines) => ctx.progress({ phase, done: (count += lines.length), total: rows.length, lines }),
        });
      }),

    judge: (p, ctx) => run(false, (model, tok) => runJudge(model, tok, adapter, p, ctx)),

    ablate: (p, ctx) => run(false, (model, tok) => runAblate(model, tok, loaded!.source.label, p, ctx)),
  };
}
