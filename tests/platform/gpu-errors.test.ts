/**
 * DeviceWatch without a GPU: a fake GPUDevice (an EventTarget with error scopes and a `lost` promise) shows the rules
 * that the WebGPU tests cannot provoke on demand: a lost device throws and stays lost, a destroyed one does not count,
 * an out-of-memory error in a scope wins over what the work threw, and nested scopes run inside the outer one.
 * (Real validation errors on SwiftShader: tests/kernels/many-inputs-webgpu.test.ts and tests/train/gpu-stop-webgpu.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { DeviceWatch, GpuError } from '../../src/platform/gpu-errors';

class GPUOutOfMemoryError extends Error {}

class FakeDevice extends EventTarget {
  scopes: (Error | null)[][] = [];
  pushes = 0;
  loseWith: (info: { reason: string; message: string }) => void = () => {};
  lost = new Promise<{ reason: string; message: string }>((r) => (this.loseWith = r));
  pushErrorScope(): void {
    this.pushes++;
    this.scopes.push([]);
  }
  async popErrorScope(): Promise<Error | null> {
    return this.scopes.pop()?.[0] ?? null;
  }
  /** An error as the device would raise it: into the innermost scope, else as an uncapturederror event. */
  raise(e: Error): void {
    const top = this.scopes[this.scopes.length - 1];
    if (top) top.push(e);
    else this.dispatchEvent(Object.assign(new Event('uncapturederror'), { error: e }));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function watch(): { dev: FakeDevice; w: DeviceWatch; flushes: number[] } {
  const dev = new FakeDevice();
  const flushes: number[] = [];
  const w = new DeviceWatch(dev as unknown as GPUDevice, () => flushes.push(1));
  return { dev, w, flushes };
}

describe('DeviceWatch', () => {
  it('a lost device throws at every check; a destroyed one is not an error', async () => {
    const a = watch();
    a.dev.loseWith({ reason: 'destroyed', message: 'device was destroyed' });
    await tick();
    expect(() => a.w.check()).not.toThrow();

    const b = watch();
    b.dev.loseWith({ reason: 'unknown', message: 'GPU process crashed' });
    await tick();
    for (let i = 0; i < 2; i++) expect(() => b.w.check()).toThrow(/WebGPU error: the GPU device was lost \(GPU process crashed\)/);
    await expect(b.w.scope(async () => 1)).rejects.toMatchObject({ kind: 'device-lost' });
  });

  it('an error inside the scope wins over the exception it caused, and is thrown once', async () => {
    const { dev, w, flushes } = watch();
    const run = w.scope(async () => {
      dev.raise(new GPUOutOfMemoryError('Failed to allocate 2 GB'));
      throw new Error('readback failed');
    });
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof GpuError && e.kind === 'out-of-memory' && /ran out of memory \(Failed to allocate 2 GB\)/.test(e.message));
    expect(flushes.length).toBe(1);
    expect(dev.scopes.length).toBe(0);
    await expect(w.scope(async () => 7)).resolves.toBe(7);
  });

  it('uncaptured errors are counted and thrown by the next scope; nested scopes push nothing', async () => {
    const { dev, w } = watch();
    dev.raise(new Error('first invalid dispatch'));
    dev.raise(new Error('second'));
    await expect(w.scope(async () => 1)).rejects.toThrow(/failed validation, .* \(first invalid dispatch\) \(and 1 more GPU error\)$/);
    const inner = await w.scope(async () => w.scope(async () => dev.pushes));
    expect(inner).toBe(3); // the outer call's 3 scopes; the rejected call threw before pushing any
  });
});
