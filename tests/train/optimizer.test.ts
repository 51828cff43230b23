/**
 * AdamW and clip_grad_norm_ against (1) values derived by hand from torch's update rule and (2) the output of
 * real torch.optim.AdamW / torch.nn.utils.clip_grad_norm_ (tests/reference/adamw_reference.py -> .json, torch 1.13).
 * Tolerance: f32 keeps ~7 digits; after 3 steps of values ~0.3 we allow 2e-7 absolute (a few ulps) against torch,
 * and 1e-6 against the double-precision hand arithmetic. The moments are checked to a few ulps (see below why not 0).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type Tensor } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { AdamW, clipGradNorm, defaultDecays } from '../../src/train/optimizer';
import { readJson } from '../helpers/fixtures';

interface Ref {
  p0: number[]; grads: number[][]; lr: number; betas: [number, number]; eps: number; weight_decay: number;
  params: number[][]; exp_avg: number[][]; exp_avg_sq: number[][];
  clip: { grads: number[][]; max_norm: number; total_norm: number; clipped: number[][] };
}
const REF = readJson<Ref>(path.join(import.meta.dirname, '../reference/adamw_reference.json'));

/*
 * Hand arithmetic, p0 = [0.5, -0.3], lr 0.1, wd 0.1, betas (0.9, 0.999), eps 1e-8:
 * step 1, g = [0.1, -0.2]: p *= 1 - 0.1*0.1 = 0.99 -> [0.495, -0.297]; m = 0.1 g = [0.01, -0.02];
 *   v = 0.001 g^2 = [1e-5, 4e-5]; bc1 = 0.1, bc2 = 0.001, step_size = 0.1/0.1 = 1;
 *   denom = sqrt(v)/sqrt(bc2) + eps = [0.10000001, 0.20000001]; p -= m/denom = [0.09999999, -0.099999995]
 *   -> p1 = [0.39500001, -0.197000005]   (a first Adam step moves each coordinate by ~lr * sign(g))
 * step 2, g = [0.3, 0.05]: decayed [0.39105001, -0.195030005]; m = 0.9 m + 0.1 g = [0.039, -0.013];
 *   v = 0.999 v + 0.001 g^2 = [9.999e-5, 4.246e-5]; bc1 = 0.19, bc2 = 0.001999, step_size = 0.526315789;
 *   denom = [0.223651547, 0.145741632]; update = [0.0917781078, -0.0469468139] -> p2 = [0.299271902, -0.148083191]
 * step 3, g = [-0.4, 0.2]: decayed [0.296279183, -0.146602359]; m = [-0.0049, 0.0083];
 *   v = [0.00025989001, 8.241754e-05]; bc1 = 0.271, bc2 = 0.002997001, step_size = 0.36900369;
 *   denom = [0.294476989, 0.165831262]; update = [-0.00614009973, 0.0184689581] -> p3 = [0.302419283, -0.165071317]
 */
const HAND = [[0.39500001, -0.197000005], [0.299271902, -0.148083191], [0.302419283, -0.165071317]];
const HAND_M = [[0.01, -0.02], [0.039, -0.013], [-0.0049, 0.0083]];

function closeTo(got: ArrayLike<number>, want: number[], atol: number, what: string) {
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(atol);
}

describe('AdamW (torch numerics)', () => {
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
  });

  it('3 steps on a 2-element parameter: hand-derived and torch.optim.AdamW', async () => {
    const p = tf.variable(tf.tensor1d(REF.p0));
    const params = new Map([['w', p]]);
    const opt = new AdamW(params, { betas: REF.betas, eps: REF.eps, weightDecay: REF.weight_decay });
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const g = tf.tensor1d(REF.grads[k]);
      opt.step(new Map([['w', g]]), REF.lr);
      g.dispose();
      const got = await p.data();
      closeTo(got, HAND[k], 1e-6, `hand step ${k + 1}`);
      closeTo(got, REF.params[k], 2e-7, `torch step ${k + 1}`);
      const st = await opt.exportState();
      closeTo(st.m.w, HAND_M[k], 1e-8, `m step ${k + 1}`);
      // torch fuses m*b1 + (1-b1)*g into one fmadd; tfjs rounds the product first. At step 3, m = 0.0351 - 0.04
      // cancels, so the gap is a few ulps of m (~2e-9) but under one ulp of the 0.04-sized terms (3.7e-9).
      closeTo(st.m.w, REF.exp_avg[k], 4e-9, `torch exp_avg step ${k + 1}`);
      closeTo(st.v.w, REF.exp_avg_sq[k], 3e-7 * Math.max(...REF.exp_avg_sq[k]), `torch exp_avg_sq step ${k + 1}`); // ~2 ulps
      expect(st.steps.w).toBe(k + 1);
    }
    expect(tf.memory().numTensors).toBe(before + 2); // m and v, replaced in place every step
    opt.dispose();
    p.dispose();
  });

  it('state round-trips through plain arrays, and a parameter without a gradient is not stepped', async () => {
    const hp = { betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.5 };
    const a = tf.variable(tf.tensor1d([1, 2])), b = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW(new Map([['a', a], ['b.b', b]]), hp);
    const g1 = tf.tensor1d([0.5, -0.5]), g2 = tf.tensor1d([-0.25, 1]);
    opt.step(new Map([['a', g1]]), 0.01);
    const st = await opt.exportState();
    expect(Object.keys(st.steps)).toEqual(['a']); // torch skips `grad is None`: no state, no decay for b
    expect(Array.from(await b.data())).toEqual([3]);
    // A second optimizer over a copy of `a`, loaded from the exported state, takes the identical second step.
    const a2 = tf.variable(tf.tensor1d(Array.from(await a.data())));
    const opt2 = new AdamW(new Map([['a', a2]]), hp);
    opt2.importState(st);
    opt.step(new Map([['a', g2]]), 0.01);
    opt2.step(new Map([['a', g2]]), 0.01);
    expect(Array.from(await a2.data())).toEqual(Array.from(await a.data()));
    expect((await opt2.exportState()).steps).toEqual({ a: 2 });
    expect(() => opt2.importState({ steps: { zz: 1 }, m: {}, v: {} })).toThrow(/'zz', which is not a trainable parameter/);
    for (const o of [opt, opt2]) o.dispose();
    for (const t of [a, a2, b, g1, g2]) t.dispose();
    expect(defaultDecays('layers.0.q.w')).toBe(true);
    expect(defaultDecays('layers.0.q.b')).toBe(false);
    expect(defaultDecays('layers.0.attn_norm.w')).toBe(false);
  });

  it('clip_grad_norm_: total 2-norm over all gradients, coef = max/(norm + 1e-6), matches torch', async () => {
    const grads = new Map<string, Tensor>(REF.clip.grads.map((g, i) => [`g${i}`, tf.tensor1d(g)]));
    const norm = await clipGradNorm(grads, REF.clip.max_norm);
    expect(norm).toBe(13); // sqrt(3^2 + 4^2 + 12^2), returned before clipping
    expect(norm).toBe(REF.clip.total_norm);
    closeTo(await grads.get('g0')!.data(), REF.clip.clipped[0], 1e-7, 'g0'); // 3/13.000001, 4/13.000001
    closeTo(await grads.get('g1')!.data(), REF.clip.clipped[1], 1e-7, 'g1');
    // Under the limit nothing changes; a non-finite norm is reported, not applied.
    const small = new Map<string, Tensor>([['x', tf.tensor1d([0.3, 0.4])]]);
    expect(await clipGradNorm(small, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(await small.get('x')!.data())).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const bad = new Map<string, Tensor>([['x', tf.tensor1d([NaN, 1])]]);
    expect(await clipGradNorm(bad, 1)).toBeNaN();
    for (const m of [grads, small, bad]) for (const t of m.values()) t.dispose();
  });
});
