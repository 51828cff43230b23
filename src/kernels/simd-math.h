/*
 * SIMD128 math shared by the wasm modules (gemm/attention.c, heap/heap.c): e^x over 4 lanes without libm (the
 * modules link no C library).
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

#endif
