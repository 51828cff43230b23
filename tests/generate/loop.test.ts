/**
 * The decoding loop of generate() over a fake stepper: what it feeds the model each step (fresh columns, mask,
 * pad for finished rows), finish reasons, min new tokens, stop strings, abort and early exit (stepper disposed).
 */
import { describe, expect, it } from 'vitest';
import { collect, generateWith, type GenerationEvent } from '../../src/generate/generate';
import { resolveOptions } from '../../src/generate/options';
import { tableStepper } from './fake-model';

// Tokens 0..3, eos = 3. Next-token probabilities by generated prefix.
const TABLE: Record<string, number[]> = {
  '': [0.1, 0.6, 0.1, 0.2],
  '1': [0.1, 0.1, 0.1, 0.7],
};
const FALLBACK = [0.25, 0.25, 0.4, 0.1];

describe('generate loop', () => {
  it('feeds the prompt once, then one column per step with the mask grown by 1 and pad for finished rows', async () => {
    // Row 0 (unpadded) and row 1 (left-padded) both see prefix '' -> 1 (p .6), then '1' -> eos (p .7). With
    // maxNewTokens 3 both end on eos after 2 steps; the loop stops without a third model call.
    const fake = tableStepper(TABLE, FALLBACK, 3);
    const o = resolveOptions({ maxNewTokens: 3, eosTokenIds: [3], padTokenId: 0 });
    const events: GenerationEvent[] = [];
    const gen = generateWith(fake, { ids: [[5, 6, 7], [0, 6, 7]], attentionMask: [[1, 1, 1], [0, 1, 1]] }, o);
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(r.value.tokens).toEqual([[1, 3], [1, 3]]);
        expect(r.value.finishReasons).toEqual(['eos', 'eos']);
        break;
      }
      events.push(r.value);
    }
    expect(fake.calls.map((c) => [c.S, c.fresh])).toEqual([[3, 3], [4, 1]]);
    expect(fake.calls[1].ids).toEqual([[5, 6, 7, 1], [0, 6, 7, 1]]);
    expect(fake.calls[1].mask).toEqual([[1, 1, 1, 1], [0, 1, 1, 1]]);
    expect(events.map((e) => e.tokenIds)).toEqual([[[1], [1]], [[3], [3]]]);
    expect(fake.disposed).toBe(1);
  });

  it('keeps a finished row fed with pad while the other row runs', async () => {
    // The fake keys its table by the ids after slot 2, so each row's last prompt token picks its path:
    // row 0 [4, 4, 9] -> '9' -> eos (.7) at once; row 1 [4, 4, 8] -> '8' -> 1, '8,1' -> 2, '8,1,2' -> 0.
    const table: Record<string, number[]> = { '9': [0.1, 0.1, 0.1, 0.7], '8': [0.1, 0.6, 0.2, 0.1], '8,1': [0.1, 0.1, 0.6, 0.2], '8,1,2': [0.6, 0.1, 0.2, 0.1] };
    const fake = tableStepper(table, FALLBACK, 2);
    const o = resolveOptions({ maxNewTokens: 3, eosTokenIds: [3], padTokenId: 0 });
    const r = await collect(generateWith(fake, { ids: [[4, 4, 9], [4, 4, 8]] }, o));
    expect(r.tokens).toEqual([[3], [1, 2, 0]]);
    expect(r.finishReasons).toEqual(['eos', 'length']);
    // The third call sees row 0 fed pad (0) after its eos, mask 1, as HF does.
    expect(fake.calls[2].ids[0]).toEqual([4, 4, 9, 3, 0]);
    expect(fake.calls[2].mask[0]).toEqual([1, 1, 1, 1, 1]);
  });

  it('minNewTokens forbids eos until reached', async () => {
    // Step 0: argmax 1. Step 1 ('1'): eos (.7) is banned -> argmax of the rest, first max: 0 (.1 ties 1 and 2).
    // Step 2 (fallback): 2 (.4). Without the ban the row would end [1, 3].
    const o = resolveOptions({ maxNewTokens: 3, minNewTokens: 3, eosTokenIds: [3] });
    const r = await collect(generateWith(tableStepper(TABLE, FALLBACK, 1), { ids: [[5]] }, o));
    expect(r.tokens).toEqual([[1, 0, 2]]);
  });

  it('stops on a stop string and returns the text cut before it', async () => {
    const words = ['a', 'b', 'STOP', '<eos>'];
    const decode = (ids: number[]) => ids.map((i) => words[i]).join(' ');
    // Greedy: 1 ('' -> .6), then eos... use eos disabled so the row runs: '1' -> 3 (p .7, not eos now), then fallback 2.
    const o = resolveOptions({ maxNewTokens: 10, eosTokenIds: [], stopStrings: [' STOP'] });
    const r = await collect(generateWith(tableStepper(TABLE, FALLBACK, 1), { ids: [[5]] }, o, { decode }));
    // 'b' -> 'b <eos>' -> 'b <eos> STOP': the stop string appears at step 3.
    expect(r.tokens).toEqual([[1, 3, 2]]);
    expect(r.texts).toEqual(['b <eos>']);
    expect(r.finishReasons).toEqual(['stop_string']);
  });

  it('seeded sampling repeats with the same seed', async () => {
    const run = (seed: number) =>
      collect(generateWith(tableStepper({}, FALLBACK, 1), { ids: [[5], [5]] }, resolveOptions({ maxNewTokens: 20, doSample: true, eosTokenIds: [], seed, topK: 0 })));
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
    expect(a.tokens[0]).not.toEqual(a.tokens[1]); // rows draw from one stream, not the same numbers
  });

  it('abort ends every row with reason aborted and disposes the stepper', async () => {
    const ctrl = new AbortController();
    const fake = tableStepper({}, FALLBACK, 1);
    const gen = generateWith(fake, { ids: [[5]] }, resolveOptions({ maxNewTokens: 10, eosTokenIds: [] }), { signal: ctrl.signal });
    await gen.next();
    await gen.next();
    ctrl.abort();
    const last = await gen.next();
    expect(last.done).toBe(false);
    expect((last.value as GenerationEvent).finishReasons).toEqual(['aborted']);
    const end = await gen.next();
    expect(end.done).toBe(true);
    expect(end.value).toMatchObject({ tokens: [[2, 2]], finishReasons: ['aborted'] });
    expect(fake.calls).toHaveLength(2);
    expect(fake.disposed).toBe(1);
  });

  it('a consumer that breaks early still disposes the stepper', async () => {
    const fake = tableStepper({}, FALLBACK, 1);
    for await (const e of generateWith(fake, { ids: [[5]] }, resolveOptions({ maxNewTokens: 10, eosTokenIds: [] }))) if (e.step === 1) break;
    expect(fake.disposed).toBe(1);
  });

  it('rejects ragged prompts and rows without tokens', async () => {
    await expect(collect(generateWith(tableStepper({}, FALLBACK, 1), { ids: [[1, 2], [1]] }, resolveOptions({})))).rejects.toThrow(/left-pad/);
    await expect(collect(generateWith(tableStepper({}, FALLBACK, 1), { ids: [[1]], attentionMask: [[0]] }, resolveOptions({})))).rejects.toThrow(/no unmasked/);
  });
});
