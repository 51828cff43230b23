/*
 * f32 GEMM for the CPU path, compiled to wasm32 with SIMD128 and shared memory (scripts/build-gemm-wasm.sh).
 * Every thread runs the same instance over one shared WebAssembly.Memory; each call computes one block of rows
 * and columns of C, so threads never write the same bytes and need no locks.
 *
 *   C[b][i, j] = sum_k A[b][i, k] * B[b][k, j]
 *
 * A is read through strides (row stride, column stride), so a transposed A costs nothing: its elements are
 * broadcast one at a time. B must be row-contiguous ([K, N], stride ldb); the caller packs a transposed B once
 * (pack_transpose, also split across threads). The inner kernel keeps a 4 x 8 block of C in 8 SIMD registers
 * over a K slice of KC values, so the 8-column strip of B it streams stays in L1.
 *
 * No function here touches the shadow stack (checked by the build script), so instances can share memory
 * without giving each thread a stack of its own.
 *
 * Decode's few-row products have their own pair (pack_panels, gemv_panels): they run against a weight kept resident in
 * the pool's memory as 16-column panels, each one a contiguous stream (kernels/gemm/resident.ts).
 */
#include <wasm_simd128.h>

#define KC 256
/*
 * acc + x * y for 4 lanes. Built twice (scripts/build-gemm-wasm.sh): with WEBIFT_FMA as relaxed SIMD's madd, which
 * engines run as one fused multiply-add where the CPU has one, and without it as a multiply then an add, for
 * engines without relaxed SIMD. The pool loads the first module the engine validates.
 */
#ifdef WEBIFT_FMA
#define MADD(acc, x, y) wasm_f32x4_relaxed_madd(x, y, acc)
#else
#define MADD(acc, x, y) wasm_f32x4_add(acc, wasm_f32x4_mul(x, y))
#endif

typedef struct {
  const float *a;
  int ars, acs;
  const float *b;
  int ldb;
  float *c;
  int ldc;
} mats;

/*
 * 4 rows x 8 columns over k in [k0, k1), with b at row k0 of its 8-column strip. acc: add to C (k0 > 0) or overwrite it. Eight accumulators, two B
 * vectors and the broadcast A value fit the 16 SIMD registers V8 gives wasm on x64 (one is its scratch): a 4 x 16
 * block spilled and ran at 26 GFLOP/s on one thread against 39-41 for this one (this project's AMD EPYC machine).
 */
static inline void kernel_4x8(const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int k0,
                              int k1, int acc) {
  /* b points at row k0 of the strip. */
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (acc) {
    c00 = wasm_v128_load(c); c01 = wasm_v128_load(c + 4);
    c10 = wasm_v128_load(c + ldc); c11 = wasm_v128_load(c + ldc + 4);
    c20 = wasm_v128_load(c + 2 * ldc); c21 = wasm_v128_load(c + 2 * ldc + 4);
    c30 = wasm_v128_load(c + 3 * ldc); c31 = wasm_v128_load(c + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.f);
  }
  const float *a0 = a, *a1 = a + ars, *a2 = a + 2 * ars, *a3 = a + 3 * ars;
  for (int k = k0; k < k1; k++) {
    const float *bk = b + (long)(k - k0) * ldb;
    v128_t b0 = wasm_v128_load(bk), b1 = wasm_v128_load(bk + 4);
    int ka = k * acs;
    v128_t x = wasm_f32x4_splat(a0[ka]);
    c00 = MADD(c00, x, b0); c01 = MADD(c01, x, b1);
    x = wasm_f32x4_splat(a1[ka]);
    c10 = MADD(c10, x, b0); c11 = MADD(c11, x, b1);
    x = wasm_f32x4_splat(a2[ka]);
    c20 = MADD(c20, x, b0); c21 = MADD(c21, x, b1);
    x = wasm_f32x4_splat(a3[ka]);
    c30 = MADD(c30, x, b0); c31 = MADD(c31, x, b1);
  }
  wasm_v128_store(c, c00); wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + ldc, c10); wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + 2 * ldc, c20); wasm_v128_store(c + 2 * ldc + 4, c21);
  wasm_v128_store(c + 3 * ldc, c30); wasm_v128_store(c + 3 * ldc + 4, c31);
}

/* 1 row x 8 columns (the rows left over below a multiple of 4, and decode's single row). */
static inline void kernel_1x8(const float *a, int acs, const float *b, int ldb, float *c, int k0, int k1, int acc) {
  v128_t c0, c1;
  if (acc) {
    c0 = wasm_v128_load(c); c1 = wasm_v128_load(c + 4);
  } else {
    c0 = c1 = wasm_f32x4_splat(0.f);
  }
  for (int k = k0; k < k1; k++) {
    const float *bk = b + (long)k * ldb;
    v128_t x = wasm_f32x4_splat(a[k * acs]);
    c0 = MADD(c0, x, wasm_v128_load(bk));
    c1 = MADD(c1, x, wasm_v128_load(bk + 4));
  }
  wasm_v128_store(c, c0); wasm_v128_store(c + 4, c1);
}

/* Columns left over right of a multiple of 8: one at a time, scalar. */
static inline void kernel_1x1(const float *a, int acs, const float *b, int ldb, float *c, int k0, int k1, int acc) {
  float s = acc ? *c : 0.f;
  for (int k = k0; k < k1; k++) s += a[k * acs] * b[(long)k * ldb];
  *c = s;
}

/*
 * B[k0:k1, j:j+8] copied to 8-float rows at pk. Unpacked, the strip's rows are ldb floats apart: for the shapes here
 * (ldb 576, 1536, 49152) that stride maps them onto a few L1 sets (49152 floats is a multiple of 4 KiB: all on one
 * set), so they evict each other while the register block sweeps down the rows of A. Packed, the 8 KiB strip stays
 * in L1 for every row block. Measured on this project's AMD EPYC, 2 threads, the two builds interleaved in one
 * process (copies in and out included): SmolLM2's head chunk, [85, 576] x [576, 49152], 19.2 -> 34.3 GFLOP/s;
 * [1024, 576] x [576, 1536] 44.8 -> 50.4; the model's other products 2-5% faster.
 */
static inline void pack_strip(const float *b, int ldb, float *pk, int k0, int k1) {
  for (int k = k0; k < k1; k++) {
    const float *bk = b + (long)k * ldb;
    wasm_v128_store(pk, wasm_v128_load(bk));
    wasm_v128_store(pk + 4, wasm_v128_load(bk + 4));
    pk += 8;
  }
}

/* Row blocks this many or more pack their strip of B first (below it the copy costs more than the misses). */
#ifndef PACK_MIN_ROWS
#define PACK_MIN_ROWS 8
#endif

/*
 * C[i0:i1, j0:j1] of one matrix product, overwritten, or added to when accum is set. pk: KC x 8 floats of scratch
 * to pack B's strips into, or 0 (attention.c's small blocks) to read B in place.
 */
static void block(const float *a, int ars, int acs, const float *b, int ldb, float *c, int ldc, int K, int i0, int i1,
                  int j0, int j1, int accum, float *pk) {
  int j8 = j0 + ((j1 - j0) & ~7);
  int pack = pk && i1 - i0 >= PACK_MIN_ROWS;
  for (int k0 = 0; k0 < K || k0 == 0; k0 += KC) {
    int k1 = k0 + KC < K ? k0 + KC : K;
    int acc = accum || k0 > 0;
    for (int j = j0; j < j8; j += 8) {
      const float *bs = b + (long)k0 * ldb + j;
      int ld = ldb;
      if (pack) {
        pack_strip(b + j, ldb, pk, k0, k1);
        bs = pk;
        ld = 8;
      }
      int i = i0;
      for (; i + 4 <= i1; i += 4) kernel_4x8(a + (long)i * ars, ars, acs, bs, ld, c + (long)i * ldc + j, ldc, k0, k1, acc);
      for (; i < i1; i++) kernel_1x8(a + (long)i * ars, acs, b + j, ldb, c + (long)i * ldc + j, k0, k1, acc);
    }
    for (int i = i0; i < i1; i++)
      for (int j = j8; j < j1; j++) kernel_1x1(a + (long)i * ars, acs, b + j, ldb, c + (long)i * ldc + j, k0, k1, acc);
    if (K == 0) break;
  }
}

/*
 * One thread's share of a batched product. Matrices b in [b0, b1) are done whole, and rows [i0, i1) and columns
 * [j0, j1) of every one of them. pk is this thread's KC x 8 floats of packing scratch. Per-matrix element strides (sa, sb, sc) step through the batch; a stride of 0
 * broadcasts that operand.
 */
__attribute__((export_name("gemm"))) void gemm(const float *a, int sa, int ars, int acs, const float *b, int sb,
                                               int ldb, float *c, int sc, int ldc, int K, float *pk, int b0, int b1,
                                               int i0, int i1, int j0, int j1) {
  for (int m = b0; m < b1; m++)
    block(a + (long)m * sa, ars, acs, b + (long)m * sb, ldb, c + (long)m * sc, ldc, K, i0, i1, j0, j1, 0, pk);
}

/* dst[r, c] = src[c, r] for rows [r0, r1) of dst, which has cols columns; src has `rows` columns. In 8 x 8 tiles. */
__attribute__((export_name("pack_transpose"))) void pack_transpose(const float *src, float *dst, int rows, int cols,
                                                                   int r0, int r1) {
  for (int rb = r0; rb < r1; rb += 8) {
    int re = rb + 8 < r1 ? rb + 8 : r1;
    for (int cb = 0; cb < cols; cb += 8) {
      int ce = cb + 8 < cols ? cb + 8 : cols;
      for (int r = rb; r < re; r++)
        for (int c = cb; c < ce; c++) dst[(long)r * cols + c] = src[(long)c * rows + r];
    }
  }
}

/*
 * B [K, N] (row stride N) to panels of 16 columns: panel p holds B[k, 16p .. 16p + 16) for k = 0 .. K - 1, one 64-byte
 * row after another, so a panel is one contiguous stream of K x 16 floats. The last panel's missing columns are zeros.
 * Rows [k0, k1) of panels [p0, p1) of w, from b = B's row k0 (the caller copies B in a slice of rows at a time).
 */
__attribute__((export_name("pack_panels"))) void pack_panels(const float *b, int K, int N, float *w, int k0, int k1,
                                                             int p0, int p1) {
  for (int p = p0; p < p1; p++) {
    float *o = w + (long)p * K * 16 + (long)k0 * 16;
    int j0 = p * 16, n = N - j0 < 16 ? N - j0 : 16;
    for (int k = k0; k < k1; k++, o += 16) {
      const float *bk = b + (long)(k - k0) * N + j0;
      if (n == 16) {
        wasm_v128_store(o, wasm_v128_load(bk));
        wasm_v128_store(o + 4, wasm_v128_load(bk + 4));
        wasm_v128_store(o + 8, wasm_v128_load(bk + 8));
        wasm_v128_store(o + 12, wasm_v128_load(bk + 12));
      } else {
        for (int j = 0; j < 16; j++) o[j] = j < n ? bk[j] : 0.f;
      }
    }
  }
}

/*
 * C[i, 16p .. 16p + 16) = A[i, :] . panel p, for rows i < M and panels [p0, p1); A is [M, K] (row stride K), C has
 * row stride ldc >= 16 x panels (the padded columns are written too). A product of a few rows reads each weight once
 * and does 2 flops a float read, so it is bound by memory bandwidth, not arithmetic: the panel layout makes every
 * thread's share one forward stream, and two threads read it at about 50 GB/s where one reads 28 (this project's
 * 2-core AMD EPYC; XNNPACK on tfjs-wasm's one thread: 20-26). Two k steps in flight, eight accumulators, so the adds
 * do not wait on each other. The panel (36 KiB at K = 576) stays in L2 for the second and later rows.
 */
__attribute__((export_name("gemv_panels"))) void gemv_panels(const float *a, int M, int K, const float *w, float *c,
                                                             int ldc, int p0, int p1) {
  for (int p = p0; p < p1; p++) {
    const float *panel = w + (long)p * K * 16;
    for (int i = 0; i < M; i++) {
      const float *x = a + (long)i * K, *b = panel;
      v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
      int k = 0;
      for (; k + 2 <= K; k += 2, b += 32) {
        v128_t u = wasm_f32x4_splat(x[k]), v = wasm_f32x4_splat(x[k + 1]);
        a0 = MADD(a0, u, wasm_v128_load(b));
        a1 = MADD(a1, u, wasm_v128_load(b + 4));
        a2 = MADD(a2, u, wasm_v128_load(b + 8));
        a3 = MADD(a3, u, wasm_v128_load(b + 12));
        e0 = MADD(e0, v, wasm_v128_load(b + 16));
        e1 = MADD(e1, v, wasm_v128_load(b + 20));
        e2 = MADD(e2, v, wasm_v128_load(b + 24));
        e3 = MADD(e3, v, wasm_v128_load(b + 28));
      }
      if (k < K) {
        v128_t u = wasm_f32x4_splat(x[k]);
        a0 = MADD(a0, u, wasm_v128_load(b));
        a1 = MADD(a1, u, wasm_v128_load(b + 4));
        a2 = MADD(a2, u, wasm_v128_load(b + 8));
        a3 = MADD(a3, u, wasm_v128_load(b + 12));
      }
      float *o = c + (long)i * ldc + p * 16;
      wasm_v128_store(o, wasm_f32x4_add(a0, e0));
      wasm_v128_store(o + 4, wasm_f32x4_add(a1, e1));
      wasm_v128_store(o + 8, wasm_f32x4_add(a2, e2));
      wasm_v128_store(o + 12, wasm_f32x4_add(a3, e3));
    }
  }
}

/*
 * Few-row products against a group-quantized weight (kernels/packed.ts's codes, scales and zeros), kept as 16-column
 * panels (pack_panels on each table): word-row i of panel p holds the codes of rows iP .. iP + P - 1 (P = 32 / bits)
 * of its 16 columns, and each group of G rows has 16 scales (and zeros).
 * The code in slot t of a word is not shifted down: masked in place, minus mid = 2^(bits - 1) in place, it is the
 * integer (code - mid) 2^(bits t), exact in an i32 (the top slot's wraps to the right signed value) and in an f32
 * (at most bits significant bits); the caller gives x already scaled by 2^(-bits t) (xq, exact). So a step is mask,
 * subtract, convert, multiply-add, and sum_r x_r (code_rc - mid) over a group has no cancellation beyond a plain dot
 * product's: symmetric, w = (code - mid) s, so the group adds s times that sum; asymmetric, w = code s + z =
 * (code - mid) s + (z + mid s), so it adds s times that sum plus (z + mid s) times the group's sum of x (xs, from the
 * caller), the group's midpoint value, small beside z. `bits` is a literal at each call, so the slot loop unrolls.
 */
static inline void qpanel(const float *x, const float *xs, int K, const unsigned *w, const float *s, const float *z,
                          const int bits, int G, float *y) {
  const int P = 32 / bits;
  const unsigned mask = (1u << bits) - 1, mid = 1u << (bits - 1);
  const v128_t midv = wasm_f32x4_splat((float)mid);
  v128_t o0 = wasm_f32x4_splat(0.f), o1 = o0, o2 = o0, o3 = o0;
  for (int g0 = 0; g0 < K; g0 += G, s += 16, z += z ? 16 : 0, xs++) {
    int g1 = g0 + G < K ? g0 + G : K;
    v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0, a2 = a0, a3 = a0;
    for (int r0 = g0; r0 < g1; r0 += P, w += 16) {
      v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4), w2 = wasm_v128_load(w + 8), w3 = wasm_v128_load(w + 12);
      int n = g1 - r0 < P ? g1 - r0 : P; /* the last word's spare slots are past K */
#define QCODE(v, t)                                                                                                  \
  wasm_f32x4_convert_i32x4(wasm_i32x4_sub(wasm_v128_and(v, wasm_i32x4_splat((int)(mask << (bits * (t))))),           \
                                          wasm_i32x4_splat((int)(mid << (bits * (t))))))
#define QSTEP(t)                                   \
  {                                                \
    v128_t xv = wasm_f32x4_splat(x[r0 + (t)]);     \
    a0 = MADD(a0, xv, QCODE(w0, t));               \
    a1 = MADD(a1, xv, QCODE(w1, t));               \
    a2 = MADD(a2, xv, QCODE(w2, t));               \
    a3 = MADD(a3, xv, QCODE(w3, t));               \
  }
      if (n == P) {
        for (int t = 0; t < P; t++) QSTEP(t)
      } else {
        for (int t = 0; t < n; t++) QSTEP(t)
      }
#undef QSTEP
#undef QCODE
    }
    v128_t s0 = wasm_v128_load(s), s1 = wasm_v128_load(s + 4), s2 = wasm_v128_load(s + 8), s3 = wasm_v128_load(s + 12);
    o0 = MADD(o0, s0, a0); o1 = MADD(o1, s1, a1); o2 = MADD(o2, s2, a2); o3 = MADD(o3, s3, a3);
    if (z) {
      v128_t xsv = wasm_f32x4_splat(*xs);
      o0 = MADD(o0, MADD(wasm_v128_load(z), midv, s0), xsv);
      o1 = MADD(o1, MADD(wasm_v128_load(z + 4), midv, s1), xsv);
      o2 = MADD(o2, MADD(wasm_v128_load(z + 8), midv, s2), xsv);
      o3 = MADD(o3, MADD(wasm_v128_load(z + 12), midv, s3), xsv);
    }
  }
  wasm_v128_store(y, o0); wasm_v128_store(y + 4, o1); wasm_v128_store(y + 8, o2); wasm_v128_store(y + 12, o3);
}

/*
 * C[i, 16p .. 16p + 16) = x_i . W for M rows and panels [p0, p1) of the quantized [K, N] W, whose word, scale and zero
 * panels are at w, s, z (z = 0 when symmetric). xq: the rows scaled as qpanel says, [M, K]; xs: their group sums,
 * [M, ceil(K / G)]. C has row stride ldc >= 16 x panels; a padded column (scale 0) comes out 0.
 */
__attribute__((export_name("qgemv"))) void qgemv(const float *xq, const float *xs, int M, int K, const unsigned *w,
                                                 const float *s, const float *z, int bits, int G, float *c, int ldc,
                                                 int p0, int p1) {
  const int P = 32 / bits, nG = (K + G - 1) / G;
  long wp = (long)((K + P - 1) / P) * 16, sp = (long)nG * 16; /* one panel of each table */
  for (int p = p0; p < p1; p++)
    for (int i = 0; i < M; i++) {
      const float *zp = z ? z + p * sp : 0;
      float *y = c + (long)i * ldc + p * 16;
      if (bits == 4) qpanel(xq + (long)i * K, xs + i * nG, K, w + p * wp, s + p * sp, zp, 4, G, y);
      else qpanel(xq + (long)i * K, xs + i * nG, K, w + p * wp, s + p * sp, zp, 8, G, y);
    }
}

#include "attention.c"
