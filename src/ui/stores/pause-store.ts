/**
 * Pause and continue for the running train (not Stop): the session worker holds the trainer between two steps,
 * so no step runs while paused and its ETA leaves the pause out. The worker answers once the run is held (the step
 * in flight finishes first: `pausing()` until then). The flag lives in the run state (`run.paused`), so a new run
 * starts unpaused and a stop while paused ends the pause too. Stop works while paused.
 */
import { createSignal } from 'solid-js';
import type { Controller } from './controller';

export function createPause(ctl: Pick<Controller, 'run' | 'setRun' | 'client' | 'fail'>) {
  const running = () => ctl.run.phase === 'training';
  const [pausing, setPausing] = createSignal(false);
  let busy = false;

  async function pause(): Promise<void> {
    if (!running() || ctl.run.paused || busy) return;
    busy = true;
    setPausing(true);
    try {
      if (await ctl.client().call('pauseTraining', {})) ctl.setRun({ paused: true });
    } catch (e) {
      ctl.fail(e);
    } finally {
      busy = false;
      setPausing(false);
    }
  }

  async function resume(): Promise<void> {
    if (!ctl.run.paused || busy) return;
    busy = true;
    try {
      await ctl.client().call('continueTraining', {});
      ctl.setRun({ paused: false });
    } catch (e) {
      ctl.fail(e);
    } finally {
      busy = false;
    }
  }

  return { paused: () => running() && ctl.run.paused, pausing: () => running() && pausing(), pause, resume };
}

export type PauseControl = ReturnType<typeof createPause>;
