/**
 * WGSL for out (M, N) = A (M, K) · B (K, N) where B is a frozen [in, out] weight W read in place: B = W (forward,
 * y = x · W) or B = Wᵀ (backward, dx = dy · Wᵀ), and W is f32 or packed int4/int8 words with group scales (packed.ts).
 * Tiling: an 8×8 workgroup computes a 32×32 output tile, 4 rows × 4 adjacent columns per thread (vec4 sums). Each
 * K step of 32 stages A's 32×32 tile (stored k-major, so a thread reads its 4 rows as one vec4) and B's 32×32 tile in
 * workgroup memory (8 KiB); packed words are decoded there, one thread per word, so no f32 copy of W is ever written.
 * Why 8×8 and not 16×16 (64×64 tiles): on SwiftShader, which the tests run on, the 16×16 shader compiles in ~2.5 s
 * of CPU against ~1.2 s; untuned on real GPUs (none here). No early return anywhere: every thread reaches every
 * barrier (out-of-range elements load 0 and are not stored).
 * Precision: f32 throughout, or with `half` (a device with shader-f16; gpu-features.ts says when) f16 tiles: A and the
 * decoded B are rounded to f16 as they are staged (each within 2^-11 relative; a value beyond ±65,504 becomes ±inf),
 * each thread multiplies and adds 4 K steps in f16 (vec4<f16> fma), then adds that partial sum into its f32
 * accumulator. So the workgroup tiles take half the memory and the products run at f16 rate, while the long sum over
 * K stays f32. Global buffers stay f32 (tfjs tensors are). The error bound the tests hold it to is in
 * tests/kernels/f16-lavapipe.test.ts.
 */
import { perWord, symmetricMid, type QuantBits } from '../packed';

/** Threads per workgroup (x along N, y along M); each computes 4 rows × 4 adjacent columns. */
export const WG: [number, number, number] = [8, 8, 1];
export const TILE_M = 4 * WG[1];
export const TILE_N = 4 * WG[0];
export const TILE_K = 32;
const THREADS = WG[0] * WG[1];

/**
 * What B is made of: W itself in f32, or W's packed words (P, int32) with scales S and zeros Z. Group size and
 * symmetric/asymmetric are uniforms (a symmetric W binds its scales again as Z, unread), so one shader per bits and
 * direction: each costs ~1 s to compile on SwiftShader.
 */
export type WeightSource = { kind: 'f32' } | { kind: 'packed'; bits: QuantBits };

/**
 * Fills Bs[kk][nn] = B[k0 + kk, n0 + nn] (0 outside K × N). Forward: B = W, W [K, N]. Transposed: B = Wᵀ, W [N, K],
 * read along its rows (consecutive threads take consecutive out-columns, i.e. consecutive addresses).
 */
function loadB(src: WeightSource, transposed: boolean, cast: (v: string) => string): string {
  if (src.kind === 'f32') {
    // tx-major over the contiguous axis of W: n for W [K, N], k for W [N, K].
    const [outer, inner, along] = transposed ? ['nn', 'kk', TILE_K] : ['kk', 'nn', TILE_N];
    const addr = transposed ? 'n * K + k' : 'k * N + n';
    return `
    for (var i = 0; i < ${(TILE_K * TILE_N) / THREADS}; i++) {
      let idx = tid + i * ${THREADS};
      let ${outer} = idx / ${along};
      let ${inner} = idx % ${along};
      let k = k0 + kk;
      let n = n0 + nn;
      var v = 0.0;
      if (k < K && n < N) { v = B[${addr}]; }
      Bs[kk][nn / 4][nn % 4] = ${cast('v')};
    }`;
  }
  // One word holds P consecutive in-rows of one out-column, all in one group (G is a multiple of 8, P of 4 or 8).
  // Forward: in = K, so a word fills P rows kk of one column nn. Transposed: in = N, so P columns nn of one row kk.
  const P = perWord(src.bits);
  const inRows = transposed ? 'N' : 'K', outCols = transposed ? 'K' : 'N';
  const words = transposed ? TILE_K * (TILE_N / P) : (TILE_K / P) * TILE_N;
  if (words % THREADS) throw new Error(`frozen-matmul: ${words} words per tile do not split over ${THREADS} threads`);
  const place = transposed
    ? `let kk = idx % ${TILE_K};
      let r0 = n0 + (idx / ${TILE_K}) * ${P};
      let c = k0 + kk;`
    : `let nn = idx % ${TILE_N};
      let r0 = k0 + (idx / ${TILE_N}) * ${P};
      let c = n0 + nn;`;
  const decode = `select((f32(code) - ${symmetricMid(src.bits)}.0) * s, f32(code) * s + z, uniforms.asym == 1)`;
  const store = transposed ? `let nn = r0 - n0 + t;\n        Bs[kk][nn / 4][nn % 4] = ${cast('v')};` : `Bs[r0 - k0 + t][nn / 4][nn % 4] = ${cast('v')};`;
  return `
    for (var i = 0; i < ${words / THREADS}; i++) {
      let idx = tid + i * ${THREADS};
      ${place}
      var word = 0u;
      var s = 0.0;
      var z = 0.0;
      if (r0 < ${inRows} && c < ${outCols}) {
        word = bitcast<u32>(P[(r0 / ${P}) * ${outCols} + c]);
        let g = (r0 / uniforms.groupSize) * ${outCols} + c;
        s = S[g];
        z = Z[g];
      }
      for (var t = 0; t < ${P}; t++) {
        let code = (word >> u32(${src.bits} * t)) & ${(1 << src.bits) - 1}u;
        var v = ${decode};
        if (r0 + t >= ${inRows} || c >= ${outCols}) { v = 0.0; } // padding slots and spare columns
        ${store}
      }
    }`;
}

/** The K loop over one staged tile pair, f32: one fma per K step into the f32 accumulators. */
const f32Steps = `
      let kEnd = min(${TILE_K}, K - k0); // the last K tile's padded tail is skipped
      for (var kk = 0; kk < kEnd; kk++) {
        let a = As[kk][ty];
        let b = Bs[kk][tx];
        acc0 = fma(vec4<f32>(a.x), b, acc0);
        acc1 = fma(vec4<f32>(a.y), b, acc1);
        acc2 = fma(vec4<f32>(a.z), b, acc2);
        acc3 = fma(vec4<f32>(a.w), b, acc3);
      }`;

/** Half: 4 K steps summed in f16, then added to the f32 accumulators (padded slots hold 0, so whole chunks are exact). */
const HALF_CHUNK = 4;
const f16Steps = `
      let kEnd = min(${TILE_K}, K - k0);
      for (var kc = 0; kc < kEnd; kc = kc + ${HALF_CHUNK}) {
        var p0 = vec4<f16>(0.0h);
        var p1 = vec4<f16>(0.0h);
        var p2 = vec4<f16>(0.0h);
        var p3 = vec4<f16>(0.0h);
        for (var kk = kc; kk < kc + ${HALF_CHUNK}; kk++) {
          let a = As[kk][ty];
          let b = Bs[kk][tx];
          p0 = fma(vec4<f16>(a.x), b, p0);
          p1 = fma(vec4<f16>(a.y), b, p1);
          p2 = fma(vec4<f16>(a.z), b, p2);
          p3 = fma(vec4<f16>(a.w), b, p3);
        }
        acc0 = acc0 + vec4<f32>(p0);
        acc1 = acc1 + vec4<f32>(p1);
        acc2 = acc2 + vec4<f32>(p2);
        acc3 = acc3 + vec4<f32>(p3);
      }`;

/**
 * The whole shader body for one weight source and direction; inputs A and (B | P, S, Z) as named by the program.
 * `half`: f16 tiles and products, f32 accumulation (header); the device must have shader-f16 and hoist `enable`.
 */
export function tiledMatmulCode(src: WeightSource, transposed: boolean, half = false): string {
  if (TILE_K % HALF_CHUNK) throw new Error('frozen-matmul: TILE_K must be a multiple of the f16 chunk');
  const t = half ? 'f16' : 'f32';
  const cast = half ? (v: string) => `f16(${v})` : (v: string) => v;
  return `${half ? 'enable f16;' : ''}
  var<workgroup> As : array<array<vec4<${t}>, ${TILE_M / 4}>, ${TILE_K}>;
  var<workgroup> Bs : array<array<vec4<${t}>, ${TILE_N / 4}>, ${TILE_K}>;

  /** Row m, columns n .. n + 3 of the output, those inside M × N. */
  fn store(m : i32, n : i32, v : vec4<f32>, M : i32, N : i32) {
    for (var j = 0; j < 4; j++) {
      if (m < M && n + j < N) { setOutputAtIndex(m * N + n + j, v[j]); }
    }
  }

  fn main(index : i32) {
    let M = uniforms.M;
    let K = uniforms.K;
    let N = uniforms.outShape.y;
    let m0 = i32(workgroupId.y) * ${TILE_M};
    let n0 = i32(workgroupId.x) * ${TILE_N};
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let tid = i32(localIndex);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0; k0 < K; k0 = k0 + ${TILE_K}) {
      for (var i = 0; i < ${(TILE_M * TILE_K) / THREADS}; i++) {
        let idx = tid + i * ${THREADS};
        let mm = idx / ${TILE_K};
        let kk = idx % ${TILE_K};
        var v = 0.0;
        if (m0 + mm < M && k0 + kk < K) { v = A[(m0 + mm) * K + k0 + kk]; }
        As[kk][mm / 4][mm % 4] = ${cast('v')};
      }
      ${loadB(src, transposed, cast)}
      workgroupBarrier();
      ${half ? f16Steps : f32Steps}
      workgroupBarrier();
    }
    store(m0 + 4 * ty, n0 + 4 * tx, acc0, M, N);
    store(m0 + 4 * ty + 1, n0 + 4 * tx, acc1, M, N);
    store(m0 + 4 * ty + 2, n0 + 4 * tx, acc2, M, N);
    store(m0 + 4 * ty + 3, n0 + 4 * tx, acc3, M, N);
  }`;
}
