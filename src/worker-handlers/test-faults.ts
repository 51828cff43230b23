/**
 * Fault injection for the end-to-end tests of the failure paths (tests/e2e/faults.spec.ts): a test arms one fault,
 * and the next training step throws the error a lost WebGPU device throws, or the next checkpoint save fails as
 * IndexedDB does on a full quota. Off in production: arming needs a worker the page started with test faults on
 * (its name carries TEST_FAULTS_FLAG, set only when the page has `window.__webiftTestFaults`); otherwise it refuses.
 * The faults enter at the edges (the store, the event stream), so everything after them is the real code path.
 */
import type { Checkpoint, CheckpointStore } from '../train/checkpoint';
import type { HandlerContext } from '../protocol/serve';
import type { TestFaultKind, TrainEvent } from '../protocol/train-api';
import { quotaExceeded } from '../train/idb-checkpoint-store';

export const TEST_FAULTS_FLAG = 'test-faults';

export interface TestFaults {
  readonly enabled: boolean;
  /** Arms one fault; throws when this worker was not started for tests. */
  arm(kind: TestFaultKind): boolean;
  /** Wraps a store: an armed 'quota-exceeded' fails the next save, before anything is written. */
  store(inner: CheckpointStore): CheckpointStore;
  /** Wraps a train call's context: an armed 'device-lost' throws on the next step event, inside the run loop. */
  trainContext(ctx: HandlerContext<TrainEvent>): HandlerContext<TrainEvent>;
}

export function testFaults(enabled: boolean): TestFaults {
  const armed = new Set<TestFaultKind>();
  const take = (k: TestFaultKind) => armed.delete(k);
  return {
    enabled,
    arm(kind) {
      if (!enabled) throw new Error('fault injection is only for tests: start the page with window.__webiftTestFaults = true');
      armed.add(kind);
      return true;
    },
    store(inner) {
      return {
        load: (name) => inner.load(name),
        list: () => inner.list(),
        delete: (name) => inner.delete(name),
        save: async (name: string, ckpt: Checkpoint) => {
          if (take('quota-exceeded')) throw quotaExceeded(name, new DOMException('The quota has been exceeded. (injected by a test)', 'QuotaExceededError'));
          return inner.save(name, ckpt);
        },
      };
    },
    trainContext(ctx) {
      return {
        signal: ctx.signal,
        progress(e) {
          ctx.progress(e);
          // The message Chromium gives when a GPUDevice is lost mid-dispatch (tfjs rethrows it from the step).
          if (e.kind === 'step' && take('device-lost')) throw new Error('GPUDevice was lost: the device was lost (injected by a test)');
        },
      };
    },
  };
}
