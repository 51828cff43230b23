/**
 * Decode's few-row products against resident weights (kernels/gemm/resident.ts and the pool's panel kernels).
 * Against the plain-loop oracle (referenceMatmul): the panel kernels on shapes that are not multiples of the 16-column
 * panel or of the two-step k unroll, packed a slice of rows at a time, on 1 and 2 threads, with the fused multiply-add
 * module and the SIMD128 one; a call whose helper never takes its range (the calling thread runs it); the
 * resident region's allocator (holes reused, merged and handed back to the arena); and through tfjs: a weight's panels
 * are made once, reused, shared by batched rows, kept apart per [K, N] view, freed when the weight's data is freed (a
 * disposed tensor, a Variable's assign), never made for many rows or with the flag off, and a weight whose panels
 * cannot be allocated still gets the right product. Tolerance as in gemm.test.ts: 1e-5 relative to 1 + K.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GemmPool, PANEL } from '../../src/kernels/gemm/pool';
import { packRows, RESIDENT_FLAG } from '../../src/kernels/gemm/resident';
import { tf } from '../../src/kernels/tf';
import { plainProduct as oracle, useWasmGemmPool, worst } from '../helpers/gemm-check';
import { lcg } from '../helpers/random';

/** Panel bytes of a [K, N] weight, as the pool allocates them (64-byte blocks). */
const panelBytes = (K: number, N: number) => Math.ceil((Math.ceil(N / PANEL) * PANEL * K * 4) / 64) * 64;

describe('panel kernels against the oracle', () => {
  const pools: GemmPool[] = [];
  beforeAll(async () => {
    pools.push(await GemmPool.create(1), await GemmPool.create(2), await GemmPool.create(2, { fma: false }));
  });
  afterAll(() => pools.forEach((p) => p.close()));

  // [M, K, N]: a decode row with N not a multiple of 16; odd K (the unrolled loop's tail); K = 1; 15 rows (the most
  // the path takes); N under one panel; a wide head-like row split across threads.
  it.each([[1, 576, 1000], [3, 77, 33], [15, 1, 17], [2, 40, 5], [1, 64, 4099]])('M %i, K %i, N %i', (M, K, N) => {
    const a = lcg(M * K, 11);
    const b = lcg(K * N, 12);
    const ref = oracle(a, b, M, K, N);
    const P = Math.ceil(N / PANEL);
    for (const pool of pools) {
      const w = pool.allocResident(P * PANEL * K);
      try {
        check(pool, w);
      } finally {
        pool.freeResident(w, P * PANEL * K);
      }
      expect(pool.resident).toBe(0);
    }
    function check(pool: GemmPool, w: number): void {
      // Packed as resident.ts packs a weight, in slices of a third of the rows (uneven: K = 77 gives 26, 26, 25).
      packRows(pool, b, K, N, w, Math.ceil(K / 3));
      pool.reset();
      const aAt = pool.alloc(M * K);
      const cAt = pool.alloc(M * P * PANEL);
      pool.view(aAt, M * K).set(a);
      pool.view(cAt, M * P * PANEL).fill(Number.NaN);
      pool.gemvPanels(aAt, M, K, w, N, cAt, P * PANEL, pool.threads);
      const c = pool.view(cAt, M * P * PANEL);
      const out = new Float32Array(M * N);
      for (let i = 0; i < M; i++) out.set(c.subarray(i * P * PANEL, i * P * PANEL + N), i * N);
      expect(worst(out, ref, K), `${pool.threads} thread(s), fma ${pool.fma}`).toBeLessThan(1e-5);
      // The last panel's padding columns hold zeros, so their outputs are exactly 0.
      for (let i = 0; i < M; i++) for (let j = N; j < P * PANEL; j++) expect(c[i * P * PANEL + j]).toBe(0);
    }
  });

  it('runs a range whose helper never takes it on the calling thread (a stalled helper holds nothing up)', async () => {
    const pool = await GemmPool.create(2);
    try {
      // Stop the helper for good: its claims stay open, so each call must close them and run their ranges itself.
      (pool as unknown as { helpers: { terminate(): void }[] }).helpers[0].terminate();
      await new Promise((r) => setTimeout(r, 200));
      const [M, K, N] = [2, 300, 1000];
      const a = lcg(M * K, 13);
      const b = lcg(K * N, 14);
      const P = Math.ceil(N / PANEL);
      const w = pool.allocResident(P * PANEL * K);
      packRows(pool, b, K, N, w);
      pool.reset();
      const aAt = pool.alloc(M * K);
      const cAt = pool.alloc(M * P * PANEL);
      pool.view(aAt, M * K).set(a);
      // The old protocol (a pending count) waited for the dead helper for 120 s, then threw: past this test's timeout.
      pool.gemvPanels(aAt, M, K, w, N, cAt, P * PANEL, 2);
      const c = pool.view(cAt, M * P * PANEL);
      const out = new Float32Array(M * N);
      for (let i = 0; i < M; i++) out.set(c.subarray(i * P * PANEL, i * P * PANEL + N), i * N);
      expect(worst(out, oracle(a, b, M, K, N), K)).toBeLessThan(1e-5);
    } finally {
      pool.close();
    }
  }, 20_000);

  it('reuses and merges freed resident blocks, and gives the arena back what is freed at the top', () => {
    const pool = pools[0];
    pool.reset();
    const base = pool.alloc(1); // the arena's bottom with nothing resident
    const x = pool.allocResident(16);
    const y = pool.allocResident(160);
    const z = pool.allocResident(16);
    expect([y - x, z - y]).toEqual([64, 640]);
    pool.reset();
    expect(pool.alloc(1)).toBe(z + 64); // the arena starts above the resident blocks
    pool.freeResident(y, 160);
    expect(pool.allocResident(32)).toBe(y); // first fit in the hole
    expect(pool.allocResident(128)).toBe(y + 128); // the rest of it
    pool.freeResident(y, 32);
    pool.freeResident(y + 128, 128);
    pool.freeResident(x, 16); // x, y's two parts merge into one hole below z
    expect(pool.allocResident(176)).toBe(x);
    pool.freeResident(x, 176);
    pool.freeResident(z, 16); // the top block: everything goes back to the arena
    expect(pool.resident).toBe(0);
    pool.reset();
    expect(pool.alloc(1)).toBe(base);
  });
});

describe('tfjs-wasm few-row products on resident panels', () => {
  const wasmPool = useWasmGemmPool();
  let pool: GemmPool;
  beforeAll(() => {
    pool = wasmPool();
  });
  afterAll(() => tf.env().set(RESIDENT_FLAG, true));

  const [K, N] = [600, 500]; // 300,000 floats: over the threaded size, N not a multiple of 16

  it('packs a weight once, reuses it for later rows and beams, and frees it with the weight', async () => {
    const before = pool.resident;
    const bv = lcg(K * N, 21);
    const w = tf.tensor(bv, [K, N]);
    const xv = lcg(3 * K, 22);
    const x1 = tf.tensor(xv.subarray(0, K), [1, K]);
    const y1 = tf.matMul(x1, w);
    expect(pool.resident - before).toBe(panelBytes(K, N));
    expect(worst((await y1.data()) as Float32Array, oracle(xv.subarray(0, K), bv, 1, K, N), K)).toBeLessThan(1e-5);
    // Three beams as a batch of single rows against the same weight: the same panels.
    const x3 = tf.tensor(xv, [3, 1, K]);
    const y3 = tf.matMul(x3, w);
    expect(y3.shape).toEqual([3, 1, N]);
    expect(pool.resident - before).toBe(panelBytes(K, N));
    expect(worst((await y3.data()) as Float32Array, oracle(xv, bv, 3, K, N), K)).toBeLessThan(1e-5);
    // A reshape shares the data under another [K, N]: it gets panels of its own.
    const wr = tf.reshape(w, [N, K]);
    const xr = tf.tensor(lcg(N, 23), [1, N]);
    const yr = tf.matMul(xr, wr);
    expect(pool.resident - before).toBe(panelBytes(K, N) + panelBytes(N, K));
    expect(worst((await yr.data()) as Float32Array, oracle(xr.dataSync() as Float32Array, bv, 1, N, K), N)).toBeLessThan(1e-5);
    // The data lives while either tensor does; both blocks go with it.
    w.dispose();
    expect(pool.resident - before).toBe(panelBytes(K, N) + panelBytes(N, K));
    wr.dispose();
    expect(pool.resident).toBe(before);
    tf.dispose([x1, y1, x3, y3, xr, yr]);
  });

  it("follows a Variable's assign: new values, the old panels freed", async () => {
    const before = pool.resident;
    // A Variable shares its data with the tensor it was made or assigned from: drop those so only v holds it.
    const t1 = tf.tensor(lcg(K * N, 31), [K, N]);
    const v = tf.variable(t1);
    t1.dispose();
    const xv = lcg(K, 32);
    const x = tf.tensor(xv, [1, K]);
    tf.matMul(x, v).dispose();
    const b2 = lcg(K * N, 33);
    const t2 = tf.tensor(b2, [K, N]);
    v.assign(t2);
    t2.dispose();
    const y = tf.matMul(x, v);
    expect(worst((await y.data()) as Float32Array, oracle(xv, b2, 1, K, N), K)).toBeLessThan(1e-5);
    expect(pool.resident - before).toBe(panelBytes(K, N)); // the first value's panels went with its data
    v.dispose();
    expect(pool.resident).toBe(before);
    tf.dispose([x, y]);
  });

  it('makes no panels for 16 rows, small weights or with the flag off, and falls back when they do not fit', async () => {
    const before = pool.resident;
    const bv = lcg(K * N, 41);
    const w = tf.tensor(bv, [K, N]);
    const xv = lcg(16 * K, 42);
    const many = tf.matMul(tf.tensor(xv, [16, K]), w);
    expect(worst((await many.data()) as Float32Array, oracle(xv, bv, 16, K, N), K)).toBeLessThan(1e-5);
    const small = tf.matMul(tf.tensor(xv.subarray(0, 100), [1, 100]), tf.tensor(bv.subarray(0, 100 * 600), [100, 600]));
    expect(worst((await small.data()) as Float32Array, oracle(xv.subarray(0, 100), bv.subarray(0, 60000), 1, 100, 600), 100)).toBeLessThan(1e-5);
    tf.env().set(RESIDENT_FLAG, false);
    const off = tf.matMul(tf.tensor(xv.subarray(0, K), [1, K]), w);
    tf.env().set(RESIDENT_FLAG, true);
    expect(pool.resident).toBe(before);
    expect(worst((await off.data()) as Float32Array, oracle(xv.subarray(0, K), bv, 1, K, N), K)).toBeLessThan(1e-5);
    // The pool's memory cannot grow: the product runs where it ran before, and nothing stays allocated.
    const alloc = pool.allocResident;
    pool.allocResident = () => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    try {
      const y = tf.matMul(tf.tensor(xv.subarray(0, K), [1, K]), w);
      expect(worst((await y.data()) as Float32Array, oracle(xv.subarray(0, K), bv, 1, K, N), K)).toBeLessThan(1e-5);
    } finally {
      pool.allocResident = alloc;
    }
    expect(pool.resident).toBe(before);
    w.dispose();
    many.dispose();
  });
});
