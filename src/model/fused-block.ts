/**
 * The Llama-shaped decoder block (RMSNorm, q/k/v with optional bias, rotate_half RoPE, GQA attention, o, RMSNorm,
 * SwiGLU MLP; LoRA on any of the seven projections) as ONE custom gradient with a hand-written backward, for
 * training on the CPU path's threads. tfjs's tape keeps every op's inputs and outputs, their clones and every
 * intermediate gradient: measured 228 MB per SmolLM2-135M layer after the forward at b4 × 256 and 478 MB at the
 * backward's peak, so 30 layers only fit by recomputing each block (a third more matmul work). This block keeps what
 * its backward reads: x, q and k after RoPE, v, the attention output and its row stats, the residual after
 * attention, gate and up (≈ 5.8 K floats a token at that shape, 24 MB a layer). Cheap values (the norms' outputs,
 * SwiGLU, the LoRA branches' inputs) are recomputed in the backward.
 *
 * Backward, from dy = d(out):
 *   MLP: ds = dy·W_downᵀ (+ LoRA), s = silu(g)·u: du = ds·silu(g), dg = ds·u·σ(g)(1 + g(1 − σ(g))) (one heap kernel);
 *        dhm = dg·W_gateᵀ + du·W_upᵀ (+ LoRA); dx1 = dy + RMSNorm'(x1, dhm).
 *   Attention: dao = dx1·W_oᵀ (+ LoRA); [dq, dk, dv] from attention.c's backward; RoPE' is the rotation by −θ;
 *        dh = dq·W_qᵀ + dk·W_kᵀ + dv·W_vᵀ (+ LoRA); dx = dx1 + RMSNorm'(x, dh).
 *   LoRA y += s·xd·A·B with xd = dropout(x): dB = (xd·A)ᵀ·(s·g), dA = xdᵀ·(s·g·Bᵀ), dx += dropout(s·g·Bᵀ·Aᵀ)
 *        with the same seed, so the same mask (kernels/dropout: a pure function of the seed and the index).
 * Checked against the generic taped block (losses and every LoRA gradient) in tests/model/fused-block.test.ts.
 */
import { tf, tidy, type Tensor } from '../kernels/tf';
import { linear, frozenLinearGrad, isTrainable, seededDropout, seededDropoutPair, swiglu, swigluWasmBackward } from '../kernels/ops';
import { gemmPool } from '../kernels/gemm/register';
import { attentionCpuBackward, attentionCpuForward } from '../kernels/attention/attention-cpu';
import { rmsNormWasm, rmsNormWasmBackward } from '../kernels/rmsnorm/rmsnorm-wasm';
import { ropeKernel } from '../kernels/rope/rope';
import type { WeightTensor } from '../kernels/qtensor';
import type { ModelConfig } from './config';
import { gatedMlp, separateQkv, splitHeads, type FamilyImpl } from './families/family';
import type { LinearFn, LinearTerm, Model } from './types';

const PROJ = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
type LowRank = Extract<LinearTerm, { kind: 'lowRank' }>;

export interface FusedPlan {
  layer: number;
  /** Per projection (PROJ order): its LoRA term, or null. */
  terms: (LowRank | null)[];
  /** The trainable tensors, A then B of each term in order: the custom gradient's inputs after x. */
  params: Tensor[];
}

/** What the caller shares across layers: the score bias (B, 1, T, S) and the RoPE tables (B, 1, T, R). */
export interface FusedInputs {
  bias: Tensor;
  cos: Tensor;
  sin: Tensor;
}

/** Whether the config has the block's shape (see the header); the family supplies the plain q/k/v and SwiGLU MLP. */
export function fusedShape(cfg: ModelConfig, impl: FamilyImpl): boolean {
  return impl.qkv === separateQkv && impl.mlp === gatedMlp && !impl.attn && cfg.normKind === 'rms' && !cfg.normPlusOne
    && cfg.act === 'silu' && cfg.mlpKind === 'gated' && cfg.posKind === 'rope' && cfg.ropeStyle !== 'interleaved'
    && !cfg.parallelBlock && !cfg.glm && cfg.attnSoftcap == null && cfg.family !== 'gemma2';
}

/**
 * The plan for layer `layer`, or null where the generic block must run: not the CPU path's threads (wasm with the
 * GEMM pool), a block of another shape, trainable base weights (full fine-tuning), or a projection hook the block
 * does not know (DoRA, IA3, AdaLoRA, a custom LinearFn).
 */
export function fusedPlan(model: Model, impl: FamilyImpl, linearFn: LinearFn, layer: number): FusedPlan | null {
  if (tf.getBackend() !== 'wasm' || !gemmPool() || !fusedShape(model.config, impl) || !linearFn.term) return null;
  const p = `layers.${layer}`;
  for (const [name, t] of model.weights) if (name.startsWith(`${p}.`) && t instanceof tf.Tensor && isTrainable(t)) return null;
  for (const n of ['attn_norm', 'mlp_norm']) if (!(model.weights.get(`${p}.${n}.w`) instanceof tf.Tensor)) return null;
  const terms: (LowRank | null)[] = [];
  const params: Tensor[] = [];
  for (const short of PROJ) {
    if (!model.weights.get(`${p}.${short}.w`)) return null;
    const t = linearFn.term(`${p}.${short}`);
    if (t.kind === 'opaque') return null;
    terms.push(t.kind === 'lowRank' ? t : null);
    if (t.kind === 'lowRank') params.push(t.a, t.b);
  }
  return { layer, terms, params };
}

/** (B, n, T, D) -> (N, n·D): splitHeads' inverse, flattened to rows. */
function rows(x: Tensor, B: number, T: number): Tensor {
  const [, n, , D] = x.shape as number[];
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, n * D]);
}

/** Runs layer `plan.layer` on x (B, T, C) as one custom gradient (see the header). */
export function fusedBlock(model: Model, plan: FusedPlan, x: Tensor, shared: FusedInputs): Tensor {
  const cfg = model.config;
  const [B, T, C] = x.shape as number[];
  const N = B * T, H = cfg.heads, Hkv = cfg.kvHeads, D = cfg.headDim;
  const p = `layers.${plan.layer}`;
  const w = (short: string): WeightTensor => model.weights.get(`${p}.${short}.w`)!;
  const bias = (short: string): Tensor | null => (model.weights.get(`${p}.${short}.b`) as Tensor | undefined) ?? null;
  const normW = (n: string): Tensor => model.weights.get(`${p}.${n}.w`) as Tensor;
  const attnOpts = (b: Tensor) => ({ scale: cfg.attnScale, bias: b });
  const eps = cfg.normEps;

  /** Projection j of x2 (N, in): x @ W + b (+ s · dropout(x) @ A @ B). */
  const project = (j: number, x2: Tensor): Tensor => {
    const y = linear(x2, w(PROJ[j]), bias(PROJ[j]));
    const t = plan.terms[j];
    return t ? tf.add(y, tf.mul(tf.matMul(tf.matMul(seededDropout(x2, t.dropout, t.seed), t.a), t.b), t.scaling)) : y;
  };

  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as (ts: Tensor[]) => void;
    const xi = args[0] as Tensor;
    const { bias: mask, cos, sin } = shared;
    // Inside a customGrad forward no op is taped; the tidy frees what is not kept now, not when forward() ends.
    const { out, keep } = tidy(() => {
      const x2 = tf.reshape(xi, [N, C]);
      const h = rmsNormWasm(x2, normW('attn_norm'), eps)!;
      const q = ropeKernel(splitHeads(project(0, h), B, T, H, D), cos, sin, 'half', false)!;
      const k = ropeKernel(splitHeads(project(1, h), B, T, Hkv, D), cos, sin, 'half', false)!;
      const v = splitHeads(project(2, h), B, T, Hkv, D);
      const att = attentionCpuForward(q, k, v, attnOpts(mask))!;
      const x1 = tf.add(x2, project(3, rows(att.out, B, T)));
      const hm = rmsNormWasm(x1, normW('mlp_norm'), eps)!;
      const g = project(4, hm), u = project(5, hm);
      return { out: tf.add(x1, project(6, swiglu(g, u))), keep: [x2, q, k, v, att.out, att.stats, x1, g, u] };
    });
    save([...keep, mask, cos, sin]);
    return { value: tf.reshape(out, [B, T, C]), gradFunc: (dy: Tensor, saved: Tensor[]) => backward(dy, saved) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);

  const backward = (dy: Tensor, saved: Tensor[]): Tensor[] => tidy(() => {
    const [x2, q, k, v, ao, stats, x1, g, u, mask, cos, sin] = saved;
    const grads = new Map<Tensor, Tensor>();
    /** Gradient of projection j to its input x2 (given lazily: recomputed only when a LoRA term needs it). */
    const back = (j: number, input: () => Tensor, gy: Tensor): Tensor => {
      let dx = frozenLinearGrad(gy, w(PROJ[j]));
      const t = plan.terms[j];
      if (t) {
        const gs = tf.mul(gy, t.scaling);
        const gb = tf.matMul(gs, t.b, false, true); // (N, r)
        // The dropped input and the masked input gradient in one pass of the mask.
        const [xd, dl] = seededDropoutPair(input(), tf.matMul(gb, t.a, false, true), t.dropout, t.seed);
        // Kept past the half's tidy (below); the outer tidy returns them.
        grads.set(t.b, tf.keep(tf.matMul(tf.matMul(xd, t.a), gs, true, false)));
        grads.set(t.a, tf.keep(tf.matMul(xd, gb, true, false)));
        dx = tf.add(dx, dl);
      }
      return dx;
    };
    const d = tf.reshape(dy, [N, C]);
    // Each half in its own tidy, so the MLP's (N, I) temporaries are gone before attention's backward allocates.
    const dx1 = tidy(() => {
      const ds = back(6, () => swiglu(g, u), d);
      const [dg, du] = swigluWasmBackward(g, u, ds) ?? tf.tidy(() => {
        const sg = tf.sigmoid(g);
        const act = tf.mul(g, sg);
        return [tf.mul(tf.mul(ds, u), tf.mul(sg, tf.add(1, tf.mul(g, tf.sub(1, sg))))), tf.mul(ds, act)];
      });
      let hm: Tensor | null = null;
      const hmOf = () => (hm ??= rmsNormWasm(x1, normW('mlp_norm'), eps)!);
      const dhm = tf.add(back(4, hmOf, dg), back(5, hmOf, du));
      return tf.add(d, rmsNormWasmBackward(x1, normW('mlp_norm'), dhm, eps)[0]);
    });
    const dx = tidy(() => {
      const dao = back(3, () => rows(ao, B, T), dx1);
      const [dq, dk, dv] = attentionCpuBackward(q, k, v, ao, stats, splitHeads(dao, B, T, H, D), attnOpts(mask));
      let h: Tensor | null = null;
      const hOf = () => (h ??= rmsNormWasm(x2, normW('attn_norm'), eps)!);
      const dqr = rows(ropeKernel(dq, cos, sin, 'half', true)!, B, T);
      const dkr = rows(ropeKernel(dk, cos, sin, 'half', true)!, B, T);
      const dh = tf.addN([back(0, hOf, dqr), back(1, hOf, dkr), back(2, hOf, rows(dv, B, T))]);
      return tf.add(dx1, rmsNormWasmBackward(x2, normW('attn_norm'), dh, eps)[0]);
    });
    return [tf.reshape(dx, [B, T, C]), ...plan.params.map((t) => grads.get(t) ?? tf.zerosLike(t))];
  });

  return run(x, ...plan.params) as Tensor;
}
