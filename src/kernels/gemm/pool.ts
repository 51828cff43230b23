/**
 * The GEMM thread pool: one shared WebAssembly.Memory, the gemm.c module instantiated on this thread and on
 * T - 1 helper threads, and a control block of Int32 words in a SharedArrayBuffer. A call writes the operands into
 * the shared memory, each thread's range into the control block, opens every helper's claim word, bumps the
 * generation word (the helpers spin on it briefly, then wait with Atomics.wait) and runs range 0 itself.
 *
 * Claims: a helper that wakes takes its range by turning its claim word from open (0) to taken (1), runs it and marks
 * it done (2). The caller, once its own range is done, closes (3) every claim still open and runs those ranges
 * itself, and waits only for ranges that were taken. So a helper that is slow to wake (a futex wake costs tens of
 * microseconds, longer on a busy machine) never holds up a call: decode's products take 20-100 us each. A helper
 * reads the op and its arguments only after taking its claim, so one that wakes late, for a call already closed,
 * takes part in the current call or in none.
 *
 * Control block words: 0 generation, 2 op (1 gemm, 2 transpose, 3 quit, 4 attention forward, 5 attention backward,
 * 6 few-row product on panels, 7 packing into panels, 8 few-row product on a quantized weight), 3 helpers started,
 * 4..19 the op's arguments, then 6 words per thread: its (b0, b1, i0, i1, j0, j1) or (r0, r1); then a claim word
 * per thread.
 *
 * Memory: the module's own bytes below ARENA_BASE; then the resident region (weights packed once and kept across
 * calls, allocResident/freeResident, first fit over a free list); then the operand arena, which every call resets to
 * the top of the resident region.
 *
 * A helper that dies (an out-of-memory worker) before taking its claim costs nothing: the caller runs its ranges.
 * Not handled: one that dies holding a claim leaves the caller waiting; the wait is bounded by WAIT_LIMIT_MS and then
 * throws, and the pool is closed.
 */
import { allowRelaxedSimd, startThread, type ThreadHandle } from '../../platform/threads';
import { GEMM_FMA_WASM_BASE64, GEMM_WASM_BASE64 } from './gemm-wasm';

const OP_GEMM = 1;
const OP_TRANSPOSE = 2;
const OP_QUIT = 3;
const OP_ATTN_FWD = 4;
const OP_ATTN_BWD = 5;
const OP_GEMV = 6;
const OP_PACK_PANELS = 7;
const OP_QGEMV = 8;
const READY = 3;
/** A helper's claim word: open for it to take, taken (it runs its range), done, or closed (the caller ran it). */
const OPEN = 0;
const TAKEN = 1;
const DONE = 2;
const CLOSED = 3;
const ARGS = 4;
/** How long create() waits for its helpers to start. */
const START_LIMIT_MS = 30_000;
const RANGES = 24;
const PAGE = 65536;
/** The module's own data and shadow stack live below this offset; the operand arena starts here. */
const ARENA_BASE = 1 << 20;
const WAIT_LIMIT_MS = 120_000;
/** Each thread's scratch for packing strips of B in gemm.c: KC (256) rows of 8 floats. */
const PACK_BYTES = 256 * 8 * 4;

/**
 * Polls of the generation word a helper makes before it sleeps (about 50 us on this project's AMD EPYC). Decode runs
 * some 200 products a token, each 20-100 us of work: a helper woken from Atomics.wait each time took longer to wake
 * than its share of the work.
 */
const HELPER_SPIN = 1 << 15;

/** The helper threads' loop (plain JavaScript, run by platform/threads.ts with `threadData` set). */
const HELPER_SOURCE = `
const { module, memory, ctrl, index, claim } = globalThis.threadData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(ctrl);
let gen = 0;
Atomics.add(c, ${READY}, 1);
for (;;) {
  for (let spin = 0; spin < ${HELPER_SPIN} && Atomics.load(c, 0) === gen; spin++);
  Atomics.wait(c, 0, gen);
  gen = Atomics.load(c, 0);
  if (Atomics.compareExchange(c, claim, ${OPEN}, ${TAKEN}) !== ${OPEN}) continue;
  const op = c[2];
  if (op === ${OP_QUIT}) break;
  const r = ${RANGES} + index * 6;
  if (op === ${OP_GEMM} && c[r] < c[r + 1] && c[r + 2] < c[r + 3] && c[r + 4] < c[r + 5]) {
    ex.gemm(c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15] + index * ${PACK_BYTES},
      c[r], c[r + 1], c[r + 2], c[r + 3], c[r + 4], c[r + 5]);
  } else if ((op === ${OP_ATTN_FWD} || op === ${OP_ATTN_BWD}) && c[r] < c[r + 1]) {
    (op === ${OP_ATTN_FWD} ? ex.attn_fwd : ex.attn_bwd)(c[4], c[r], c[r + 1], index);
  } else if (op === ${OP_TRANSPOSE} && c[r] < c[r + 1]) {
    ex.pack_transpose(c[4], c[5], c[6], c[7], c[r], c[r + 1]);
  } else if (op === ${OP_GEMV} && c[r] < c[r + 1]) {
    ex.gemv_panels(c[4], c[5], c[6], c[7], c[8], c[9], c[r], c[r + 1]);
  } else if (op === ${OP_QGEMV} && c[r] < c[r + 1]) {
    ex.qgemv(c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[r], c[r + 1]);
  } else if (op === ${OP_PACK_PANELS} && c[r] < c[r + 1]) {
    ex.pack_panels(c[4], c[5], c[6], c[7], c[8], c[9], c[r], c[r + 1]);
  }
  Atomics.store(c, claim, ${DONE});
  Atomics.notify(c, claim);
}
`;

interface GemmExports {
  gemm(...args: number[]): void;
  pack_transpose(src: number, dst: number, rows: number, cols: number, r0: number, r1: number): void;
  attn_fwd(args: number, w0: number, w1: number, thread: number): void;
  attn_bwd(args: number, w0: number, w1: number, thread: number): void;
  pack_panels(b: number, K: number, N: number, w: number, k0: number, k1: number, p0: number, p1: number): void;
  gemv_panels(a: number, M: number, K: number, w: number, c: number, ldc: number, p0: number, p1: number): void;
  qgemv(...args: number[]): void;
}

/**
 * A group-quantized [K, N] weight in the pool's memory: its codes (kernels/packed.ts's words), scales and zeros, each
 * table packed into 16-column panels (packPanels), as byte offsets.
 */
export interface PackedAt {
  words: number;
  scales: number;
  /** 0 when symmetric. */
  zeros: number;
  K: number;
  N: number;
  bits: 4 | 8;
  groupSize: number;
}

/** Columns in one panel of a resident weight (gemm.c's pack_panels). */
export const PANEL = 16;

/** One thread's share of a product: matrices [b0, b1), rows [i0, i1), columns [j0, j1). */
export type GemmRange = [number, number, number, number, number, number];

/** Operands of one batched product, as byte offsets into the pool's memory and element strides. */
export interface GemmArgs {
  a: number; sa: number; ars: number; acs: number;
  b: number; sb: number; ldb: number;
  c: number; sc: number; ldc: number;
  K: number;
}

/** The bytes of a base64 string (the committed wasm modules). */
export function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class GemmPool {
  readonly threads: number;
  private readonly ctrl: Int32Array;
  private readonly ex: GemmExports;
  private top = ARENA_BASE;
  /** End of the resident region; the arena starts here. */
  private residentTop = ARENA_BASE;
  /** Freed resident blocks below residentTop, as [offset, bytes], sorted by offset and never adjacent. */
  private holes: [number, number][] = [];
  private residentBytes = 0;
  private closed = false;

  private constructor(readonly memory: WebAssembly.Memory, ctrl: SharedArrayBuffer, ex: GemmExports, private helpers: ThreadHandle[], readonly fma: boolean) {
    this.threads = helpers.length + 1;
    this.ctrl = new Int32Array(ctrl);
    this.ex = ex;
  }

  /**
   * A pool of `threads` threads (this one included) on the fused multiply-add module where the engine has relaxed
   * SIMD (unless `fma` is false), else on the SIMD128 one. Throws where shared memory is unavailable.
   */
  static async create(threads: number, opts: { fma?: boolean; /** a build's FMA module bytes in place of the shipped one (benches compare builds) */ fmaBytes?: Uint8Array } = {}): Promise<GemmPool> {
    const fmaBytes = opts.fmaBytes ?? decodeBase64(GEMM_FMA_WASM_BASE64);
    const fma = opts.fma !== false && (await allowRelaxedSimd()) && WebAssembly.validate(fmaBytes as BufferSource);
    const module = await WebAssembly.compile((fma ? fmaBytes : decodeBase64(GEMM_WASM_BASE64)) as BufferSource);
    const memory = new WebAssembly.Memory({ initial: ARENA_BASE / PAGE + 16, maximum: 65536, shared: true });
    const ctrl = new SharedArrayBuffer((RANGES + 7 * threads) * 4);
    // Claim words start done: a helper that starts takes nothing until a call opens its claim.
    for (let t = 1; t < threads; t++) new Int32Array(ctrl)[RANGES + 6 * threads + t] = DONE;
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
    const helpers: ThreadHandle[] = [];
    for (let index = 1; index < threads; index++) helpers.push(await startThread(HELPER_SOURCE, { module, memory, ctrl, index, claim: RANGES + 6 * threads + index }));
    // A helper that has not started yet may need this thread's event loop to start (Node's workers do): a call that
    // blocked waiting for it would wait for ever. So return only once every helper is in its loop.
    const ready = new Int32Array(ctrl);
    const deadline = Date.now() + START_LIMIT_MS;
    while (Atomics.load(ready, READY) < threads - 1) {
      if (Date.now() > deadline) {
        for (const h of helpers) h.terminate();
        throw new Error(`GEMM helper threads did not start within ${START_LIMIT_MS / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    return new GemmPool(memory, ctrl, ex, helpers, fma);
  }

  /** Frees the whole arena: the next call's operands start at the bottom again. */
  reset(): void {
    this.top = this.residentTop;
  }

  /** Bytes held by resident blocks now. */
  get resident(): number {
    return this.residentBytes;
  }

  /**
   * Room for n floats that stays until freeResident, 64-byte aligned. Call it between products: it resets the arena.
   * Returns the byte offset.
   */
  allocResident(n: number): number {
    const bytes = Math.ceil((n * 4) / 64) * 64;
    this.residentBytes += bytes;
    const i = this.holes.findIndex(([, size]) => size >= bytes);
    if (i >= 0) {
      const [at, size] = this.holes[i];
      if (size === bytes) this.holes.splice(i, 1);
      else this.holes[i] = [at + bytes, size - bytes];
      return at;
    }
    const at = this.residentTop;
    this.residentTop += bytes;
    this.reset();
    try {
      this.alloc(0); // grows the memory to the new top
    } catch (e) {
      this.residentTop = at;
      this.residentBytes -= bytes;
      this.reset();
      throw e;
    }
    return at;
  }

  /** allocResident, or null (nothing held) when the memory cannot grow to hold the block. */
  tryAllocResident(n: number): number | null {
    try {
      return this.allocResident(n);
    } catch {
      return null;
    }
  }

  /** Gives back a block from allocResident (`n` floats, as it was asked for). */
  freeResident(at: number, n: number): void {
    const bytes = Math.ceil((n * 4) / 64) * 64;
    this.residentBytes -= bytes;
    let i = this.holes.findIndex(([h]) => h > at);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, [at, bytes]);
    // Merge with the neighbours, then hand a hole that ends at the top back to the arena.
    if (i + 1 < this.holes.length && at + bytes === this.holes[i + 1][0]) this.holes.splice(i, 2, [at, bytes + this.holes[i + 1][1]]);
    if (i > 0 && this.holes[i - 1][0] + this.holes[i - 1][1] === at) this.holes.splice(i - 1, 2, [this.holes[i - 1][0], this.holes[i - 1][1] + this.holes[i][1]]);
    const last = this.holes[this.holes.length - 1];
    if (last && last[0] + last[1] === this.residentTop) {
      this.residentTop = last[0];
      this.holes.pop();
    }
    this.reset();
  }

  /** Room for n floats, 64-byte aligned; grows the memory when needed. Returns the byte offset. */
  alloc(n: number): number {
    const at = this.top;
    this.top = at + Math.ceil((n * 4) / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    return at;
  }

  /** A Float32Array view of n floats at byte offset `at` (valid until the memory next grows). */
  view(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }

  /** C = A·B over per-thread ranges (ranges.length <= threads; missing ranges are empty). */
  gemm(args: GemmArgs, ranges: GemmRange[]): void {
    const c = this.ctrl;
    const pack = this.alloc((this.threads * PACK_BYTES) / 4); // thread t packs at pack + t·PACK_BYTES
    const words = [args.a, args.sa, args.ars, args.acs, args.b, args.sb, args.ldb, args.c, args.sc, args.ldc, args.K, pack];
    if (ranges.length === 1) {
      this.ex.gemm(...words, ...ranges[0]);
      return;
    }
    words.forEach((w, i) => (c[ARGS + i] = w));
    this.dispatch(OP_GEMM, ranges, (r) => this.ex.gemm(...words, ...r));
  }

  /**
   * Attention forward or backward (attention.c) over `items` work items (batch row, kv head), split in whole items
   * across `threads` threads (at most the pool's); `args` is the byte offset of the attn_args block.
   */
  attention(backward: boolean, args: number, items: number, threads: number): void {
    const T = Math.max(1, Math.min(threads, this.threads, items));
    const fn = backward ? this.ex.attn_bwd : this.ex.attn_fwd;
    if (T === 1) return fn(args, 0, items, 0);
    const step = Math.ceil(items / T);
    const ranges: GemmRange[] = [];
    for (let t = 0; t < T; t++) ranges.push([Math.min(items, t * step), Math.min(items, (t + 1) * step), 0, 0, 0, 0]);
    this.ctrl[ARGS] = args;
    this.dispatch(backward ? OP_ATTN_BWD : OP_ATTN_FWD, ranges, (r) => fn(args, r[0], r[1], 0));
  }

  /**
   * Rows [k0, k1) of B [K, N], at `b` (B's row k0, row stride N), into the panels of B at `w` (PANEL columns each,
   * gemm.c's pack_panels), split by panels across the threads.
   */
  packPanels(b: number, K: number, N: number, w: number, k0 = 0, k1 = K): void {
    const P = Math.ceil(N / PANEL);
    const words = [b, K, N, w, k0, k1];
    const ranges = this.panelRanges(P, (k1 - k0) * N < 1 << 16 ? 1 : this.threads);
    if (ranges.length === 1) return this.ex.pack_panels(b, K, N, w, k0, k1, 0, P);
    words.forEach((x, i) => (this.ctrl[ARGS + i] = x));
    this.dispatch(OP_PACK_PANELS, ranges, (r) => this.ex.pack_panels(b, K, N, w, k0, k1, r[0], r[1]));
  }

  /**
   * C = A . B for the M rows of A [M, K] at `a` against B packed at `w` (packPanels), into C at `c` with row stride
   * ldc >= the panels' padded width; split by panels across `threads` threads (at most the pool's).
   */
  gemvPanels(a: number, M: number, K: number, w: number, N: number, c: number, ldc: number, threads: number): void {
    const P = Math.ceil(N / PANEL);
    const ranges = this.panelRanges(P, Math.min(threads, this.threads));
    if (ranges.length === 1) return this.ex.gemv_panels(a, M, K, w, c, ldc, 0, P);
    [a, M, K, w, c, ldc].forEach((x, i) => (this.ctrl[ARGS + i] = x));
    this.dispatch(OP_GEMV, ranges, (r) => this.ex.gemv_panels(a, M, K, w, c, ldc, r[0], r[1]));
  }

  /**
   * C = X . W for M rows against the quantized weight `w` (gemm.c's qgemv), given at `xq` the rows scaled per slot
   * ([M, K]) and at `xs` their group sums ([M, groups]) as qgemv asks (quant-rows.ts's scaleRows); into C at `c` with
   * row stride ldc >= the panels' padded width; split by panels across `threads` threads (at most the pool's).
   */
  qgemv(xq: number, xs: number, M: number, w: PackedAt, c: number, ldc: number, threads: number): void {
    const words = [xq, xs, M, w.K, w.words, w.scales, w.zeros, w.bits, w.groupSize, c, ldc];
    const ranges = this.panelRanges(Math.ceil(w.N / PANEL), Math.min(threads, this.threads));
    if (ranges.length === 1) return this.ex.qgemv(...words, ranges[0][0], ranges[0][1]);
    words.forEach((x, i) => (this.ctrl[ARGS + i] = x));
    this.dispatch(OP_QGEMV, ranges, (r) => this.ex.qgemv(...words, r[0], r[1]));
  }

  /** dst = transpose(src), src [cols, rows] -> dst [rows, cols], split by rows of dst. */
  transpose(src: number, dst: number, rows: number, cols: number): void {
    const T = rows * cols < 1 << 16 ? 1 : this.threads;
    const step = Math.ceil(rows / T / 8) * 8;
    const ranges: GemmRange[] = [];
    for (let t = 0; t < T; t++) ranges.push([Math.min(rows, t * step), Math.min(rows, (t + 1) * step), 0, 0, 0, 0]);
    if (T === 1) {
      this.ex.pack_transpose(src, dst, rows, cols, 0, rows);
      return;
    }
    [src, dst, rows, cols].forEach((w, i) => (this.ctrl[ARGS + i] = w));
    this.dispatch(OP_TRANSPOSE, ranges, (r) => this.ex.pack_transpose(src, dst, rows, cols, r[0], r[1]));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.helpers.length) {
      Atomics.store(this.ctrl, 2, OP_QUIT);
      for (let t = 1; t < this.threads; t++) Atomics.store(this.ctrl, this.claim(t), OPEN);
      Atomics.add(this.ctrl, 0, 1);
      Atomics.notify(this.ctrl, 0);
    }
    for (const h of this.helpers) h.terminate();
    this.helpers = [];
  }

  /** P panels over T threads in contiguous runs. */
  private panelRanges(P: number, T: number): GemmRange[] {
    const t = Math.max(1, Math.min(T, P));
    const step = Math.ceil(P / t);
    const ranges: GemmRange[] = [];
    for (let i = 0; i < t; i++) ranges.push([Math.min(P, i * step), Math.min(P, (i + 1) * step), 0, 0, 0, 0]);
    return ranges;
  }

  private claim(t: number): number {
    return RANGES + 6 * this.threads + t;
  }

  private dispatch(op: number, ranges: GemmRange[], own: (r: GemmRange) => void): void {
    if (this.closed) throw new Error('the GEMM thread pool is closed');
    const c = this.ctrl;
    const empty: GemmRange = [0, 0, 0, 0, 0, 0];
    for (let t = 1; t < this.threads; t++) {
      const r = ranges[t] ?? empty;
      for (let k = 0; k < 6; k++) c[RANGES + t * 6 + k] = r[k];
    }
    c[2] = op;
    // The arguments and ranges are written before a claim opens: a helper that takes one sees them.
    for (let t = 1; t < this.threads; t++) Atomics.store(c, this.claim(t), ranges[t] ? OPEN : DONE);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    own(ranges[0]);
    for (let t = 1; t < ranges.length && t < this.threads; t++) {
      if (Atomics.compareExchange(c, this.claim(t), OPEN, CLOSED) === OPEN) own(ranges[t]);
      else this.waitDone(t);
    }
  }

  /** Waits for helper t to finish the range it took. */
  private waitDone(t: number): void {
    const c = this.ctrl;
    const at = this.claim(t);
    for (let spin = 0; spin < 4000; spin++) if (Atomics.load(c, at) === DONE) return;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Atomics.load(c, at) !== DONE) {
      if (Date.now() > deadline) {
        this.close();
        throw new Error(`GEMM helper threads did not finish within ${WAIT_LIMIT_MS / 1000} s; threaded kernels are off`);
      }
      try {
        Atomics.wait(c, at, TAKEN, 50);
      } catch {
        // A browser main thread may not block: spin instead.
      }
    }
  }
}
