/**
 * Training in the session worker, composed as src/node/commands/train.ts composes it: the prepared examples split
 * into train/eval, BatchSources, a PEFT adapter on the loaded model, the memory check, and train() with an
 * IndexedDB checkpoint store, every TrainEvent streamed as progress. A fresh run clears old step checkpoints and
 * records the experiment beside them ('run-experiment'), so a reloaded page can resume. Not here: full fine-tuning.
 */
import { adaloraStepHook, adaLoraConfig, attachAdapter, encoderParamCount, loraConfig, ia3Config, promptTuningConfig, prefixTuningConfig, pTuningConfig, type PeftConfig, type PromptEncoderConfig } from '../peft';
import { splitTrainEval } from '../data/split';
import { BatchSource } from '../data/batches';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import { planMemory, tensorBudget, type MethodSpec } from '../train/estimate';
import { train, type TrainEvent, type TrainSummary } from '../train/trainer';
import { methodSpec, objective } from '../train/objective';
import { totalSteps } from '../train/schedule';
import { latestCheckpoint, type CheckpointStore } from '../train/checkpoint';
import { ADALORA_DEFAULTS } from '../experiment/experiment';
import type { EstimateResult, PeftSpec, ResumableRun, TrainParams } from '../protocol/train-api';
import type { HandlerContext } from '../protocol/serve';
import { asDeviceError, needModel, userError, type Session } from './session';
import { adapterReplaced, betweenEvents, releaseWaiters } from './train-live';

export const RUN_RECORD = 'run-experiment';
const STEP = /^step-(\d+)$/;

export function peftConfigOf(p: PeftSpec): PeftConfig {
  switch (p.method) {
    case 'LORA':
      return loraConfig({ r: p.r, lora_alpha: p.alpha, lora_dropout: p.dropout, target_modules: p.targetModules, use_rslora: p.useRslora, use_dora: p.useDora });
    case 'ADALORA': {
      const a = p.adalora ?? ADALORA_DEFAULTS;
      return adaLoraConfig({
        init_r: a.initR, target_r: a.targetR, tinit: a.tinit, tfinal: a.tfinal, deltaT: a.deltaT, lora_alpha: p.alpha, lora_dropout: p.dropout, target_modules: p.targetModules,
      });
    }
    case 'IA3':
      return ia3Config({ target_modules: p.targetModules, feedforward_modules: p.targetModules.filter((t) => /down|fc2|dense_4h/.test(t)) });
    case 'PROMPT_TUNING':
      return promptTuningConfig({ num_virtual_tokens: p.virtualTokens });
    case 'PREFIX_TUNING':
      return prefixTuningConfig({ num_virtual_tokens: p.virtualTokens });
    case 'P_TUNING':
    case 'P_TUNING_LSTM':
      return pTuningConfig({ num_virtual_tokens: p.virtualTokens, encoder_reparameterization_type: p.method === 'P_TUNING' ? 'MLP' : 'LSTM' });
  }
}

function configOf(overrides: Record<string, unknown>): TrainConfig {
  try {
    return resolveTrainConfig(overrides as Partial<TrainConfig>);
  } catch (e) {
    throw userError(`The training settings are not valid: ${(e as Error).message.replace(/^invalid train config: /, '')}`, String(e));
  }
}

/** Tensor bytes a run may use: 8 GB on WebGPU; the 4 GB wasm32 heap less its fragmentation; 3 GB on cpu. */
function deviceBudget(backendName: string): number {
  return tensorBudget(backendName, (backendName === 'webgpu' ? 8 : backendName === 'wasm' ? 4 : 3) * 2 ** 30);
}

function sources(session: Session, config: TrainConfig) {
  if (!session.data) throw userError('No data is prepared yet. Open the Data screen or press Start training again.');
  const ex = session.data.examples;
  const split = config.evalSplit > 0 && ex.length > 1
    ? splitTrainEval(ex, config.evalSplit < 1 ? { evalFraction: config.evalSplit, seed: config.seed } : { evalSize: Math.min(config.evalSplit, Math.floor(ex.length / 10)), seed: config.seed })
    : { train: ex, eval: [] };
  const padId = session.tok?.padTokenId ?? session.tok?.eosTokenId ?? 0;
  const data = new BatchSource(split.train, { batchSize: config.batchSize, padId, seed: config.seed, cutoffLen: config.cutoffLen });
  const evalData = split.eval.length ? new BatchSource(split.eval, { batchSize: config.batchSize, padId, shuffle: false, cutoffLen: config.cutoffLen }) : undefined;
  return { data, evalData };
}

function specOfPeft(peft: PeftSpec, hidden: number): MethodSpec {
  if (peft.method === 'LORA') return { kind: 'lora', r: peft.r, targets: peft.targetModules, plain: !peft.useDora };
  if (peft.method === 'ADALORA') return { kind: 'lora', r: (peft.adalora ?? ADALORA_DEFAULTS).initR, targets: peft.targetModules };
  if (peft.method === 'IA3') return { kind: 'ia3', targets: peft.targetModules };
  if (peft.method === 'P_TUNING' || peft.method === 'P_TUNING_LSTM') {
    const c = { ...(peftConfigOf(peft) as PromptEncoderConfig), token_dim: hidden, encoder_hidden_size: hidden }; // PEFT's defaults
    return { kind: 'prompt', virtualTokens: peft.virtualTokens, encoderParams: encoderParamCount(c) };
  }
  return { kind: peft.method === 'PREFIX_TUNING' ? 'prefix' : 'prompt', virtualTokens: peft.virtualTokens }; // p-tuning: virtual tokens as prompt tuning
}

/** The loaded model's quantization (the experiment's `quantize`, applied at load), for the memory model. */
function quantOf(session: Session): { bits: 4 | 8; groupSize: number } | null {
  return session.quant ? { bits: session.quant.bits, groupSize: session.quant.groupSize } : null;
}

export async function estimate(session: Session, p: { peft: PeftSpec; config: Record<string, unknown> }): Promise<EstimateResult> {
  const backend = await session.backend;
  const { model } = needModel(session);
  const config = configOf(p.config);
  const spec = specOfPeft(p.peft, model.config.hidden);
  let plan;
  try {
    plan = planMemory(model.config, spec, { batch: config.batchSize, gradAccum: config.gradAccum, seqLen: config.cutoffLen, recompute: 'auto', quant: quantOf(session), transposeFree: backend.name === 'wasm' && (backend.cpuThreads ?? 1) > 1 }, backend.maxBufferBytes, deviceBudget(backend.name));
  } catch (e) {
    throw userError(`The adapter settings do not fit this model: ${(e as Error).message}`, String(e));
  }
  const est = plan.estimate;
  const fit = { ok: plan.ok, message: plan.message };
  const n = session.data?.examples.length ?? 0;
  const trainN = Math.max(1, n - (config.evalSplit > 0 ? (config.evalSplit < 1 ? Math.ceil(n * config.evalSplit) : Math.min(config.evalSplit, Math.floor(n / 10))) : 0));
  const steps = totalSteps(config, Math.ceil(trainN / config.batchSize));
  const meanLen = n ? session.data!.examples.reduce((a, e) => a + e.ids.length, 0) / n : config.cutoffLen;
  return { totalBytes: est.totalBytes, fits: fit.ok, message: fit.ok && plan.batch === config.batchSize && !plan.recompute ? null : fit.message, trainableParams: est.trainableParams, totalSteps: steps, tokensPerStep: Math.round(meanLen * config.batchSize * config.gradAccum) };
}

async function clearSteps(store: CheckpointStore): Promise<void> {
  for (const n of await store.list()) if (STEP.test(n) || n === RUN_RECORD) await store.delete(n);
}

export async function runTraining(session: Session, store: CheckpointStore, p: TrainParams, ctx: HandlerContext<TrainEvent>): Promise<TrainSummary> {
  const backend = await session.backend;
  const { model } = needModel(session);
  if (session.stop) throw userError('A training run is already going. Stop it first.');
  const asked = configOf(p.config);
  // The memory model may pick recomputation and a smaller micro-batch (same effective batch) so the run fits.
  const planned = planMemory(model.config, specOfPeft(p.peft, model.config.hidden), { batch: asked.batchSize, gradAccum: asked.gradAccum, seqLen: asked.cutoffLen, recompute: 'auto', quant: quantOf(session), transposeFree: backend.name === 'wasm' && (backend.cpuThreads ?? 1) > 1 }, backend.maxBufferBytes, deviceBudget(backend.name));
  const config = planned.ok ? { ...asked, batchSize: planned.batch, gradAccum: planned.gradAccum } : asked;
  const { data, evalData } = sources(session, config);
  if (!p.resume) {
    await clearSteps(store);
    await store.save(RUN_RECORD, { meta: { experimentJson: p.experimentJson }, tensors: {} });
  } else if (!(await latestCheckpoint(store))) throw userError('There is no checkpoint to resume from. Start a new run instead.');
  session.adapter?.dispose();
  session.adapter = null;
  let adapter;
  try {
    adapter = attachAdapter(model, peftConfigOf(p.peft), { seed: config.seed });
  } catch (e) {
    throw userError(`The adapter settings are not valid for this model: ${(e as Error).message}`, String(e));
  }
  session.adapter = adapter;
  adapterReplaced(session, null);
  const spec = methodSpec(adapter);
  let stepHook;
  try {
    stepHook = adaloraStepHook(adapter, totalSteps(config, data.batchesPerEpoch)) ?? undefined; // AdaLoRA prunes ranks after each step
  } catch (e) {
    throw userError(`The AdaLoRA schedule does not fit this run: ${(e as Error).message}`, String(e));
  }
  const stop = new AbortController();
  session.stop = stop;
  ctx.signal.addEventListener('abort', () => stop.abort(), { once: true });
  let kept: string | null = null;
  session.live.pause.reset();
  try {
    let summary: TrainSummary | null = null;
    for await (const e of train({
      config, params: adapter.params, loss: objective(model, adapter, { recompute: planned.ok && planned.recompute }), data, evalData, store, signal: stop.signal, clock: session.live.pause.clock,
      resumeFrom: p.resume ? 'latest' : undefined, stepHook,
      memoryCheck: { estimate: planned.estimate, maxBufferBytes: backend.maxBufferBytes, deviceBytes: deviceBudget(backend.name), method: spec },
    })) {
      if (e.kind === 'checkpoint') kept = e.name;
      if (e.kind === 'done') summary = e.summary;
      ctx.progress(e);
      await betweenEvents(session, e, stop.signal); // snapshots for the chat, and the pause gate
    }
    return summary!;
  } catch (e) {
    const dev = asDeviceError(e, kept);
    if (dev !== e) throw dev;
    const msg = (e as Error).message ?? String(e);
    if (/cannot resume|no checkpoint|differ/.test(msg)) throw userError(`The run could not resume: ${msg}. Start a new run instead.`, String(e));
    throw e;
  } finally {
    stepHook?.dispose();
    session.stop = null;
    session.live.pause.reset();
    releaseWaiters(session);
  }
}

export async function resumable(store: CheckpointStore): Promise<ResumableRun | null> {
  let last: string | null;
  try {
    last = await latestCheckpoint(store);
  } catch {
    return null; // no IndexedDB here: nothing to resume
  }
  if (!last) return null;
  const rec = await store.load(RUN_RECORD);
  const json = rec && typeof rec.meta.experimentJson === 'string' ? rec.meta.experimentJson : null;
  return { checkpoint: last, step: Number(STEP.exec(last)?.[1] ?? 0), experimentJson: json };
}

export async function listCheckpoints(store: CheckpointStore): Promise<{ name: string; step: number }[]> {
  const names = await store.list().catch(() => [] as string[]);
  return names.filter((n) => STEP.test(n)).map((name) => ({ name, step: Number(STEP.exec(name)![1]) }));
}
