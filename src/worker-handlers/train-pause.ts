/**
 * Pause and continue for a running train(): the trainer is an async generator, so pausing is simply not pulling
 * its next event; the consumer parks in `gate.wait(signal)` between events. The gate also keeps a clock without the
 * parked time, handed to train() as its clock, so ETA and the run's seconds leave pauses out (the step in flight
 * when a pause is asked for runs to its end and is timed normally). A stop (the signal) releases a parked wait.
 * Not here: pausing inside a step.
 */

export class PauseGate {
  private requested = false;
  private parkedAt: number | null = null;
  private pausedMs = 0;
  private wake: (() => void)[] = [];
  private onPark: (() => void)[] = [];

  /** `now` is injected for tests; default Date.now (train()'s default clock). */
  constructor(private readonly now: () => number = Date.now) {}

  /** True from pause() to resume(), whether or not the run has reached a step boundary yet. */
  get paused(): boolean {
    return this.requested;
  }

  /** Milliseconds with every parked stretch taken out. */
  readonly clock = (): number => (this.parkedAt ?? this.now()) - this.pausedMs;

  /** Returns false when already paused. */
  pause(): boolean {
    if (this.requested) return false;
    this.requested = true;
    return true;
  }

  /** Returns false when not paused. */
  resume(): boolean {
    if (!this.requested) return false;
    this.requested = false;
    for (const w of this.wake.splice(0)) w();
    for (const w of this.onPark.splice(0)) w();
    return true;
  }

  /** Resolves once the run is actually held between two steps (or no longer paused), so a caller sees no later step. */
  held(): Promise<void> {
    if (!this.requested || this.parkedAt !== null) return Promise.resolve();
    return new Promise((resolve) => this.onPark.push(resolve));
  }

  /** Resolves at once when running; else parks until resumed or until `signal` aborts (a stop while paused). */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.requested || signal?.aborted) return Promise.resolve();
    this.parkedAt = this.now();
    for (const w of this.onPark.splice(0)) w();
    return new Promise((resolve) => {
      const done = () => {
        if (this.parkedAt !== null) this.pausedMs += this.now() - this.parkedAt;
        this.parkedAt = null;
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wake.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** A new run (or the end of one): not paused, no paused time, nobody left waiting. */
  reset(): void {
    this.resume();
    for (const w of this.onPark.splice(0)) w();
    this.pausedMs = 0;
  }
}
