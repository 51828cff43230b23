/**
 * "This will take about N minutes on this device": training FLOPs per step (about 4 × frozen parameters per token
 * for a LoRA forward + input-gradient backward, Kaplan et al.'s 6N less the weight gradients) over a throughput
 * guessed per backend, plus a fixed per-step overhead for the many small kernels of a tiny model. Rough on purpose
 * (the chart's ETA, measured, replaces it once steps run); returns null until model and estimate are known.
 */
import type { BackendStatus } from '../backend-status';
import type { EstimateResult } from '../../protocol/train-api';
import type { ModelStatus } from './controller';

/** Effective FLOP/s of tfjs training, and seconds of overhead per step, by backend (ENVIRONMENT.md's measurements). */
const SPEED: Record<string, { flops: number; overhead: number }> = {
  'webgpu-hw': { flops: 2e11, overhead: 0.15 },
  'webgpu-sw': { flops: 5e8, overhead: 1.5 },
  wasm: { flops: 1.5e10, overhead: 0.2 },
  cpu: { flops: 1e9, overhead: 1 },
};

export function estimateMinutes(b: BackendStatus, m: ModelStatus, e: EstimateResult | null, steps: number): number | null {
  if (b.state !== 'ready' || m.state !== 'ready' || !e) return null;
  const key = b.choice.name === 'webgpu' ? (b.choice.slow ? 'webgpu-sw' : 'webgpu-hw') : b.choice.name;
  const s = SPEED[key] ?? SPEED.cpu;
  const perStep = (4 * m.info.parameters * e.tokensPerStep) / s.flops + s.overhead;
  return (perStep * (e.totalSteps || steps)) / 60;
}
