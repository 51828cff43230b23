/*
 * Attention for the CPU path, forward and backward, on the GEMM module's threads (included by gemm.c, so it shares
 * the register-blocked `block` product and the no-shadow-stack rule). Scores are never held for more than a chunk
 * of QC query rows: per work item (one batch row b and kv head h_kv, i.e. its g query heads' R = g*T rows),
 *   forward:  P = Q_c Kᵀ (block), then per row s = scale*P (softcap: cap*tanh(s/cap)) + bias, softmax with its
 *             max m and 1/sum kept as the row's stats, then O_c = P V (block);
 *   backward: P recomputed from the stats, dV += Pᵀ dO_c, dP = dO_c Vᵀ, dS = P*(dP - rowsum(dO*O)) (times
 *             1 - tanh² under softcap, times scale), dQ_c = dS K, dK += dSᵀ Q_c.
 * A thread owns whole work items, so dK and dV need no atomics. Kᵀ and Vᵀ are packed once per item into the
 * thread's scratch, and block() packs its strips of B there too (KC x 8 floats after the chunk buffers). The bias
 * is read through strides (b, head, t) with unit stride along keys, so a (B, 1, T, S) mask or a (B, H, 1, S) ALiBi
 * row is never expanded.
 */

#define QC 32

typedef struct {
  int q, k, v, bias, out, stats; /* byte offsets; q/out (B, Hkv, R, D); k/v (B, Hkv, S, D); stats (B, Hkv, R, 2) */
  int dout, dq, dk, dv;          /* backward only */
  int scratch, scratch_floats;   /* per-thread scratch: thread t uses [scratch + t * scratch_floats * 4, ...) */
  int B, Hkv, g, T, S, D;
  int bias_sb, bias_sh, bias_st; /* element strides of the bias along batch, query head, query position */
  int kv_stride;                 /* forward: floats between kv heads of k/v (a KV cache with spare slots); 0: S * D */
  int parts;                     /* forward: work items per (batch row, kv head), each taking every parts-th chunk */
  float scale, cap;
} attn_args;

#include "../simd-math.h"

/* tanh(y) = sign(y) (1 - 2 / (e^{2|y|} + 1)); absolute error about 1e-7. */
static inline float tanh1(float y) {
  float a = y < 0 ? -y : y;
  float t = a > 40.f ? 1.f : 1.f - 2.f / (exp1(2.f * a) + 1.f);
  return y < 0 ? -t : t;
}

/* One chunk's score rows, in place in p (n rows of S): the scale, softcap (th keeps tanh, when cap > 0) and bias.
 * row0 is the chunk's first row within the item's R = g*T rows. */
static void scores(const attn_args *A, const float *bias, int b, int hkv, int row0, int n, int L, float *p, float *th) {
  int S = A->S;
  for (int i = 0; i < n; i++) {
    int r = row0 + i, h = hkv * A->g + r / A->T, t = r % A->T;
    float *pr = p + (long)i * S;
    const float *br = bias + (long)b * A->bias_sb + (long)h * A->bias_sh + (long)t * A->bias_st;
    if (A->cap > 0.f) {
      float *tr = th + (long)i * S;
      for (int j = 0; j < L; j++) {
        float u = tanh1(pr[j] * A->scale / A->cap);
        tr[j] = u;
        pr[j] = A->cap * u + br[j];
      }
    } else {
      v128_t sc = wasm_f32x4_splat(A->scale);
      int j = 0;
      for (; j + 4 <= L; j += 4)
        wasm_v128_store(pr + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(pr + j), sc), wasm_v128_load(br + j)));
      for (; j < L; j++) pr[j] = pr[j] * A->scale + br[j];
    }
  }
}

/* x = e^{x - m} in place; returns the sum. */
static float expSum(float *x, int n, float m) {
  v128_t mv = wasm_f32x4_splat(m), s = wasm_f32x4_splat(0.f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(x + j), mv));
    wasm_v128_store(x + j, e);
    s = wasm_f32x4_add(s, e);
  }
  float r = hsum(s);
  for (; j < n; j++) r += (x[j] = exp1(x[j] - m));
  return r;
}

static float dot(const float *a, const float *b, int n) {
  v128_t s = wasm_f32x4_splat(0.f);
  int j = 0;
  for (; j + 4 <= n; j += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
  float r = hsum(s);
  for (; j < n; j++) r += a[j] * b[j];
  return r;
}

/*
 * Keys past the chunk's last live one (a bias above -1e8 in some row: the mask adds -1e9, ALiBi is small) get
 * probability exactly 0, as e^{-1e9 - m} is 0 in f32, so the products skip them: about half the work under a causal
 * mask. A row with no live key at all keeps every key (the composed softmax then spreads over all of them).
 */
static int liveKeys(const attn_args *A, const float *bias, int b, int hkv, int row0, int n) {
  int S = A->S, live = 0;
  v128_t cut = wasm_f32x4_splat(-1e8f);
  for (int i = 0; i < n; i++) {
    int r = row0 + i, h = hkv * A->g + r / A->T, t = r % A->T;
    const float *br = bias + (long)b * A->bias_sb + (long)h * A->bias_sh + (long)t * A->bias_st;
    int j = S - 1;
    while (j >= live && br[j] <= -1e8f) {
      if ((j & 3) == 3 && j - 3 >= live && !wasm_v128_any_true(wasm_f32x4_gt(wasm_v128_load(br + j - 3), cut))) {
        j -= 4;
        continue;
      }
      j--;
    }
    if (j >= live) {
      live = j + 1;
      continue;
    }
    /* Below the bound already found: the row only needs one live key anywhere (else it is fully masked). */
    while (j >= 0 && br[j] <= -1e8f) j--;
    if (j < 0) return S;
  }
  return live;
}

/* p = e^{s - m} * inv over a row, in place. */
static void expRow(float *pr, int S, float m, float inv) {
  v128_t mv = wasm_f32x4_splat(m), iv = wasm_f32x4_splat(inv);
  int j = 0;
  for (; j + 4 <= S; j += 4) wasm_v128_store(pr + j, wasm_f32x4_mul(exp4(wasm_f32x4_sub(wasm_v128_load(pr + j), mv)), iv));
  for (; j < S; j++) pr[j] = exp1(pr[j] - m) * inv;
}

#define F(off) ((float *)(long)(off))

/* Query rows per work item at or below which the forward reads K in place (see attn_fwd). */
#define FEW_QUERY_ROWS 8

__attribute__((export_name("attn_fwd"))) void attn_fwd(const attn_args *A, int w0, int w1, int thread) {
  int S = A->S, D = A->D, R = A->g * A->T;
  float *kt = F(A->scratch) + (long)thread * A->scratch_floats; /* [D, S] */
  float *p = kt + (long)D * S;                                   /* [QC, S] */
  float *pk = p + (long)QC * S;                                  /* [KC, 8]: block()'s packed strips of B */
  long kvs = A->kv_stride ? A->kv_stride : (long)S * D;
  /* Item = (batch row, kv head) x part: with fewer heads than threads (one prompt: B·Hkv = 3 on 2 threads), parts
   * split a head's query chunks between threads, interleaved so that each part gets early (cheap under a causal mask)
   * and late chunks alike; each part packs Kᵀ for itself. */
  int parts = A->parts > 1 ? A->parts : 1;
  for (int item = w0; item < w1; item++) {
    int w = item / parts, part = item % parts;
    int b = w / A->Hkv, hkv = w % A->Hkv;
    const float *q = F(A->q) + (long)w * R * D, *k = F(A->k) + w * kvs, *v = F(A->v) + w * kvs;
    float *o = F(A->out) + (long)w * R * D, *st = F(A->stats) + (long)w * R * 2;
    /* A few query rows (decode: g rows a kv head) take each score as a dot product with a key row in place: packing
     * Kᵀ would copy the whole cache for a handful of rows (at S = 518 it was most of a decode step's attention). */
    int few = R <= FEW_QUERY_ROWS;
    if (!few) pack_transpose(k, kt, D, S, 0, D);
    for (int r0 = part * QC; r0 < R; r0 += parts * QC) {
      int n = R - r0 < QC ? R - r0 : QC;
      int L = liveKeys(A, F(A->bias), b, hkv, r0, n);
      if (few)
        for (int i = 0; i < n; i++)
          for (int j = 0; j < L; j++) p[(long)i * S + j] = dot(q + (long)(r0 + i) * D, k + (long)j * D, D);
      else
        block(q + (long)r0 * D, D, 1, kt, S, p, S, D, 0, n, 0, L, 0, pk);
      scores(A, F(A->bias), b, hkv, r0, n, L, p, p);
      for (int i = 0; i < n; i++) {
        float *pr = p + (long)i * S;
        float m = rowMax(pr, L);
        st[(r0 + i) * 2] = m;
        st[(r0 + i) * 2 + 1] = 1.f / expSum(pr, L, m);
      }
      /* O_c = P V with P unnormalised, then each row times its 1/sum (D values instead of L). */
      float *oc = o + (long)r0 * D;
      block(p, S, 1, v, D, oc, D, L, 0, n, 0, D, 0, pk);
      for (int i = 0; i < n; i++) {
        v128_t iv = wasm_f32x4_splat(st[(r0 + i) * 2 + 1]);
        float *orow = oc + (long)i * D;
        int d = 0;
        for (; d + 4 <= D; d += 4) wasm_v128_store(orow + d, wasm_f32x4_mul(wasm_v128_load(orow + d), iv));
        for (; d < D; d++) orow[d] *= st[(r0 + i) * 2 + 1];
      }
    }
  }
}

__attribute__((export_name("attn_bwd"))) void attn_bwd(const attn_args *A, int w0, int w1, int thread) {
  int S = A->S, D = A->D, R = A->g * A->T;
  float *kt = F(A->scratch) + (long)thread * A->scratch_floats; /* [D, S] */
  float *vt = kt + (long)D * S;                                  /* [D, S] */
  float *p = vt + (long)D * S;                                   /* [QC, S] */
  float *dp = p + (long)QC * S;                                  /* [QC, S] */
  float *th = dp + (long)QC * S;                                 /* [QC, S], softcap only */
  float *pk = th + (long)QC * S;                                 /* [KC, 8]: block()'s packed strips of B */
  for (int w = w0; w < w1; w++) {
    int b = w / A->Hkv, hkv = w % A->Hkv;
    const float *q = F(A->q) + (long)w * R * D, *k = F(A->k) + (long)w * S * D, *v = F(A->v) + (long)w * S * D;
    const float *o = F(A->out) + (long)w * R * D, *st = F(A->stats) + (long)w * R * 2, *dO = F(A->dout) + (long)w * R * D;
    float *dq = F(A->dq) + (long)w * R * D, *dk = F(A->dk) + (long)w * S * D, *dv = F(A->dv) + (long)w * S * D;
    pack_transpose(k, kt, D, S, 0, D);
    pack_transpose(v, vt, D, S, 0, D);
    for (long i = 0; i < (long)S * D; i++) dk[i] = dv[i] = 0.f;
    for (int r0 = 0; r0 < R; r0 += QC) {
      int n = R - r0 < QC ? R - r0 : QC;
      const float *qc = q + (long)r0 * D, *dOc = dO + (long)r0 * D, *oc = o + (long)r0 * D;
      int L = liveKeys(A, F(A->bias), b, hkv, r0, n);
      block(qc, D, 1, kt, S, p, S, D, 0, n, 0, L, 0, pk);
      scores(A, F(A->bias), b, hkv, r0, n, L, p, th);
      for (int i = 0; i < n; i++) expRow(p + (long)i * S, L, st[(r0 + i) * 2], st[(r0 + i) * 2 + 1]);
      block(p, 1, S, dOc, D, dv, D, n, 0, L, 0, D, 1, pk);  /* dV += Pᵀ dO_c */
      block(dOc, D, 1, vt, S, dp, S, D, 0, n, 0, L, 0, pk); /* dP = dO_c Vᵀ */
      for (int i = 0; i < n; i++) {
        float dsum = dot(dOc + (long)i * D, oc + (long)i * D, D);
        float *pr = p + (long)i * S, *dr = dp + (long)i * S, *tr = th + (long)i * S;
        if (A->cap > 0.f) {
          for (int j = 0; j < L; j++) pr[j] = pr[j] * (dr[j] - dsum) * (1.f - tr[j] * tr[j]) * A->scale;
        } else {
          v128_t ds = wasm_f32x4_splat(dsum), sc = wasm_f32x4_splat(A->scale);
          int j = 0;
          for (; j + 4 <= L; j += 4)
            wasm_v128_store(pr + j, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(pr + j), wasm_f32x4_sub(wasm_v128_load(dr + j), ds)), sc));
          for (; j < L; j++) pr[j] = pr[j] * (dr[j] - dsum) * A->scale;
        }
      }
      block(p, S, 1, k, D, dq + (long)r0 * D, D, L, 0, n, 0, D, 0, pk); /* dQ_c = dS K */
      block(p, 1, S, qc, D, dk, D, n, 0, L, 0, D, 1, pk);                /* dK += dSᵀ Q_c */
    }
  }
}
