/**
 * tfjs environment flags that switch our kernels' variants (tests run both sides; a page can set them with
 * `?tfjsflags=NAME:false`). Registering twice is a no-op, so a module that is loaded twice (tests, workers) is safe.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Registers boolean flag `name` once, its value from `evaluate` until something sets it. */
export function registerKernelFlag(name: string, evaluate: () => boolean): void {
  if (!(tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry[name]) tf.env().registerFlag(name, evaluate);
}
