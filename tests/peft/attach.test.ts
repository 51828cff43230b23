/**
 * Attaching fresh adapters (cpu): PEFT's init (B = 0 so step 0 equals the base model; A within ±1/sqrt(in)),
 * PEFT's key names and shapes, rsLoRA and rank/alpha patterns, dropout only on the LoRA branch and only in training,
 * DoRA (magnitude = column norms of W, the output against a float64 reference, the norm detached from the
 * gradient, merge/unmerge), and no tensor leaks. Uses the llama-gqa and gpt2 fixture checkpoints as base models.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import { forward } from '../../src/model/transformer';
import type { Model } from '../../src/model/types';
import { adapterForward, adapterLinear, trainableParams, type Adapter, type LoraModule } from '../../src/peft/adapter';
import { attachLora } from '../../src/peft/lora';
import { attachIa3 } from '../../src/peft/ia3';
import { attachPromptTuning } from '../../src/peft/prompt';
import { attachPrefixTuning } from '../../src/peft/prefix';
import { mergeAdapter, unmergeAdapter } from '../../src/peft/merge';
import { loadAdapter, saveAdapter } from '../../src/peft/adapter-io';
import { causalLmLoss } from '../../src/train/loss';
import { haveShared, compareClose } from '../helpers/fixtures';
import { adapterFiles, batch, caseModel } from './peft-fixtures';
import { SafetensorsFile, bytesReader } from '../../src/model/safetensors';

async function logitsOf(model: Model, adapter: Adapter | null, c: string, opts: { train?: boolean; seed?: number } = {}): Promise<Float32Array> {
  const { labels: _l, ...inp } = batch(c);
  const out = adapter ? adapterForward(model, adapter, inp, opts) : forward(model, inp);
  const d = (await out.logits!.data()) as Float32Array;
  out.logits!.dispose();
  return d;
}

/** Fills every lora_B with seeded N(0, 0.2) so the adapter does something. */
function randomizeB(adapter: Adapter, seed = 7): void {
  let s = seed;
  for (const [k, v] of adapter.params) if (k.endsWith('lora_B.weight')) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', s++)));
}

describe.skipIf(!haveShared('attach: init, keys, dropout, DoRA (cpu)'))('attach: init, keys, dropout, DoRA (cpu)', () => {
  let llama: Model, gpt2: Model;
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    llama = await caseModel('llama-gqa');
    gpt2 = await caseModel('gpt2');
  });
  afterAll(() => {
    llama?.dispose();
    gpt2?.dispose();
  });

  it('fresh LoRA: PEFT\'s keys and shapes, B = 0 (logits equal the base model), A within ±1/sqrt(in)', async () => {
    for (const [c, model] of [['llama-gqa', llama], ['gpt2', gpt2]] as const) {
      const before = tf.memory().numTensors;
      const fixture = JSON.parse(adapterFiles(c, 'lora').config);
      const adapter = attachLora(model, { r: 4, lora_alpha: 8, target_modules: fixture.target_modules }, { seed: 1 });
      const saved = await saveAdapter(adapter);
      const mine = await SafetensorsFile.open(bytesReader(saved.weights));
      const peft = await SafetensorsFile.open(bytesReader(adapterFiles(c, 'lora').weights));
      expect(mine.names().sort()).toEqual(peft.names().sort());
      for (const n of peft.names()) expect(mine.header.tensors[n].shape, n).toEqual(peft.header.tensors[n].shape);
      expect(JSON.parse(saved.config).fan_in_fan_out).toBe(c === 'gpt2');
      expect(await logitsOf(model, adapter, c)).toEqual(await logitsOf(model, null, c));
      for (const m of adapter.modules.values()) {
        const lm = m as LoraModule;
        expect(lm.scaling).toBe(2);
        expect(Array.from((await lm.b.data()) as Float32Array).every((v) => v === 0)).toBe(true);
        const a = (await lm.a.data()) as Float32Array;
        const bound = 1 / Math.sqrt(lm.inDim);
        const maxAbs = a.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
        expect(maxAbs).toBeLessThanOrEqual(bound);
        expect(maxAbs).toBeGreaterThan(0.9 * bound); // uniform over the whole range, not a narrower law
        expect(Math.abs(a.reduce((x, v) => x + v, 0) / a.length)).toBeLessThan(0.2 * bound);
      }
      adapter.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('the same seed gives the same A; another seed another A', async () => {
    const a1 = attachLora(llama, { target_modules: ['q_proj'] }, { seed: 5 });
    const a2 = attachLora(llama, { target_modules: ['q_proj'] }, { seed: 5 });
    const a3 = attachLora(llama, { target_modules: ['q_proj'] }, { seed: 6 });
    const first = (a: Adapter) => (a.modules.get('layers.0.q') as LoraModule).a.data();
    expect(await first(a1)).toEqual(await first(a2));
    expect(await first(a3)).not.toEqual(await first(a1));
    for (const a of [a1, a2, a3]) a.dispose();
  });

  it('rsLoRA, rank_pattern and alpha_pattern', () => {
    const a = attachLora(llama, { r: 4, lora_alpha: 8, use_rslora: true, target_modules: ['q_proj', 'v_proj'], rank_pattern: { q_proj: 2 }, alpha_pattern: { 'layers.1.self_attn.v_proj': 3 } });
    const m = (n: string) => a.modules.get(n) as LoraModule;
    expect(m('layers.0.q').r).toBe(2);
    expect(m('layers.0.q').scaling).toBeCloseTo(8 / Math.sqrt(2), 12);
    expect(m('layers.0.v').scaling).toBeCloseTo(8 / 2, 12);
    expect(m('layers.1.v').scaling).toBeCloseTo(3 / 2, 12);
    expect(m('layers.0.q').a.shape).toEqual([64, 2]);
    a.dispose();
  });

  it('dropout acts on the LoRA branch only, in training only, seeded', async () => {
    const a = attachLora(llama, { r: 4, lora_dropout: 0.5, target_modules: ['q_proj', 'v_proj', 'o_proj', 'up_proj'] }, { seed: 3 });
    const base = await logitsOf(llama, null, 'llama-gqa');
    expect(await logitsOf(llama, a, 'llama-gqa', { train: true, seed: 1 })).toEqual(base); // B = 0: the branch adds nothing
    randomizeB(a);
    const evalA = await logitsOf(llama, a, 'llama-gqa');
    const evalB = await logitsOf(llama, a, 'llama-gqa', { train: false, seed: 9 });
    expect(evalB).toEqual(evalA);
    const t1 = await logitsOf(llama, a, 'llama-gqa', { train: true, seed: 1 });
    const t1b = await logitsOf(llama, a, 'llama-gqa', { train: true, seed: 1 });
    const t2 = await logitsOf(llama, a, 'llama-gqa', { train: true, seed: 2 });
    expect(t1b).toEqual(t1);
    expect(t2).not.toEqual(t1);
    expect(t1).not.toEqual(evalA);
    // Without a seed, each training forward draws a fresh mask.
    expect(await logitsOf(llama, a, 'llama-gqa', { train: true })).not.toEqual(await logitsOf(llama, a, 'llama-gqa', { train: true }));
    a.dispose();
  });

  describe('DoRA', () => {
    it('magnitude starts at the column norms of W (PEFT: norm of W_hf over dim 1); logits equal the base', async () => {
      for (const [c, model] of [['llama-gqa', llama], ['gpt2', gpt2]] as const) {
        const before = tf.memory().numTensors;
        const a = attachLora(model, { use_dora: true, target_modules: c === 'gpt2' ? ['c_attn', 'c_fc'] : ['q_proj', 'down_proj'] }, { seed: 2 });
        for (const [name, m] of a.modules) {
          const lm = m as LoraModule;
          const w = (await (model.weights.get(`${name}.w`)! as tf.Tensor).data()) as Float32Array; // [in, out]
          const mag = (await lm.magnitude!.data()) as Float32Array;
          expect(lm.magnitude!.shape).toEqual([lm.outDim]);
          for (let j = 0; j < lm.outDim; j++) {
            let s = 0;
            for (let i = 0; i < lm.inDim; i++) s += w[i * lm.outDim + j] ** 2;
            expect(Math.abs(mag[j] - Math.sqrt(s))).toBeLessThanOrEqual(1e-5 * Math.sqrt(s));
          }
        }
        const d = compareClose(await logitsOf(model, a, c), await logitsOf(model, null, c), 1e-5, 1e-5);
        expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
        a.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    });

    it('one projection equals m / ||W + sBA||_c * x(W + sBA) + b, in float64 (gpt2 c_attn: Conv1D with bias)', async () => {
      const a = attachLora(gpt2, { use_dora: true, r: 3, lora_alpha: 5, target_modules: ['c_attn'] }, { seed: 4 });
      randomizeB(a);
      const name = 'layers.1.qkv';
      const m = a.modules.get(name) as LoraModule;
      tf.tidy(() => m.magnitude!.assign(tf.add(m.magnitude!, tf.randomUniform(m.magnitude!.shape, -0.3, 0.3, 'float32', 11))));
      const N = 5, I = m.inDim, O = m.outDim, r = m.r, s = m.scaling;
      const x = tf.randomNormal([N, I], 0, 1, 'float32', 12);
      const w = gpt2.weights.get(`${name}.w`)! as tf.Tensor, b = gpt2.weights.get(`${name}.b`)! as tf.Tensor;
      const y = adapterLinear(a)(name, x, w, b);
      const [X, W, Bv, A, B, M, Y] = await Promise.all([x, w, b, m.a, m.b, m.magnitude!, y].map((t) => t.data() as Promise<Float32Array>));
      const Wp = new Float64Array(I * O); // W + s * A B, [in, out]
      for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) {
        let ab = 0;
        for (let k = 0; k < r; k++) ab += A[i * r + k] * B[k * O + o];
        Wp[i * O + o] = W[i * O + o] + s * ab;
      }
      let worst = 0;
      for (let o = 0; o < O; o++) {
        let nn = 0;
        for (let i = 0; i < I; i++) nn += Wp[i * O + o] ** 2;
        const scale = M[o] / Math.sqrt(nn);
        for (let n = 0; n < N; n++) {
          let acc = 0;
          for (let i = 0; i < I; i++) acc += X[n * I + i] * Wp[i * O + o];
          worst = Math.max(worst, Math.abs(Y[n * O + o] - (scale * acc + Bv[o])));
        }
      }
      expect(worst).toBeLessThan(1e-5);
      tf.dispose([x, y]);
      a.dispose();
    });

    it('the column norm is detached: gradients equal those with the norm held constant', async () => {
      const a = attachLora(llama, { use_dora: true, target_modules: ['v_proj'] }, { seed: 8 });
      randomizeB(a);
      const name = 'layers.0.v';
      const m = a.modules.get(name) as LoraModule;
      const x = tf.randomNormal([6, m.inDim], 0, 1, 'float32', 21);
      const R = tf.randomNormal([6, m.outDim], 0, 1, 'float32', 22);
      const w = llama.weights.get(`${name}.w`)! as tf.Tensor;
      const before = tf.memory().numTensors;
      const ours = tf.variableGrads(() => tf.sum(tf.mul(adapterLinear(a, { train: true })(name, x, w, null), R)) as tf.Scalar, [m.a, m.b, m.magnitude!]);
      const n0 = tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.add(w, tf.mul(tf.matMul(m.a, m.b), m.scaling))), 0))); // a constant
      const ref = tf.variableGrads(() => tf.tidy(() => {
        const scale = tf.div(m.magnitude!, n0);
        const y = tf.mul(tf.add(tf.matMul(x, w), tf.mul(tf.matMul(tf.matMul(x, m.a), m.b), m.scaling)), scale);
        return tf.sum(tf.mul(y, R)) as tf.Scalar;
      }), [m.a, m.b, m.magnitude!]);
      for (const v of [m.a, m.b, m.magnitude!]) {
        const d = compareClose((await ours.grads[v.name].data()) as Float32Array, (await ref.grads[v.name].data()) as Float32Array, 1e-5, 1e-4);
        expect(d.worst, `${v.name}: max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
      }
      tf.dispose([ours.value, ref.value, n0, ...Object.values(ours.grads), ...Object.values(ref.grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, R]);
      a.dispose();
    });

    it('merge equals the DoRA forward; unmerge restores the base; save/load keeps lora_magnitude_vector [out]', async () => {
      for (const [c, model] of [['llama-gqa', llama], ['gpt2', gpt2]] as const) {
        const a = attachLora(model, { use_dora: true, target_modules: 'all-linear' }, { seed: 6 });
        randomizeB(a);
        for (const m of a.modules.values()) {
          const mag = (m as LoraModule).magnitude!;
          tf.tidy(() => mag.assign(tf.mul(mag, tf.randomUniform(mag.shape, 0.8, 1.2, 'float32', 3))));
        }
        const dora = await logitsOf(model, a, c);
        const base = await logitsOf(model, null, c);
        expect(compareClose(dora, base, 1e-3, 0).worst).toBeGreaterThan(0); // it does something
        const files = await saveAdapter(a);
        const header = (await SafetensorsFile.open(bytesReader(files.weights))).header.tensors;
        const magKeys = Object.keys(header).filter((k) => k.endsWith('.lora_magnitude_vector'));
        expect(magKeys.length).toBe(a.modules.size);
        for (const k of magKeys) expect(header[k].shape.length).toBe(1);
        const back = await loadAdapter(model, files);
        expect(await logitsOf(model, back, c)).toEqual(dora);
        back.dispose();
        const before = tf.memory().numTensors;
        await mergeAdapter(model, a, { safe: true });
        const d = compareClose(await logitsOf(model, null, c), dora, 1e-4, 1e-4);
        expect(d.worst, `${c} merged vs DoRA max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
        unmergeAdapter(model, a);
        const d2 = compareClose(await logitsOf(model, null, c), base, 1e-4, 1e-4);
        expect(d2.worst, `${c} unmerged vs base max |Δ| ${d2.maxAbs}`).toBeLessThanOrEqual(0);
        expect(tf.memory().numTensors).toBe(before);
        a.dispose();
      }
    });
  });

  it('every method trains: finite non-zero gradients for every parameter, no leaks', async () => {
    const { labels, ...inp } = batch('llama-gqa');
    const adapters = [
      attachLora(llama, { target_modules: 'all-linear', lora_dropout: 0.1 }, { seed: 1 }),
      attachLora(llama, { use_dora: true, lora_dropout: 0.1 }, { seed: 1 }),
      attachIa3(llama, {}, { seed: 1 }),
      attachPromptTuning(llama, { num_virtual_tokens: 3 }, { seed: 1 }),
      attachPromptTuning(llama, { num_virtual_tokens: 5, prompt_tuning_init: 'TEXT' }, { initTokenIds: [5, 6, 7] }),
      attachPrefixTuning(llama, { num_virtual_tokens: 2 }, { seed: 1 }),
    ];
    randomizeB(adapters[0]);
    randomizeB(adapters[1]);
    for (const a of adapters) {
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const out = adapterForward(llama, a, inp, { train: true, labels });
        return causalLmLoss(out.logits!, out.labels!) as tf.Scalar;
      }, trainableParams(a));
      for (const v of trainableParams(a)) {
        const g = (await grads[v.name].data()) as Float32Array;
        expect(g.every(Number.isFinite), `${a.method} ${v.name}`).toBe(true);
        expect(g.some((x) => x !== 0), `${a.method} ${v.name}`).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors, a.method).toBe(before);
    }
    // TEXT init: the prompt starts as the embeddings of 5, 6, 7, 5, 6.
    const p = (await adapters[4].params.get('prompt_embeddings')!.data()) as Float32Array;
    const e = (await (llama.weights.get('embed')! as tf.Tensor).data()) as Float32Array;
    expect(Array.from(p.subarray(3 * 64, 4 * 64))).toEqual(Array.from(e.subarray(5 * 64, 6 * 64)));
    const before = tf.memory().numTensors;
    const nParams = adapters.reduce((n, a) => n + a.params.size, 0);
    for (const a of adapters) a.dispose();
    expect(tf.memory().numTensors).toBe(before - nParams);
  });
});
