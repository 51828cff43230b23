/**
 * WebGPU errors made loud. A DeviceWatch records the first uncaptured error and the loss of its device, and runs a
 * unit of work (one training step) inside validation, out-of-memory and internal error scopes, then throws a GpuError.
 * Without it a dispatch that fails validation is dropped and a later readback returns stale bytes (ENVIRONMENT.md).
 * Plain WebGPU, no tfjs. Not handled: recovering a lost device (nothing on it works afterwards).
 */

export type GpuErrorKind = 'validation' | 'out-of-memory' | 'internal' | 'device-lost';

export class GpuError extends Error {
  override name = 'GpuError';
  constructor(readonly kind: GpuErrorKind, message: string) {
    super(message);
  }
}

const WHAT: Record<GpuErrorKind, string> = {
  validation: 'a GPU command failed validation, so its results would be garbage',
  'out-of-memory': 'the GPU ran out of memory',
  internal: 'the GPU driver reported an internal error',
  'device-lost': 'the GPU device was lost',
};

/** One clear sentence: what happened, then Dawn's or the browser's own first line. */
export function gpuError(kind: GpuErrorKind, detail: string): GpuError {
  const first = detail.split('\n').find((l) => l.trim()) ?? '';
  return new GpuError(kind, `WebGPU error: ${WHAT[kind]}${first ? ` (${first.trim()})` : ''}`);
}

function kindOf(e: GPUError): GpuErrorKind {
  const n = e.constructor?.name ?? '';
  return /OutOfMemory/.test(n) ? 'out-of-memory' : /Internal/.test(n) ? 'internal' : 'validation';
}

const SCOPES: GPUErrorFilter[] = ['internal', 'out-of-memory', 'validation'];

export class DeviceWatch {
  private first: GpuError | null = null;
  private more = 0;
  private inScope = false;

  /** `flush` submits work the caller has encoded but not yet submitted (tfjs batches its dispatches). */
  constructor(readonly device: GPUDevice, private readonly flush: () => void = () => {}) {
    const onError = (ev: Event) => this.record(gpuError(kindOf((ev as GPUUncapturedErrorEvent).error), (ev as GPUUncapturedErrorEvent).error.message));
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.record(gpuError('device-lost', info.message || String(info.reason)));
    });
  }

  /** Keeps the first error; later ones are only counted (one failure tends to cascade into many). */
  record(e: GpuError): void {
    if (this.first) this.more++;
    else this.first = e;
  }

  /** Throws the recorded error, if any. A lost device stays lost; other errors are cleared once thrown. */
  check(): void {
    const e = this.first;
    if (!e) return;
    if (e.kind !== 'device-lost') {
      this.first = null;
      if (this.more) e.message += ` (and ${this.more} more GPU error${this.more > 1 ? 's' : ''})`;
      this.more = 0;
    }
    throw e;
  }

  /**
   * Runs `fn` inside error scopes, submits what it encoded, and throws a GpuError if the GPU reported one (a GPU error
   * wins over whatever `fn` threw, being the cause). Reentrant or interleaved calls run unscoped inside the outer one.
   */
  async scope<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inScope) return fn();
    this.check();
    for (const f of SCOPES) this.device.pushErrorScope(f);
    this.inScope = true;
    let out: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      out = { ok: true, value: await fn() };
    } catch (error) {
      out = { ok: false, error };
    }
    let scoped: (GPUError | null)[] = [];
    try {
      this.flush();
    } finally {
      this.inScope = false;
      scoped = await Promise.all([...SCOPES].reverse().map(() => this.device.popErrorScope()));
    }
    const err = scoped.find((e) => e);
    if (err) this.record(gpuError(kindOf(err), err.message));
    this.check();
    if (!out.ok) throw out.error;
    return out.value;
  }
}
