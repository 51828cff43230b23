/**
 * The tfjs 'webgpu' backend on a device we create: every compute limit at the adapter's real value (tfjs's own factory
 * leaves maxStorageBuffersPerShaderStage and others at the WebGPU defaults, 8 storage buffers), the optional features
 * timestamp-query, shader-f16 and subgroups where the adapter has them, and a DeviceWatch on it
 * so GPU errors throw (gpu-errors.ts). Also the most inputs one kernel may take on the current backend.
 * tfjs-webgpu assembles each shader as its prelude + our user code, so a kernel cannot put a WGSL `enable`
 * directive first, where WGSL requires it: the device's createShaderModule moves any `enable ...;` line in the code
 * to the top (hoistEnables). tfjs's own shaders have none and pass through unchanged.
 * The WebGPUBackend class is passed in: that package must be imported only after navigator.gpu exists (webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DeviceWatch } from './gpu-errors';

/** The limits a compute backend can use; requested at the adapter's value when the adapter has them. */
const COMPUTE_LIMITS = [
  'maxBindGroups', 'maxBindingsPerBindGroup', 'maxBufferSize', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize', 'maxUniformBuffersPerShaderStage', 'maxDynamicStorageBuffersPerPipelineLayout',
  'maxDynamicUniformBuffersPerPipelineLayout', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension',
] as const;

/** requiredLimits for requestDevice: the adapter's own value of every compute limit it reports. */
export function adapterComputeLimits(adapter: GPUAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, unknown>;
  for (const k of COMPUTE_LIMITS) if (typeof limits[k] === 'number') out[k] = limits[k] as number;
  return out;
}

/** Optional features a compute kernel may use (kernels/gpu-features.ts tells kernels which the device got). */
const COMPUTE_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'];

const ENABLE_LINE = /^[ \t]*enable[ \t]+[A-Za-z0-9_, \t]+;[ \t]*$/gm;

/** WGSL code with every `enable ...;` line moved to the top (each directive once, in first-seen order). */
export function hoistEnables(code: string): string {
  const lines = code.match(ENABLE_LINE);
  if (!lines) return code;
  const directives = [...new Set(lines.map((l) => l.trim()))];
  return `${directives.join('\n')}\n${code.replace(ENABLE_LINE, '')}`;
}

const hoisting = new WeakSet<GPUDevice>();

/** Whether `device` hoists `enable` directives (it came from requestComputeDevice), so a kernel may use them. */
export function takesEnableDirectives(device: GPUDevice): boolean {
  return hoisting.has(device);
}

export async function requestComputeDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  // Strings: the GPUFeatureName that tfjs-core's older @webgpu/types declares has no 'subgroups'.
  const requiredFeatures = COMPUTE_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits: adapterComputeLimits(adapter) });
  const create = device.createShaderModule.bind(device);
  device.createShaderModule = (desc: GPUShaderModuleDescriptor) => create({ ...desc, code: hoistEnables(desc.code) });
  hoisting.add(device);
  return device;
}

type WebGpuBackendClass = new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => tf.KernelBackend;

let watch: DeviceWatch | null = null;
let registered = false;

/** Replaces tfjs's 'webgpu' backend factory with ours (once; a later call is a no-op). */
export function registerWebGpuBackend(WebGPUBackend: WebGpuBackendClass): void {
  if (registered) return;
  registered = true;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) throw new Error('navigator.gpu is not there');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter');
    const device = await requestComputeDevice(adapter);
    const backend = new WebGPUBackend(device, (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info);
    const b = backend as unknown as { ensureCommandEncoderReady(): void; endComputePassEncoder(): void; submitQueue(): void };
    watch = new DeviceWatch(device, () => {
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue();
    });
    return backend;
  }, 3);
}

/** The watch on the device of the active backend, or null when the active backend is not our WebGPU one. */
function activeWatch(): DeviceWatch | null {
  return watch && tf.getBackend() === 'webgpu' ? watch : null;
}

/** The GPUDevice tfjs runs on, when the active backend is WebGPU. */
export function gpuDevice(): GPUDevice | null {
  return activeWatch()?.device ?? null;
}

/**
 * Runs one unit of GPU work (a training step, an evaluation) so that any WebGPU error during it, or recorded
 * before it, throws a GpuError. On other backends it just runs `fn`.
 */
export function gpuErrorScope<T>(fn: () => Promise<T>): Promise<T> {
  const w = activeWatch();
  return w ? w.scope(fn) : fn();
}

/** Throws a GpuError if the WebGPU device has reported an error since the last check; no-op on other backends. */
export function checkGpuErrors(): void {
  activeWatch()?.check();
}

/**
 * How many input tensors one kernel may bind on the active backend: a WebGPU program binds each input and its output
 * as storage buffers, so maxStorageBuffersPerShaderStage - 1. Unbounded on wasm and cpu.
 */
export function maxKernelInputs(): number {
  const d = gpuDevice();
  return d ? d.limits.maxStorageBuffersPerShaderStage - 1 : Infinity;
}
