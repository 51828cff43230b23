/**
 * Pause and continue for a running train(): the trainer is an async generator, so pausing is simply not pulling
 * its next event; the consumer awaits `gate.wait(signal)` between events. The gate also keeps a clock without the
 * paused time, handed to train() as its clock, so ETA and the run's seconds leave pauses out. A stop (the
 * signal) releases a paused wait at once. Not here: pausing inside a step (a step always runs to its end).
 */

export class PauseGate {
  private pausedAt: number | null = null;
  private pausedMs = 0;
  private wake: (() => void)[] = [];

  /** `now` is injected for tests; default Date.now (train()'s default clock). */
  constructor(private readonly now: () => number = Date.now) {}

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  /** Milliseconds with every paused stretch taken out. */
  readonly clock = (): number => (this.pausedAt ?? this.now()) - this.pausedMs;

  /** Returns false when already paused. */
  pause(): boolean {
    if (this.pausedAt !== null) return false;
    this.pausedAt = this.now();
    return true;
  }

  /** Returns false when not paused. */
  resume(): boolean {
    if (this.pausedAt === null) return false;
    this.pausedMs += this.now() - this.pausedAt;
    this.pausedAt = null;
    for (const w of this.wake.splice(0)) w();
    return true;
  }

  /** Resolves at once when running; else when resumed or when `signal` aborts (a stop while paused). */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.pausedAt === null || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wake.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** A new run: not paused, no paused time. */
  reset(): void {
    this.resume();
    this.pausedMs = 0;
  }
}
