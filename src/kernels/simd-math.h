/*
 * SIMD128 math shared by the wasm modules (gemm/attention.c, heap/heap.c): e^x over 4 lanes without libm (the
 * modules link no C library), a horizontal sum and a row maximum, and sums of f32 products kept in f64.
 */
#ifndef WEBIFT_SIMD_MATH_H
#define WEBIFT_SIMD_MATH_H
#include <wasm_simd128.h>

/* e^x for 4 lanes: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r (Cephes' coefficients), times 2^n.
 * Lanes below -87.3 give 0 (masked scores); relative error about 2e-7. n comes from the "magic bias" rounding:
 * adding 1.5 * 2^23 + 127 to x log2(e) leaves n + 127 in the low bits of the sum, so a shift by 23 makes the float
 * 2^n, with no nearest or float-to-int conversion; the clamps use pmin/pmax (one instruction each where V8's
 * min/max need several for NaN and signed zeros). Same n and the same result as rounding to nearest. */
static inline v128_t exp4(v128_t x) {
  v128_t under = wasm_f32x4_lt(x, wasm_f32x4_splat(-87.3f));
  x = wasm_f32x4_pmin(x, wasm_f32x4_splat(88.3f));
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.3f));
  v128_t magic = wasm_f32x4_splat(12583039.0f); /* 1.5 * 2^23 + 127 */
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), magic);
  v128_t scale = wasm_i32x4_shl(t, 23);
  v128_t n = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_add(r, wasm_f32x4_mul(n, wasm_f32x4_splat(2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.f)));
  return wasm_v128_andnot(wasm_f32x4_mul(p, scale), under);
}

static inline float exp1(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

static float rowMax(const float *x, int n) {
  v128_t m = wasm_f32x4_splat(x[0]);
  int j = 0;
  for (; j + 4 <= n; j += 4) m = wasm_f32x4_max(m, wasm_v128_load(x + j));
  float r = wasm_f32x4_extract_lane(m, 0);
  for (int l = 1; l < 4; l++) {
    float e = l == 1 ? wasm_f32x4_extract_lane(m, 1) : l == 2 ? wasm_f32x4_extract_lane(m, 2) : wasm_f32x4_extract_lane(m, 3);
    r = e > r ? e : r;
  }
  for (; j < n; j++) r = x[j] > r ? x[j] : r;
  return r;
}

/* (s0, s1) += the 4 lanes of p, promoted to f64: two f64x2 accumulators per 4 floats. */
static inline void add64(v128_t *s0, v128_t *s1, v128_t p) {
  *s0 = wasm_f64x2_add(*s0, wasm_f64x2_promote_low_f32x4(p));
  *s1 = wasm_f64x2_add(*s1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(p, p, 2, 3, 2, 3)));
}

/* The total of two f64x2 accumulators. */
static inline double total64(v128_t s0, v128_t s1) {
  s0 = wasm_f64x2_add(s0, s1);
  return wasm_f64x2_extract_lane(s0, 0) + wasm_f64x2_extract_lane(s0, 1);
}

#endif
