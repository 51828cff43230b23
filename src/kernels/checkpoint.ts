/**
 * Activation recomputation (gradient checkpointing, Chen et al. 2016, as torch.utils.checkpoint): y = f(x) runs
 * without recording its intermediates; the backward runs f(x) again under a fresh tape and backpropagates dy
 * through it. Only x is kept between the forward and the backward, so a deep model's tape holds one block at a time.
 * f must be deterministic given x (seeded dropout is) and must read only tensors that outlive the backward (weights,
 * variables) or that it builds itself from host data. Gradients reach x and the listed trainable `params`.
 */
import * as tf from '@tensorflow/tfjs-core';

type Grad = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

export function checkpointed(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, params: tf.Tensor[]): tf.Tensor {
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as (ts: tf.Tensor[]) => void;
    const xi = args[0] as tf.Tensor;
    save([xi]); // through save(): customGrad frees tensors a gradient captures by closure (ENVIRONMENT.md pitfall 7)
    // Inside a customGrad forward no op is taped; the tidy also frees f's intermediates now rather than when the
    // whole model's forward scope ends.
    const value = tf.tidy(() => f(xi));
    const gradFunc: Grad = (dy, saved) => {
      const [xs] = saved;
      // A fresh tape over one recomputed block; unused params (e.g. a LoRA module outside this block) get zeros.
      // The nested gradients() resets the engine's active tape to null when it ends, which the outer backward
      // still walks afterwards (to free its saved tensors): keep the outer tape and put it back.
      const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
      const outer = state.activeTape;
      let grads: (tf.Tensor | null)[];
      try {
        grads = tf.engine().gradients(() => f(xs), [xs, ...params], dy, true).grads;
      } finally {
        state.activeTape = outer;
      }
      return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? xs : params[i - 1]));
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return run(x, ...params) as tf.Tensor;
}
