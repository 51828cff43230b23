/**
 * The kernel bench's shared pieces: the SmolLM2-135M step's shapes, a median timer and the JSON line every kernel
 * prints (`kernel`, `backend`, `ours_ms`, `tfjs_ms`, `ratio_vs_tfjs` = tfjs time / our time, above 1 when ours is
 * faster). bench/kernels.ts and the per-kernel files under bench/kernels/ use them.
 */
import { tf } from '../src/kernels/tf';

/** Tokens per step (batch 4 × 256), hidden, MLP width, vocabulary, heads, kv heads, head dim of SmolLM2-135M. */
export const SHAPE = { N: 1024, C: 576, F: 1536, V: 49152, B: 4, T: 256, H: 9, Hkv: 3, D: 64 } as const;

export interface Harness {
  /**
   * Median wall time in ms of fn over its timed runs after two warm-ups (5 runs; in quick mode 7 when the second
   * warm-up took under 250 ms, else 2: the slow peers, tfjs's full-logits loss at 30 s a call, set the quick suite's
   * length, and the fast kernels' ratios were the noisy ones); fn returns its output tensors, which are summed to one
   * scalar that is read back, then freed.
   */
  time(fn: () => tf.Tensor[]): Promise<number>;
  /** Prints one kernel line. */
  line(kernel: string, backend: string, device: string, shape: string, ours: number, peer: number, extra?: Record<string, unknown>): void;
  /** Quick mode (fewer repetitions; per-kernel files may also use smaller shapes on a software adapter). */
  quick: boolean;
}

export function harness(quick: boolean): Harness {
  return {
    quick,
    async time(fn) {
      const runs: number[] = [];
      // Two warm-up runs: the first sizes the GEMM pool's memory and tfjs's heap, the second still ran slower (wasm
      // attention: 35.6 ms against 24.6-26.3 for later calls in the same process).
      let reps = 5;
      for (let r = -1; r <= reps; r++) {
        const t0 = performance.now();
        const out = fn();
        // One scalar that depends on every output forces all the work. Reading each output back instead timed the
        // copy out of the backend too: on wasm, 7 ms for a fresh 2.4 MB tensor (attention's dq), the same on both
        // sides but a third of our attention's time.
        const done = tf.addN(out.map((t) => tf.sum(t)));
        await done.data();
        const ms = performance.now() - t0;
        tf.dispose([...out, done]);
        if (r === 0 && quick) reps = ms < 250 ? 7 : 2;
        if (r > 0) runs.push(ms);
      }
      runs.sort((a, b) => a - b);
      return runs[Math.floor(runs.length / 2)];
    },
    line(kernel, backend, device, shape, ours, peer, extra = {}) {
      const soft = /swiftshader|software/i.test(device) ? { note: 'software adapter: the ratio is not a GPU figure' } : {};
      console.log(JSON.stringify({ bench: 'kernel', kernel, backend, device, shape, ours_ms: +ours.toFixed(2), tfjs_ms: +peer.toFixed(2), ratio_vs_tfjs: +(peer / ours).toFixed(2), ...soft, ...extra }));
    },
  };
}
