/**
 * Pause and continue for the running train (not Stop): the session worker holds the trainer between two steps,
 * so no step runs while paused and its ETA leaves the pause out. The flag lives in the run state (`run.paused`), so
 * a new run starts unpaused and a stop while paused ends the pause too. Stop works while paused.
 */
import type { Controller } from './controller';

export function createPause(ctl: Pick<Controller, 'run' | 'setRun' | 'client' | 'fail'>) {
  const running = () => ctl.run.phase === 'training';
  let busy = false;

  async function pause(): Promise<void> {
    if (!running() || ctl.run.paused || busy) return;
    busy = true;
    try {
      if (await ctl.client().call('pauseTraining', {})) ctl.setRun({ paused: true, note: `Paused after step ${ctl.run.step}. Chat with this adapter, then continue.` });
    } catch (e) {
      ctl.fail(e);
    } finally {
      busy = false;
    }
  }

  async function resume(): Promise<void> {
    if (!ctl.run.paused || busy) return;
    busy = true;
    try {
      await ctl.client().call('continueTraining', {});
      ctl.setRun({ paused: false, note: 'Continuing.' });
    } catch (e) {
      ctl.fail(e);
    } finally {
      busy = false;
    }
  }

  return { paused: () => running() && ctl.run.paused, pause, resume };
}

export type PauseControl = ReturnType<typeof createPause>;
