/**
 * The device side of quantization (kernels/qtensor.ts, qmatmul.ts, embedding.ts, int32-ops.ts) on one backend,
 * against the plain-TypeScript reference (src/quant dequantize): decoding, by the one-pass kernel and by the tfjs-op
 * chain, is bit-exact (1 f32 ulp allowed on webgpu, which may fuse code·scale + zero), a quantized or split linear equals the product with the reference weights in
 * value and input gradient, lookups equal gathers of the reference, and nothing leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { QTensor, SplitWeight, headBlocks } from '../../src/kernels/qtensor';
import { bitwiseAnd } from '../../src/kernels/int32-ops';
import { linear } from '../../src/kernels/ops';
import { embedTokens } from '../../src/kernels/embedding';
import { dequantize, quantize } from '../../src/quant';
import type { QuantSpec } from '../../src/kernels/packed';
import { mulberry32 } from '../../src/util/mulberry32';
import { compareClose } from '../helpers/fixtures';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => (rng() - 0.5) * 2);
}

/** Largest difference in f32 ulps of the reference value. */
function maxUlps(got: Float32Array, ref: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const ulp = Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(ref[i]) || 2 ** -126)) - 23));
    worst = Math.max(worst, Math.abs(got[i] - ref[i]) / ulp);
  }
  return worst;
}

async function expectClose(a: tf.Tensor, b: Float32Array | tf.Tensor, tol: number) {
  const bd = b instanceof Float32Array ? b : ((await b.data()) as Float32Array);
  const r = compareClose((await a.data()) as Float32Array, bd, tol, tol);
  expect(r.worst, `max |Δ| ${r.maxAbs}`).toBeLessThanOrEqual(0);
}

export function qtensorSuite(backend: BackendName, opts: { small?: boolean } = {}): void {
  describe(`quantized weights on ${backend}`, () => {
    beforeAll(async () => {
      expect((await initBackend({ prefer: [backend] })).name).toBe(backend);
    });
    const ulpsAllowed = (spec: QuantSpec) => (backend === 'webgpu' && !spec.symmetric ? 1 : 0);

    it('bitwiseAnd: words with the sign bit set, broadcast over slots, equal JS &', async () => {
      const words = Int32Array.from([0x3e698b1f, -1, 0x80000000 | 0, 0x7fffffff, 0xf0f0f0f0 | 0, 12345]);
      const masks = Int32Array.from([0xf, 0xf0, 0xf0000000 | 0, 0x0f000000]);
      const got = (await bitwiseAnd(tf.tensor3d(words, [3, 1, 2], 'int32'), tf.tensor3d(masks, [1, 4, 1], 'int32')).data()) as Int32Array;
      const want: number[] = [];
      for (let k = 0; k < 3; k++) for (let s = 0; s < 4; s++) for (let c = 0; c < 2; c++) want.push(words[k * 2 + c] & masks[s]);
      expect([...got]).toEqual(want);
    });

    const specs: QuantSpec[] = [];
    for (const bits of [4, 8] as const) for (const groupSize of opts.small ? [32, 128] : [32, 64, 128]) for (const symmetric of [true, false]) specs.push({ bits, groupSize, symmetric });
    const shapes: [number, number][] = opts.small ? [[37, 45], [130, 7]] : [[37, 45], [130, 7], [8, 3], [1, 5], [257, 19]];

    for (const spec of specs)
      it(`dequantize equals the reference: int${spec.bits} g${spec.groupSize} ${spec.symmetric ? 'sym' : 'asym'}`, async () => {
        for (const [rows, cols] of shapes) {
          const p = quantize(randomMatrix(rows, cols, rows + 7 * cols), rows, cols, spec);
          const ref = dequantize(p);
          const before = tf.memory().numTensors;
          const q = new QTensor(p);
          for (const ops of [false, true]) {
            const d = q.dequantize(0, cols, { ops });
            expect(d.shape).toEqual([rows, cols]);
            expect(maxUlps((await d.data()) as Float32Array, ref), `[${rows}, ${cols}] ${ops ? 'ops' : 'kernel'}`).toBeLessThanOrEqual(ulpsAllowed(spec));
            d.dispose();
          }
          q.dispose();
          expect(tf.memory().numTensors).toBe(before);
        }
      });

    it('dequantize(c0, n), plain and transposed, equals the reference columns (the chunked lm_head decodes slices)', async () => {
      for (const spec of [{ bits: 4, groupSize: 32, symmetric: true }, { bits: 8, groupSize: 64, symmetric: false }] as QuantSpec[]) {
        const [rows, cols] = [70, 300];
        const p = quantize(randomMatrix(rows, cols, 11), rows, cols, spec);
        const ref = dequantize(p);
        const q = new QTensor(p);
        for (const [c0, n] of [[0, 300], [0, 17], [133, 100], [299, 1]])
          for (const ops of [false, true]) {
            const d = q.dequantize(c0, n, { ops });
            const want = Float32Array.from({ length: rows * n }, (_, i) => ref[Math.floor(i / n) * cols + c0 + (i % n)]);
            expect(maxUlps((await d.data()) as Float32Array, want), `[${c0}, +${n}) ${ops ? 'ops' : 'kernel'}`).toBeLessThanOrEqual(ulpsAllowed(spec));
            d.dispose();
          }
        expect(() => q.dequantize(290, 20)).toThrow(/outside/);
        for (const ops of [false, true]) {
          const t = q.dequantize(133, 100, { ops, transposed: true }); // [100, 70]
          const want = Float32Array.from({ length: 100 * rows }, (_, i) => ref[(i % rows) * cols + 133 + Math.floor(i / rows)]);
          expect(t.shape).toEqual([100, rows]);
          expect(maxUlps((await t.data()) as Float32Array, want), `transposed ${ops ? 'ops' : 'kernel'}`).toBeLessThanOrEqual(ulpsAllowed(spec));
          t.dispose();
        }
        q.dispose();
      }
    });

    it('linear on a QTensor: value and dx equal linear on the reference weights; nothing reaches W', async () => {
      const spec: QuantSpec = { bits: 4, groupSize: 32, symmetric: true };
      const [I, O] = [70, 33];
      const p = quantize(randomMatrix(I, O, 1), I, O, spec);
      const q = new QTensor(p);
      const wRef = tf.tensor2d(dequantize(p), [I, O]);
      const x = tf.randomNormal([2, 3, I], 0, 1, 'float32', 2), g = tf.randomNormal([2, 3, O], 0, 1, 'float32', 3);
      const before = tf.memory().numTensors;
      const [y, yRef] = tf.tidy(() => [linear(x, q), linear(x, wRef)]);
      const dx = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, q), g)))(x));
      const dxRef = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, wRef), g)))(x));
      await expectClose(y, yRef, 1e-6);
      await expectClose(dx, dxRef, 1e-6);
      tf.dispose([y, yRef, dx, dxRef]);
      expect(tf.memory().numTensors).toBe(before);
      q.dispose();
    });

    it('split weights: column blocks (QTensor and f32) and row blocks give the unsplit product and gradient', async () => {
      const spec: QuantSpec = { bits: 8, groupSize: 64, symmetric: false };
      const [I, O] = [45, 50];
      const p = quantize(randomMatrix(I, O, 4), I, O, spec);
      const full = dequantize(p);
      const wRef = tf.tensor2d(full, [I, O]);
      const cols = (c0: number, n: number) => quantize(Float32Array.from({ length: I * n }, (_, i) => randomMatrix(I, O, 4)[Math.floor(i / n) * O + c0 + (i % n)]), I, n, spec);
      // Column blocks quantized on their own equal the whole (groups run down columns), so the reference holds.
      const qSplit = new SplitWeight(1, [{ w: new QTensor(cols(0, 20)), start: 0, size: 20 }, { w: new QTensor(cols(20, 30)), start: 20, size: 30 }], [I, O]);
      const fSplit = new SplitWeight(1, [{ w: tf.slice(wRef, [0, 0], [I, 17]), start: 0, size: 17 }, { w: tf.slice(wRef, [0, 17], [I, 33]), start: 17, size: 33 }], [I, O]);
      const rSplit = new SplitWeight(0, [{ w: tf.slice(wRef, [0, 0], [20, O]), start: 0, size: 20 }, { w: tf.slice(wRef, [20, 0], [25, O]), start: 20, size: 25 }], [I, O]);
      const x = tf.randomNormal([5, I], 0, 1, 'float32', 5), g = tf.randomNormal([5, O], 0, 1, 'float32', 6);
      const dxRef = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, wRef), g)))(x);
      for (const w of [qSplit, fSplit, rSplit]) {
        await expectClose(linear(x, w), linear(x, wRef), 1e-5);
        await expectClose(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(linear(t, w), g)))(x), dxRef, 1e-5);
      }
      expect(headBlocks(qSplit).map((b) => [b.start, b.cols])).toEqual([[0, 20], [20, 30]]);
      expect(headBlocks(wRef)).toEqual([{ w: wRef, start: 0, cols: O }]);
      expect(() => headBlocks(rSplit)).toThrow(/embedding/);
      qSplit.dispose();
    });

    it('embedding lookups: head-layout QTensor (host decode), column and row blocks equal a gather of the reference', async () => {
      const [C, V] = [24, 41];
      const p = quantize(randomMatrix(C, V, 8), C, V, { bits: 4, groupSize: 32, symmetric: false }); // head layout [C, V]
      const q = new QTensor(p, { keepHost: true });
      const table = tf.transpose(tf.tensor2d(dequantize(p), [C, V])); // [V, C]
      const ids = Int32Array.from([0, 40, 7, 7, 19, 3]);
      const want = tf.reshape(tf.gather(table, tf.tensor1d(ids, 'int32')), [2, 3, C]);
      const before = tf.memory().numTensors;
      const got = embedTokens(q, ids, [2, 3]);
      expect(tf.memory().numTensors).toBe(before + 1); // the result only: no device upload for a host lookup
      await expectClose(got, want, 0);
      const head = tf.transpose(table);
      const colSplit = new SplitWeight(1, [{ w: tf.slice(head, [0, 0], [C, 10]), start: 0, size: 10 }, { w: tf.slice(head, [0, 10], [C, 31]), start: 10, size: 31 }], [C, V]);
      const rowSplit = new SplitWeight(0, [{ w: tf.slice(table, [0, 0], [30, C]), start: 0, size: 30 }, { w: tf.slice(table, [30, 0], [11, C]), start: 30, size: 11 }], [V, C]);
      for (const w of [colSplit, rowSplit, table]) await expectClose(embedTokens(w, ids, [2, 3]), want, 0);
      expect(() => embedTokens(q, Int32Array.from([41]), [1])).toThrow(/outside/);
      q.dispose();
    });
  });
}
