/**
 * A FIFO of generation jobs with `concurrency` slots (one base model behind it). A job waits for a slot in arrival
 * order, whichever client sent it; a job whose client leaves while it waits is dropped from the line, and a full line
 * refuses new jobs (429) instead of growing without bound. Not handled: priorities, per-client quotas, batching
 * several waiting prompts into one forward (each job runs its own generate()).
 */
import { ApiError } from './api-error';

interface Waiter {
  start: () => void;
  onAbort: () => void;
}

export class JobQueue {
  private readonly waiting: Waiter[] = [];
  private running = 0;
  private closedWith: ApiError | null = null;

  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
  ) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `job` once a slot is free (FIFO). Rejects with the signal's reason when aborted while waiting. */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await job();
    } finally {
      this.running--;
      this.next();
    }
  }

  /** No new jobs from now on (each gets `err`); jobs still waiting get it too. Running jobs are left to finish. */
  close(err: ApiError): void {
    this.closedWith = err;
    for (const w of this.waiting.splice(0)) w.onAbort();
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.concurrency && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new ApiError(429, `The server is busy: ${this.waiting.length} requests are already waiting; retry later`, 'rate_limit_error', null, 'queue_full'));
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onSignal);
          resolve();
        },
        onAbort: () => {
          signal?.removeEventListener('abort', onSignal);
          reject(this.closedWith ?? signal?.reason);
        },
      };
      const onSignal = () => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        w.onAbort();
      };
      signal?.addEventListener('abort', onSignal, { once: true });
      this.waiting.push(w);
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()!.start();
    }
  }
}
