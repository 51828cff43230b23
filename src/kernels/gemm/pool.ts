/**
 * The GEMM thread pool: one shared WebAssembly.Memory, the gemm.c module instantiated on this thread and on
 * T - 1 helper threads, and a control block of Int32 words in a SharedArrayBuffer. A call writes the operands into
 * the shared memory, writes each thread's range into the control block, bumps the generation word (the helpers
 * wait on it with Atomics.wait), runs range 0 itself and waits for the pending count to reach zero.
 *
 * Control block words: 0 generation, 1 pending helpers, 2 op (1 gemm, 2 transpose, 3 quit, 4 attention forward, 5 attention backward), 4..19 the op's
 * arguments, then 6 words per thread: its (b0, b1, i0, i1, j0, j1) or (r0, r1).
 *
 * Not handled: a helper that dies (an out-of-memory worker) would leave the caller waiting; the wait is bounded
 * by WAIT_LIMIT_MS and then throws, and the pool is closed.
 */
import { allowRelaxedSimd, startThread, type ThreadHandle } from '../../platform/threads';
import { GEMM_FMA_WASM_BASE64, GEMM_WASM_BASE64 } from './gemm-wasm';

const OP_GEMM = 1;
const OP_TRANSPOSE = 2;
const OP_QUIT = 3;
const OP_ATTN_FWD = 4;
const OP_ATTN_BWD = 5;
const ARGS = 4;
const RANGES = 24;
const PAGE = 65536;
/** The module's own data and shadow stack live below this offset; the operand arena starts here. */
const ARENA_BASE = 1 << 20;
const WAIT_LIMIT_MS = 120_000;
/** Each thread's scratch for packing strips of B in gemm.c: KC (256) rows of 8 floats. */
const PACK_BYTES = 256 * 8 * 4;

/** The helper threads' loop (plain JavaScript, run by platform/threads.ts with `threadData` set). */
const HELPER_SOURCE = `
const { module, memory, ctrl, index } = globalThis.threadData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(ctrl);
let gen = 0;
for (;;) {
  Atomics.wait(c, 0, gen);
  gen = Atomics.load(c, 0);
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
  }
  if (Atomics.sub(c, 1, 1) === 1) Atomics.notify(c, 1);
}
`;

interface GemmExports {
  gemm(...args: number[]): void;
  pack_transpose(src: number, dst: number, rows: number, cols: number, r0: number, r1: number): void;
  attn_fwd(args: number, w0: number, w1: number, thread: number): void;
  attn_bwd(args: number, w0: number, w1: number, thread: number): void;
}

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
    const ctrl = new SharedArrayBuffer((RANGES + 6 * threads) * 4);
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
    const helpers: ThreadHandle[] = [];
    for (let index = 1; index < threads; index++) helpers.push(await startThread(HELPER_SOURCE, { module, memory, ctrl, index }));
    return new GemmPool(memory, ctrl, ex, helpers, fma);
  }

  /** Frees the whole arena: the next call's operands start at the bottom again. */
  reset(): void {
    this.top = ARENA_BASE;
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
      Atomics.add(this.ctrl, 0, 1);
      Atomics.notify(this.ctrl, 0);
    }
    for (const h of this.helpers) h.terminate();
    this.helpers = [];
  }

  private dispatch(op: number, ranges: GemmRange[], own: (r: GemmRange) => void): void {
    if (this.closed) throw new Error('the GEMM thread pool is closed');
    const c = this.ctrl;
    for (let t = 1; t < this.threads; t++) {
      const r = ranges[t] ?? [0, 0, 0, 0, 0, 0];
      for (let k = 0; k < 6; k++) c[RANGES + t * 6 + k] = r[k];
    }
    c[2] = op;
    Atomics.store(c, 1, this.threads - 1);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    own(ranges[0]);
    this.waitHelpers();
  }

  private waitHelpers(): void {
    const c = this.ctrl;
    for (let spin = 0; spin < 4000; spin++) if (Atomics.load(c, 1) === 0) return;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const left = Atomics.load(c, 1);
      if (left === 0) return;
      if (Date.now() > deadline) {
        this.close();
        throw new Error(`GEMM helper threads did not finish within ${WAIT_LIMIT_MS / 1000} s; threaded kernels are off`);
      }
      try {
        Atomics.wait(c, 1, left, 50);
      } catch {
        // A browser main thread may not block: spin instead.
      }
    }
  }
}
