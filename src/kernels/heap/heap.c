/*
 * Kernels that run in place on tfjs-wasm's own heap: this module imports tfjs-wasm's memory, so pointers are the
 * tensors' memoryOffsets and nothing is copied (kernels/heap/heap-module.ts loads it; the GEMM module instead has
 * its own shared memory for its threads). Single-threaded, SIMD128. The module owns no bytes of that memory: no
 * data segment, no shadow stack (scripts/build-gemm-wasm.sh refuses a build that would use one), so it cannot
 * overwrite tfjs's data.
 *   dropout     y = x · mask (and y2 = x2 · mask), the counter-based mask of kernels/dropout/dropout.ts: element 2p
 *               and 2p + 1 take the low and high 16 bits of fmix32(seed ^ p · 0x9e3779b9), kept iff >= cut.
 *   rms_fwd     y = x · rstd · w per row of C, rstd = 1 / sqrt(mean(x²) + eps), the sum of squares in f64.
 *   rms_bwd     dx = rstd · (g − x · rstd² · mean(g · x)) with g = dy · w, and dw = Σ_rows dy · x · rstd, summed
 *               in an f64 row (acc: C doubles of scratch) and rounded into dw. Sums in f64, as the TypeScript
 *               kernels they replace.
 *   swiglu_fwd  y = silu(g) · u = g · σ(g) · u.
 *   swiglu_bwd  given ds = ∂L/∂y: du = ds · silu(g), dg = ds · u · σ(g) · (1 + g · (1 − σ(g))).
 *   xent_rows   softmax cross-entropy over a chunk of logits z (rows, V) without a softcap: per row its max m and
 *               s = Σ e^{z − m} (in f64) into stats [m, s], and dz = (e^{z − m} / s − [c = y]) · scale, 0 for a row
 *               whose target is −1. The caller takes the loss m + log s − z_y from the stats (no libm here).
 */
#include <wasm_simd128.h>
#include "../simd-math.h"

typedef unsigned int u32;

static inline v128_t fmix(v128_t h) {
  h = wasm_i32x4_mul(wasm_v128_xor(h, wasm_u32x4_shr(h, 16)), wasm_i32x4_splat((int)0x85ebca6b));
  h = wasm_i32x4_mul(wasm_v128_xor(h, wasm_u32x4_shr(h, 13)), wasm_i32x4_splat((int)0xc2b2ae35));
  return wasm_v128_xor(h, wasm_u32x4_shr(h, 16));
}

static inline u32 fmix1(u32 h) {
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

__attribute__((export_name("dropout")))
void dropout(const float *x, float *y, const float *x2, float *y2, int n, u32 seed, int cut, float scale) {
  v128_t vs = wasm_i32x4_splat((int)seed), gold = wasm_i32x4_splat((int)0x9e3779b9u);
  v128_t vcut = wasm_i32x4_splat(cut), vscale = wasm_f32x4_splat(scale), lo16 = wasm_i32x4_splat(0xffff);
  v128_t p = wasm_i32x4_make(0, 1, 2, 3), four = wasm_i32x4_splat(4);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t h = fmix(wasm_v128_xor(vs, wasm_i32x4_mul(p, gold)));
    p = wasm_i32x4_add(p, four);
    v128_t lo = wasm_v128_and(wasm_i32x4_ge(wasm_v128_and(h, lo16), vcut), vscale);
    v128_t hi = wasm_v128_and(wasm_i32x4_ge(wasm_u32x4_shr(h, 16), vcut), vscale);
    v128_t m0 = wasm_i32x4_shuffle(lo, hi, 0, 4, 1, 5), m1 = wasm_i32x4_shuffle(lo, hi, 2, 6, 3, 7);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(x + i), m0));
    wasm_v128_store(y + i + 4, wasm_f32x4_mul(wasm_v128_load(x + i + 4), m1));
    if (x2) {
      wasm_v128_store(y2 + i, wasm_f32x4_mul(wasm_v128_load(x2 + i), m0));
      wasm_v128_store(y2 + i + 4, wasm_f32x4_mul(wasm_v128_load(x2 + i + 4), m1));
    }
  }
  for (; i < n; i++) {
    u32 h = fmix1(seed ^ ((u32)(i >> 1) * 0x9e3779b9u));
    u32 bits = (i & 1) ? h >> 16 : h & 0xffff;
    float k = (int)bits >= cut ? scale : 0.f;
    y[i] = x[i] * k;
    if (x2) y2[i] = x2[i] * k;
  }
}

/* Σ a·b over n floats in f64. */
static double dot64(const float *a, const float *b, int n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
  int c = 0;
  for (; c + 4 <= n; c += 4) add64(&s0, &s1, wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(b + c)));
  double r = total64(s0, s1);
  for (; c < n; c++) r += (double)a[c] * b[c];
  return r;
}

static inline float rstd_of(double ss, int C, float eps) {
  return (float)(1.0 / __builtin_sqrt(ss / C + eps));
}

__attribute__((export_name("rms_fwd")))
void rms_fwd(const float *x, const float *w, float *y, int rows, int C, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * C;
    float *yr = y + (long)r * C;
    v128_t rs = wasm_f32x4_splat(rstd_of(dot64(xr, xr, C), C, eps));
    int c = 0;
    for (; c + 4 <= C; c += 4) wasm_v128_store(yr + c, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(xr + c), rs), wasm_v128_load(w + c)));
    for (; c < C; c++) yr[c] = xr[c] * wasm_f32x4_extract_lane(rs, 0) * w[c];
  }
}

__attribute__((export_name("rms_bwd")))
void rms_bwd(const float *x, const float *w, const float *dy, float *dx, float *dw, double *acc, int rows, int C, float eps) {
  for (int c = 0; c < C; c++) acc[c] = 0;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * C, *gr = dy + (long)r * C;
    float *dr = dx + (long)r * C;
    double ss = dot64(xr, xr, C);
    /* Σ g·w·x: products in f32, the sum in f64. */
    v128_t s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
    int c = 0;
    for (; c + 4 <= C; c += 4)
      add64(&s0, &s1, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(gr + c), wasm_v128_load(w + c)), wasm_v128_load(xr + c)));
    double gx = total64(s0, s1);
    for (; c < C; c++) gx += (double)(gr[c] * w[c]) * xr[c];
    float rstd = rstd_of(ss, C, eps);
    float k = (float)((double)rstd * rstd * gx / C);
    v128_t rs = wasm_f32x4_splat(rstd), kv = wasm_f32x4_splat(k);
    for (c = 0; c + 4 <= C; c += 4) {
      v128_t xv = wasm_v128_load(xr + c), gv = wasm_v128_load(gr + c);
      wasm_v128_store(dr + c, wasm_f32x4_mul(rs, wasm_f32x4_sub(wasm_f32x4_mul(gv, wasm_v128_load(w + c)), wasm_f32x4_mul(xv, kv))));
      v128_t a0 = wasm_v128_load(acc + c), a1 = wasm_v128_load(acc + c + 2);
      add64(&a0, &a1, wasm_f32x4_mul(wasm_f32x4_mul(gv, xv), rs));
      wasm_v128_store(acc + c, a0);
      wasm_v128_store(acc + c + 2, a1);
    }
    for (; c < C; c++) {
      dr[c] = rstd * (gr[c] * w[c] - xr[c] * k);
      acc[c] += (double)(gr[c] * xr[c] * rstd);
    }
  }
  for (int c = 0; c < C; c++) dw[c] = (float)acc[c];
}

__attribute__((export_name("xent_rows")))
void xent_rows(const float *z, const int *tgt, float *stats, float *dz, int rows, int V, float scale) {
  for (int r = 0; r < rows; r++) {
    const float *zr = z + (long)r * V;
    float *dr = dz + (long)r * V;
    int y = tgt[r], c = 0;
    if (y < 0) {
      for (; c < V; c++) dr[c] = 0.f;
      stats[2 * r] = 0.f;
      stats[2 * r + 1] = 1.f;
      continue;
    }
    float m = rowMax(zr, V);
    v128_t ms = wasm_f32x4_splat(m), s0 = wasm_f64x2_splat(0), s1 = wasm_f64x2_splat(0);
    for (; c + 4 <= V; c += 4) {
      v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(zr + c), ms));
      wasm_v128_store(dr + c, e);
      add64(&s0, &s1, e);
    }
    double s = total64(s0, s1);
    for (; c < V; c++) {
      float e = exp1(zr[c] - m);
      dr[c] = e;
      s += e;
    }
    float k1 = (float)(scale / s);
    v128_t k = wasm_f32x4_splat(k1);
    for (c = 0; c + 4 <= V; c += 4) wasm_v128_store(dr + c, wasm_f32x4_mul(wasm_v128_load(dr + c), k));
    for (; c < V; c++) dr[c] *= k1;
    if (y < V) dr[y] -= scale;
    stats[2 * r] = m;
    stats[2 * r + 1] = (float)s;
  }
}

/* σ(g) = 1 / (1 + e^{−g}); exp4's clamp gives 1 above g = 87.3 and about 6e-39 below −88.3. */
static inline v128_t sigmoid4(v128_t g) {
  v128_t one = wasm_f32x4_splat(1.f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(g))));
}

__attribute__((export_name("swiglu_fwd")))
void swiglu_fwd(const float *g, const float *u, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gv = wasm_v128_load(g + i);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(gv, sigmoid4(gv)), wasm_v128_load(u + i)));
  }
  for (; i < n; i++) {
    v128_t gv = wasm_f32x4_splat(g[i]);
    y[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(wasm_f32x4_mul(gv, sigmoid4(gv)), wasm_f32x4_splat(u[i])), 0);
  }
}

static inline void swiglu_bwd4(v128_t gv, v128_t uv, v128_t dv, v128_t *du, v128_t *dg) {
  v128_t sg = sigmoid4(gv), one = wasm_f32x4_splat(1.f);
  *du = wasm_f32x4_mul(dv, wasm_f32x4_mul(gv, sg));
  v128_t d = wasm_f32x4_mul(sg, wasm_f32x4_add(one, wasm_f32x4_mul(gv, wasm_f32x4_sub(one, sg))));
  *dg = wasm_f32x4_mul(wasm_f32x4_mul(dv, uv), d);
}

__attribute__((export_name("swiglu_bwd")))
void swiglu_bwd(const float *g, const float *u, const float *ds, float *du, float *dg, int n) {
  int i = 0;
  v128_t a, b;
  for (; i + 4 <= n; i += 4) {
    swiglu_bwd4(wasm_v128_load(g + i), wasm_v128_load(u + i), wasm_v128_load(ds + i), &a, &b);
    wasm_v128_store(du + i, a);
    wasm_v128_store(dg + i, b);
  }
  for (; i < n; i++) {
    swiglu_bwd4(wasm_f32x4_splat(g[i]), wasm_f32x4_splat(u[i]), wasm_f32x4_splat(ds[i]), &a, &b);
    du[i] = wasm_f32x4_extract_lane(a, 0);
    dg[i] = wasm_f32x4_extract_lane(b, 0);
  }
}
