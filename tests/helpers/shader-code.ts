/**
 * Records the WGSL that a WebGPU device compiles, for tests that check which kernel variant ran (the code handed to
 * createShaderModule, after tfjs's prelude and before our device hoists `enable` lines).
 */

/** Pushes every shader module's code created on `device` into `into`; returns the function that stops it. */
export function recordShaderCode(device: GPUDevice, into: string[]): () => void {
  const create = device.createShaderModule;
  device.createShaderModule = (desc: GPUShaderModuleDescriptor) => {
    into.push(desc.code);
    return create(desc);
  };
  return () => {
    device.createShaderModule = create;
  };
}
