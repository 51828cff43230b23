/**
 * Beam search on a fake model whose probabilities are a table, so every candidate and hypothesis score is
 * worked out by hand below; plus numBeams = 1 against greedy.
 */
import { describe, expect, it } from 'vitest';
import { beamSearch } from '../../src/generate/beam-search';
import { resolveOptions } from '../../src/generate/options';
import { collect, generateWith } from '../../src/generate/generate';
import { tableStepper } from './fake-model';

// Tokens: A = 0, B = 1, eos = 2. Probabilities of the next token given the generated prefix.
const TABLE: Record<string, number[]> = {
  '': [0.5, 0.3, 0.2],
  '0': [0.1, 0.1, 0.8],
  '1': [0.9, 0.05, 0.05],
  '1,0': [0.05, 0.05, 0.9],
};
const FALLBACK = [0.4, 0.4, 0.2];
const PROMPT = [[7, 7, 7]]; // the fake model ignores the prompt; its length (3) must not count in the length penalty

/*
 * numBeams 2, eos 2, maxNewTokens 3. HF keeps max(2, 1 + #eos) * numBeams = 4 candidates per step.
 * Step 1: only beam 0 is live (the other starts at -1e9): candidates A .5, B .3 -> beams A, B.
 * Step 2: A·A .05, A·B .05, A·eos .4, B·A .27, B·B .015, B·eos .015. Top 4: A·eos .4, B·A .27, A·A .05, A·B .05.
 *   A·eos has rank 0 < 2: hypothesis [A] with sum ln .4 and generated_len 2 (A and the eos slot, not the prompt).
 *   Beams: B·A (ln .27), A·A (ln .05).
 * Step 3: B·A·eos .243, A·A·A .02, A·A·B .02, B·A·A .0135, ... Top: B·A·eos (rank 0): hypothesis [B, A], ln .243,
 *   generated_len 3. Beams A·A·A, A·A·B.
 *   lengthPenalty 1: scores ln(.4)/2 = -0.4581, ln(.243)/3 = -0.4716. is_done: worst -0.4716 >= best possible
 *     ln(.243)/3 -> done. Best: [A] + eos.
 *   lengthPenalty 2: ln(.4)/4 = -0.2291, ln(.243)/9 = -0.1572. Not done; maxNewTokens reached, so finalize adds the
 *     open beams A·A·A, A·A·B with ln(.02)/9 = -0.4347 each, worse than both. Best: [B, A] + eos.
 * Greedy: A (.5), then eos (.8): [A, eos].
 */
describe('beamSearch (hand-checked)', () => {
  it('lengthPenalty 1 picks the short hypothesis, with generated_len excluding the prompt', async () => {
    const o = resolveOptions({ numBeams: 2, maxNewTokens: 3, eosTokenIds: [2], lengthPenalty: 1 });
    const r = await beamSearch(tableStepper(TABLE, FALLBACK, 3), PROMPT, [[1, 1, 1]], o);
    expect(r.tokens).toEqual([[0, 2]]);
    expect(r.scores[0]).toBeCloseTo(Math.log(0.4) / 2, 5);
  });
  it('lengthPenalty 2 picks the longer hypothesis', async () => {
    const o = resolveOptions({ numBeams: 2, maxNewTokens: 3, eosTokenIds: [2], lengthPenalty: 2 });
    const r = await beamSearch(tableStepper(TABLE, FALLBACK, 3), PROMPT, [[1, 1, 1]], o);
    expect(r.tokens).toEqual([[1, 0, 2]]);
    expect(r.scores[0]).toBeCloseTo(Math.log(0.243) / 9, 5);
    expect(r.endedWithEos).toEqual([true]);
  });
  it('without eos, the best full-length beam wins (normalised by maxNewTokens)', async () => {
    // eos disabled: step 2 candidates A·A .05, A·B .05, A·eos .4, B·A .27 ... (eos is a plain token now):
    // beams A·eos (ln .4), B·A (ln .27). Step 3: A·eos·* uses the fallback: A·eos·A .16, A·eos·B .16; B·A·eos .243.
    // Top 2: B·A·eos .243, A·eos·A .16. Best: [B, A, eos-as-token] with ln(.243)/3.
    const o = resolveOptions({ numBeams: 2, maxNewTokens: 3, eosTokenIds: [] });
    const r = await beamSearch(tableStepper(TABLE, FALLBACK, 3), PROMPT, [[1, 1, 1]], o);
    expect(r.tokens).toEqual([[1, 0, 2]]);
    expect(r.scores[0]).toBeCloseTo(Math.log(0.243) / 3, 5);
    expect(r.endedWithEos).toEqual([false]);
  });
  it('runs prompts of a batch independently and expands each to numBeams rows', async () => {
    const fake = tableStepper(TABLE, FALLBACK, 3);
    const o = resolveOptions({ numBeams: 2, maxNewTokens: 3, eosTokenIds: [2], lengthPenalty: 2 });
    const r = await beamSearch(fake, [[7, 7, 7], [0, 7, 7]], [[1, 1, 1], [0, 1, 1]], o);
    expect(r.tokens).toEqual([[1, 0, 2], [1, 0, 2]]);
    expect(fake.calls[0].B).toBe(4); // 2 prompts x 2 beams, each prompt repeated consecutively
    expect(fake.calls[0].ids).toEqual([[7, 7, 7], [7, 7, 7], [0, 7, 7], [0, 7, 7]]);
    expect(fake.calls[0].mask[2]).toEqual([0, 1, 1]);
    expect(fake.calls[1].fresh).toBe(1);
  });
});

describe('numBeams = 1 equals greedy', () => {
  it('on the table model, with eos', async () => {
    const greedy = await collect(generateWith(tableStepper(TABLE, FALLBACK, 3), { ids: PROMPT }, resolveOptions({ maxNewTokens: 3, eosTokenIds: [2] })));
    const beam = await beamSearch(tableStepper(TABLE, FALLBACK, 3), PROMPT, [[1, 1, 1]], resolveOptions({ numBeams: 1, maxNewTokens: 3, eosTokenIds: [2] }));
    expect(greedy.tokens).toEqual([[0, 2]]);
    expect(beam.tokens).toEqual(greedy.tokens);
  });
});
