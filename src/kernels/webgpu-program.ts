/**
 * Our WGSL kernels' registration with tfjs-webgpu, in one place: a kernel is a function of its inputs and attributes
 * that runs one or more programs (objects in tfjs-webgpu's program shape: variableNames, outputShape, dispatch,
 * shaderKey, getUserCode) through the backend's runWebGPUProgram. The wasm counterpart is wasm-heap.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One uniform value as runWebGPUProgram takes it ('float32' or 'int32'). */
export interface Uniform {
  type: string;
  data: number[];
}

/** Runs one program on the current webgpu backend; the output is f32 unless `dtype` says otherwise. */
export type RunProgram = (program: unknown, inputs: tf.TensorInfo[], uniforms?: Uniform[], dtype?: tf.DataType) => tf.TensorInfo;

interface WebGpuLike {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: Uniform[]): tf.TensorInfo;
}

/** The config registering `name` on webgpu: `kernel` gets the inputs, the attributes and a program runner. */
export function programKernelConfig<A>(name: string, kernel: (inputs: Record<string, tf.TensorInfo>, attrs: A, run: RunProgram) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: WebGpuLike; attrs: A }) =>
      kernel(inputs, attrs, (program, ins, uniforms, dtype = 'float32') => backend.runWebGPUProgram(program, ins, dtype, uniforms))) as unknown as tf.KernelFunc,
  };
}

/** Registers `name` on webgpu (once). */
export function registerProgramKernel<A>(name: string, kernel: (inputs: Record<string, tf.TensorInfo>, attrs: A, run: RunProgram) => tf.TensorInfo | tf.TensorInfo[]): void {
  if (!tf.getKernel(name, 'webgpu')) tf.registerKernel(programKernelConfig(name, kernel));
}

/** One f32 uniform. */
export const f32u = (v: number): Uniform => ({ type: 'float32', data: [v] });
/** One int32 uniform. */
export const i32u = (v: number): Uniform => ({ type: 'int32', data: [v] });
