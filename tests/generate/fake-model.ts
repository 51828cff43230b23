/**
 * A fake Stepper for the decoding loop and beam search: next-token probabilities are looked up by the row's
 * generated tokens so far (a table keyed 'a,b,c'), so expected outputs can be worked out by hand. It records
 * every call, so tests can check what the loop fed it.
 */
import type { Stepper } from '../../src/generate/step';

export interface FakeCall {
  B: number;
  S: number;
  fresh: number;
  ids: number[][];
  mask: number[][];
}

export interface FakeStepper extends Stepper {
  calls: FakeCall[];
  disposed: number;
}

/** `table[key]` are probabilities over V tokens; the logits are their logs, so log_softmax gives them back exactly. */
export function tableStepper(table: Record<string, number[]>, fallback: number[], promptLength: number): FakeStepper {
  const V = fallback.length;
  const calls: FakeCall[] = [];
  const self: FakeStepper = {
    calls,
    disposed: 0,
    async next(ids, mask, B, S, fresh) {
      const rows = Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * S, (b + 1) * S)));
      calls.push({ B, S, fresh, ids: rows, mask: Array.from({ length: B }, (_, b) => Array.from(mask.subarray(b * S, (b + 1) * S))) });
      const out = new Float32Array(B * V);
      rows.forEach((r, b) => {
        const p = table[r.slice(promptLength).join(',')] ?? fallback;
        for (let v = 0; v < V; v++) out[b * V + v] = Math.log(p[v]);
      });
      return out;
    },
    selectRows() {},
    dispose() {
      self.disposed++;
    },
  };
  return self;
}
