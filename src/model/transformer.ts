/**
 * The decoder-only forward shared by all families: embeddings (+ learned positions / embedding norm),
 * L blocks of pre-norm attention + MLP (Gemma2: sandwich norms; MOSS: parallel; ChatGLM-6B: α·normed-input
 * residual), final norm, lm_head (+ bias, final softcap). RoPE is rotate_half, or GPT-J interleaved on the first
 * rotary_dim dims (MOSS, ChatGLM2); ChatGLM derives its positions and masks itself (FamilyImpl.attn).
 * A pure function of (model, inputs, options incl. KV cache). All intermediates live inside one tf.tidy;
 * the new cache tensors are returned through it and the old ones disposed after.
 */
import { tf, tidy, type Tensor } from '../kernels/tf';
import { applyRope, attention, attentionOnPool, frozenGather, layerNorm, linear, pooledKvCache, rmsNorm, ropeHostTables } from '../kernels/ops';
import type { PooledKV } from '../kernels/attention/kv-pool';
import { checkpointed } from '../kernels/checkpoint';
import { asTensor } from '../kernels/qtensor';
import { embedTokens } from '../kernels/embedding';
import { applyRopeInterleaved, interleavedRopeHostTables } from '../kernels/rope-interleaved';
import { layerWindow, type Family, type ModelConfig } from './config';
import { additiveMask, alibiBias, alibiSlopes, arangePositions } from './mask';
import { disposeLayerCache } from './kv-cache';
import type { FamilyImpl, LayerCtx } from './families/family';
import { llama } from './families/llama';
import { qwen2 } from './families/qwen2';
import { gemma } from './families/gemma';
import { gemma2 } from './families/gemma2';
import { phi3 } from './families/phi3';
import { gpt2 } from './families/gpt2';
import { bloom } from './families/bloom';
import { moss } from './families/moss';
import { chatglm } from './families/chatglm';
import { chatglm2 } from './families/chatglm2';
import { fusedBlock, fusedPlan, fusedShape, type FusedInputs } from './fused-block';
import type { ForwardInputs, ForwardOptions, ForwardOutput, LayerCache, LinearFn, Model } from './types';

const IMPLS: Record<Family, FamilyImpl> = { llama, qwen2, gemma, gemma2, phi3, gpt2, bloom, moss, chatglm, chatglm2 };

export const defaultLinear: LinearFn = (_name, x, w, b) => linear(x, w, b);
defaultLinear.term = () => ({ kind: 'none' });

/** Whether this config's blocks have the fused training block's shape (model/fused-block.ts). */
export function fusedConfig(cfg: ModelConfig): boolean {
  return fusedShape(cfg, IMPLS[cfg.family]);
}

function norm(cfg: ModelConfig, weights: Model['weights'], name: string, x: Tensor): Tensor {
  const w = asTensor(weights.get(`${name}.w`)!, `${name}.w`);
  if (cfg.normKind === 'rms') return rmsNorm(x, w, cfg.normEps, cfg.normPlusOne);
  return layerNorm(x, w, asTensor(weights.get(`${name}.b`)!, `${name}.b`), cfg.normEps);
}

/** The trainable tensors one block reads: its own weights when they are variables (full fine-tuning), plus extras. */
function layerParams(weights: Model['weights'], i: number, extra: Tensor[]): Tensor[] {
  const prefix = `layers.${i}.`;
  const own = [...weights].filter(([n, t]) => n.startsWith(prefix) && t instanceof tf.Variable && t.trainable).map(([, t]) => t as Tensor);
  return [...own, ...extra];
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

function checkInputs(cfg: ModelConfig, inp: ForwardInputs, past: number): void {
  const { B, T } = inp;
  if (inp.ids.length !== B * T) throw new ShapeError(`input_ids has ${inp.ids.length} values, expected B*T = ${B}*${T}`);
  if (inp.attentionMask && inp.attentionMask.length !== B * (past + T)) {
    throw new ShapeError(`attention_mask has ${inp.attentionMask.length} values, expected B*(past+T) = ${B}*${past + T}`);
  }
  if (inp.positionIds && inp.positionIds.length !== B * T) throw new ShapeError(`position_ids has ${inp.positionIds.length} values, expected ${B * T}`);
  for (const id of inp.ids) if (id < 0 || id >= cfg.vocabSize) throw new ShapeError(`token id ${id} is outside the vocabulary [0, ${cfg.vocabSize})`);
  if (cfg.posKind === 'learned') {
    const pos = inp.positionIds ?? arangePositions(B, T, past);
    for (const p of pos) if (p >= cfg.maxPositions) throw new ShapeError(`position ${p} exceeds n_positions ${cfg.maxPositions}`);
  }
}

/** (B, n) and (B, T) row-major -> (B, n + T). */
function appendColumns(a: Int32Array, b: Int32Array, B: number, n: number, T: number): Int32Array {
  const out = new Int32Array(B * (n + T));
  for (let r = 0; r < B; r++) {
    out.set(a.subarray(r * n, (r + 1) * n), r * (n + T));
    out.set(b.subarray(r * T, (r + 1) * T), r * (n + T) + n);
  }
  return out;
}

/** Runs the model. With `opts.cache`, it reads and then extends the cache in place. */
export function forward(model: Model, inp: ForwardInputs, opts: ForwardOptions = {}): ForwardOutput {
  const { config: cfg, weights } = model;
  const impl = IMPLS[cfg.family];
  const cache = opts.cache;
  const past = cache?.length ?? 0;
  checkInputs(cfg, inp, past);
  const { B, T } = inp;
  const total = past + T;
  const mask = inp.attentionMask ?? new Int32Array(B * total).fill(1);
  const positions = inp.positionIds ?? arangePositions(B, T, past);
  const linearFn = opts.linear ?? defaultLinear;
  const oldLayers = cache ? cache.layers.slice() : [];
  // The ids of every slot so far, for families whose positions depend on them (ChatGLM-6B); none for embeddings.
  const allIds = inp.inputsEmbeds ? null : !cache || past === 0 ? inp.ids : cache.ids?.length === B * past ? appendColumns(cache.ids, inp.ids, B, past, T) : null;

  // Pooled caches made by this call: freed if it fails, so a failed prefill leaves nothing in the pool.
  const created: PooledKV[] = [];
  const run = () => tidy(() => {
    let x = inp.inputsEmbeds ?? embedTokens(weights.get('embed')!, inp.ids, [B, T]); // (B, T, C)
    if (cfg.embedScale !== 1) x = tf.mul(x, cfg.embedScale);
    if (cfg.posKind === 'learned') x = tf.add(x, frozenGather(asTensor(weights.get('pos_embed')!, 'pos_embed'), tf.tensor2d(positions, [B, T], 'int32')));
    if (cfg.family === 'bloom') x = norm(cfg, weights, 'embed_norm', x);
    const hidden: Tensor[] = opts.outputHidden ? [x] : [];

    const fam = impl.attn?.({ cfg, invFreq: model.invFreq, B, T, past, ids: allIds, mask, positions }) ?? null;
    const interleaved = cfg.ropeStyle === 'interleaved';
    const ropeHost = fam?.rope ? fam.rope.tables : cfg.posKind === 'rope' ? (interleaved ? interleavedRopeHostTables : ropeHostTables)(model.invFreq!, positions, B, T) : null;
    const rotate = fam?.rope ? fam.rope.rotate : interleaved ? applyRopeInterleaved : applyRope;
    const rope = ropeHost ? ropeHost.tensors() : null;
    const slopes = cfg.posKind === 'alibi' ? alibiSlopes(cfg.heads) : null;
    const newLayers: LayerCache[] = [];
    const recompute = !!opts.recompute && !cache && !opts.outputHidden;

    /** The (B, 1, T, S) additive causal/padding/window mask over key slots [keyStart, keyStart + S). */
    const causalBias = (keyStart: number, S: number, window: number | null): Tensor => tf.tensor4d(additiveMask({ B, T, past, keyStart, S, mask, window }), [B, 1, T, S]);

    /** One decoder block: x (B, T, C) -> (B, T, C). `ropeT` is passed in so a recomputation can rebuild it. */
    const block = (i: number, x: Tensor, ropeT: { cos: Tensor; sin: Tensor } | null): Tensor => {
      const p = `layers.${i}`;
      const ctx: LayerCtx = {
        cfg, layer: i, B, T,
        lin: (short, h) => linearFn(`${p}.${short}`, h, weights.get(`${p}.${short}.w`)!, (weights.get(`${p}.${short}.b`) as Tensor | undefined) ?? null),
      };
      const h = norm(cfg, weights, `${p}.attn_norm`, x);
      let { q, k, v } = impl.qkv(ctx, h);
      if (ropeT) {
        q = rotate(q, ropeT.cos, ropeT.sin);
        k = rotate(k, ropeT.cos, ropeT.sin);
      }
      const prev = oldLayers[i];
      const keyStart = prev ? prev.start : 0;
      const held = past - keyStart; // slots this layer's cache holds
      const window = layerWindow(cfg, i);
      const plain = !fam && !slopes && window === null;
      let att: Tensor | null = null;
      let entry: LayerCache | null = null;
      // Generation on the CPU path's threads: the cache lives in the pool's memory and grows in place (kv-pool.ts).
      // A layer without one yet (or with tensors: a prefix-tuning prime) moves to a new block.
      let pooled = prev && 'pooled' in prev ? prev.pooled : null;
      if (cache && plain && !pooled) {
        const fresh = pooledKvCache(B, k.shape[1]!, k.shape[3]!, total);
        if (fresh) created.push(fresh);
        try {
          if (fresh && prev && 'k' in prev) fresh.write(prev.k, prev.v, 0);
          pooled = fresh;
        } catch {
          pooled = null;
        }
      }
      if (pooled && plain) {
        const S = held + T;
        try {
          pooled.write(k, v, held);
          att = attentionOnPool(q, pooled, S, { scale: cfg.attnScale, softcap: cfg.attnSoftcap ?? undefined, bias: () => causalBias(keyStart, S, null) });
        } catch {
          att = null; // no room to grow: the slots held so far go on as tensors
        }
        if (att) entry = { pooled, start: keyStart };
      }
      if (!att) {
        const before = pooled ? pooled.toTensors(held) : prev && 'k' in prev ? prev : null;
        if (before) {
          k = tf.concat([before.k, k], 2);
          v = tf.concat([before.v, v], 2);
        }
        const S = k.shape[2]!;
        let bias: Tensor | (() => Tensor), keep: Tensor | undefined;
        const causalMask = () => causalBias(keyStart, S, window);
        // The plain causal mask goes as positions too: the WebGPU kernel reads those, the composed ops build the bias.
        const causal = !fam && !slopes ? { mask, past, keyStart, window } : undefined;
        if (fam) ({ bias, keep } = fam.bias(i, keyStart, S));
        else bias = slopes ? causalMask() : causalMask;
        if (slopes) bias = tf.add(bias as Tensor, tf.tensor4d(alibiBias(mask, B, total, keyStart, S, slopes), [B, cfg.heads, 1, S]));
        att = attention(q, k, v, { scale: cfg.attnScale, bias, causal, keep, softcap: cfg.attnSoftcap ?? undefined }); // (B, H, T, D)
        if (cache) {
          // A sliding-window layer only ever needs the last (window - 1) slots for the next query.
          const kept = window === null ? S : Math.min(S, window - 1);
          const drop = S - kept;
          entry = {
            k: drop ? tf.slice(k, [0, 0, drop, 0], [-1, -1, kept, -1]) : k,
            v: drop ? tf.slice(v, [0, 0, drop, 0], [-1, -1, kept, -1]) : v,
            start: keyStart + drop,
          };
        }
      }
      let a = ctx.lin('o', tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, T, cfg.heads * cfg.headDim]));
      if (cfg.family === 'gemma2') a = norm(cfg, weights, `${p}.post_attn_norm`, a);
      if (cfg.parallelBlock) {
        x = tf.add(tf.add(impl.mlp(ctx, h), a), x); // MOSS / GPT-J: mlp + attn + residual, one shared norm
      } else {
        // ChatGLM-6B (GLM): the residual is the normed input times alpha, a·α + Attn(a), then m·α + MLP(m).
        const alpha = cfg.glm?.version === 1 ? cfg.glm.alpha : 0;
        x = tf.add(alpha ? tf.mul(h, alpha) : x, a);
        const hm = norm(cfg, weights, `${p}.mlp_norm`, x);
        let m = impl.mlp(ctx, hm);
        if (cfg.family === 'gemma2') m = norm(cfg, weights, `${p}.post_mlp_norm`, m);
        x = tf.add(alpha ? tf.mul(hm, alpha) : x, m);
      }
      if (entry) newLayers.push(entry);
      return x;
    };

    // Training on the CPU path's threads: Llama-shaped blocks run as one custom gradient each (fused-block.ts).
    const fusedOn = opts.fusedBlocks !== false && !cache && !opts.outputHidden && !!ropeHost && tf.engine().isTapeOn();
    const masks = new Map<number | null, Tensor>();
    const fusedInputs = (i: number, fresh: boolean): FusedInputs => {
      const window = layerWindow(cfg, i);
      const build = () => causalBias(0, T, window); // no cache here: past 0, keys = queries
      if (fresh) return { bias: build(), ...ropeHost!.tensors() }; // a recomputation: the forward's tensors are gone
      if (!masks.has(window)) masks.set(window, build());
      return { bias: masks.get(window)!, ...rope! };
    };
    for (let i = 0; i < cfg.layers; i++) {
      const plan = fusedOn ? fusedPlan(model, impl, linearFn, i) : null;
      if (plan) {
        x = recompute ? checkpointed((xi) => fusedBlock(model, plan, xi, fusedInputs(i, true)), x, plan.params) : fusedBlock(model, plan, x, fusedInputs(i, false));
      } else if (recompute) {
        const params = layerParams(weights, i, opts.layerParams?.(i) ?? []);
        // The rope tables are rebuilt from host arrays inside the recomputation: the forward's tensors are gone by then.
        x = checkpointed((xi) => block(i, xi, ropeHost ? ropeHost.tensors() : null), x, params);
      } else x = block(i, x, rope);
      if (opts.outputHidden && i < cfg.layers - 1) hidden.push(x);
    }
    x = norm(cfg, weights, 'final_norm', x); // (B, T, C)
    if (opts.outputHidden) hidden.push(x);
    if (opts.skipHead) return { finalHidden: x as Tensor | undefined, logits: undefined as Tensor | undefined, hidden, newLayers };
    const xs = opts.lastOnly ? tf.slice(x, [0, T - 1, 0], [-1, 1, -1]) : x;
    let logits = linear(xs, weights.get('lm_head.w')!, (weights.get('lm_head.b') as Tensor | undefined) ?? null); // (B, T|1, V); MOSS's head has a bias
    if (cfg.finalSoftcap) logits = tf.mul(tf.tanh(tf.div(logits, cfg.finalSoftcap)), cfg.finalSoftcap);
    return { logits: logits as Tensor | undefined, finalHidden: undefined as Tensor | undefined, hidden, newLayers };
  });
  let result: ReturnType<typeof run>;
  try {
    result = run();
  } catch (e) {
    for (const p of created) p.dispose();
    throw e;
  }

  if (cache) {
    // Tensors returned by tidy survive; layer tensors that are slices/concats are new, so nothing is shared. A pooled
    // block goes on in place: only those no new layer holds are freed.
    const kept = new Set(result.newLayers.map((l) => ('pooled' in l ? l.pooled : null)));
    for (const l of [...oldLayers, ...created.map((pooled) => ({ pooled, start: 0 }))]) if (l && !('pooled' in l && kept.has(l.pooled))) disposeLayerCache(l);
    cache.layers = result.newLayers.map((l) => ({ ...l }));
    cache.length = total;
    cache.ids = allIds ?? undefined;
  } else {
    for (const l of result.newLayers) disposeLayerCache(l);
  }
  const out: ForwardOutput = {};
  if (result.logits) out.logits = result.logits;
  if (opts.outputHidden) out.hidden = result.hidden;
  else for (const t of result.hidden) t.dispose();
  if (result.finalHidden) out.finalHidden = result.finalHidden;
  return out;
}
