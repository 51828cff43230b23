/**
 * What the session shares with a running chat: the pause gate of the train in progress, and the adapter as PEFT
 * bytes, serialised only between two steps (the trainer is suspended at a yield, so no step touches the variables
 * meanwhile). A snapshot is taken at every checkpoint, on pause, at the end, at the next step boundary when a
 * caller asks and none exists yet, and at the next boundary after a caller was given an older one (so a chat
 * never waits for a step, and each message uses weights at most one message old). Not here: sending the bytes anywhere (the UI passes them to the generate worker).
 */
import { saveAdapter } from '../peft';
import type { TrainEvent } from '../train/trainer';
import type { AdapterSnapshot } from '../protocol/generate-api';
import { PauseGate } from './train-pause';
import type { Session } from './session';

export interface LiveState {
  pause: PauseGate;
  /** Bumped whenever the adapter's weights change: attach, import, every training step. */
  version: number;
  /** The last optimizer step of the adapter, null for an imported one. */
  step: number | null;
  snapshot: AdapterSnapshot | null;
  /** Callers waiting for the next step boundary of a running train. */
  waiters: (() => void)[];
  /** A caller got an older snapshot: take a fresh one at the next boundary, for the next caller. */
  refresh: boolean;
}

export function newLiveState(): LiveState {
  return { pause: new PauseGate(), version: 0, step: null, snapshot: null, waiters: [], refresh: false };
}

/** A new adapter object (attach or import): older snapshots no longer describe it. */
export function adapterReplaced(s: Session, step: number | null): void {
  s.live.version++;
  s.live.step = step;
  s.live.snapshot = null;
}

async function takeSnapshot(s: Session): Promise<AdapterSnapshot | null> {
  if (!s.adapter) return null;
  const version = s.live.version;
  const files = await saveAdapter(s.adapter, { baseModelNameOrPath: s.source?.label });
  s.live.snapshot = { version, step: s.live.step, files };
  return s.live.snapshot;
}

/**
 * Called by the training loop after it has forwarded event `e`, before it pulls the next one: counts steps, takes
 * the snapshots that are due, and then waits while the run is paused (a stop releases the wait).
 */
export async function betweenEvents(s: Session, e: TrainEvent, signal: AbortSignal): Promise<void> {
  const live = s.live;
  if (e.kind === 'step') {
    live.version++;
    live.step = e.step;
  }
  const due = e.kind === 'checkpoint' || e.kind === 'done' || live.refresh || live.waiters.length > 0 || (live.pause.paused && live.snapshot?.version !== live.version);
  if (due) {
    live.refresh = false;
    await takeSnapshot(s);
    for (const w of live.waiters.splice(0)) w();
  }
  await live.pause.wait(signal); // a stop releases it: the trainer then sees the abort before its next step
}

/** The adapterSnapshot handler: the bytes of the adapter unless the caller already has `since`. */
export async function adapterSnapshot(s: Session, since: number | null): Promise<AdapterSnapshot> {
  const live = s.live;
  if (!s.adapter) return { version: 0, step: null, files: null };
  let snap = live.snapshot;
  if (s.stop) {
    // Training runs: never read the variables mid-step. Use the last snapshot, or wait for the next boundary.
    if (!snap || (live.pause.paused && snap.version !== live.version)) {
      await new Promise<void>((resolve) => live.waiters.push(resolve));
      snap = live.snapshot;
    } else if (snap.version !== live.version) live.refresh = true; // answer now; the next caller gets newer bytes
  } else if (!snap || snap.version !== live.version) snap = await takeSnapshot(s);
  if (!snap) return { version: 0, step: null, files: null };
  return since === snap.version ? { version: snap.version, step: snap.step, files: null } : snap; // copied by postMessage
}

/** Wakes callers still waiting when a run ends without another boundary (failed before its first step). */
export function releaseWaiters(s: Session): void {
  for (const w of s.live.waiters.splice(0)) w();
}
