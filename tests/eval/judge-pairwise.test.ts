/**
 * The AlpaGasus pairwise judge (src/eval/judge-pairwise.ts): score-pair parsing as eval.py's parse_score, the
 * paper's two-order counting, the protocol driven by deterministic in-test judges (a fair one and a position-biased
 * one, whose verdicts are derived by hand below), and the same protocol over the fake OpenAI endpoint on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Judge, JudgePrompt } from '../../src/data/judge';
import { openAiRater } from '../../src/data/rater-openai';
import { combineOutcomes, judgePairs, PAIR_CRITERIA, PAIR_SYSTEM, pairPrompt, parseScorePair, type PairItem } from '../../src/eval/judge-pairwise';
import { startFakeOpenAi, type FakeOpenAi } from '../data/filter-fake-openai';

/** The two answers as the layout shows them. */
function answersIn(user: string): [string, string] {
  const a1 = /\[The Start of Assistant 1's Answer\]\n([\s\S]*?)\n\n\[The End of Assistant 1's Answer\]/.exec(user)![1];
  const a2 = /\[The Start of Assistant 2's Answer\]\n([\s\S]*?)\n\n\[The End of Assistant 2's Answer\]/.exec(user)![1];
  return [a1, a2];
}

/** Scores each answer by a number it states ("quality 7"), plus `bias` for whichever sits first. Deterministic. */
function scriptedJudge(bias = 0, prompts: JudgePrompt[] = []): Judge {
  const q = (a: string) => Number(/quality (\d+)/.exec(a)?.[1] ?? 'NaN');
  return {
    label: 'scripted',
    async rate(ps) {
      prompts.push(...ps);
      return ps.map((p) => {
        const [a1, a2] = answersIn(p.user);
        if (a1.includes('garbled') || a2.includes('garbled')) return 'I cannot score this.';
        return `${q(a1) + bias} ${q(a2)}\nAssistant 1 is ...`;
      });
    },
  };
}

const items: PairItem[] = [
  { id: 'k1', set: 'koala', question: 'Q1', a: 'quality 8', b: 'quality 5' },
  { id: 'k2', set: 'koala', question: 'Q2', a: 'quality 5', b: 'quality 5' },
  { id: 'v1', set: 'vicuna', question: 'Q3', a: 'quality 4', b: 'quality 6' },
  { id: 'v2', set: 'vicuna', question: 'Q4', a: 'quality 6', b: 'quality 5' },
  { id: 'v3', set: 'vicuna', question: 'Q5', a: 'garbled quality 9', b: 'quality 1' },
];

describe('AlpaGasus pairwise protocol', () => {
  it('lays the prompt out as eval.py gen_prompt does', () => {
    const p = pairPrompt('What is 2+2?', 'Four.', '4');
    expect(p.system).toBe('You are a helpful and precise assistant for checking the quality of the answer.');
    expect(p.user).toBe(`[Question]\nWhat is 2+2?\n\n[The Start of Assistant 1's Answer]\nFour.\n\n[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\n4\n\n[The End of Assistant 2's Answer]\n\n[System]\n${PAIR_CRITERIA}\n\n`);
    expect(PAIR_CRITERIA).toContain('scale of 1 to 10');
  });

  it('reads the score pair from the first line as parse_score does', () => {
    expect(parseScorePair('8 6\nAssistant 1 gave ...')).toEqual([8, 6]);
    expect(parseScorePair('8,6')).toEqual([8, 6]);
    expect(parseScorePair('7.5 9')).toEqual([7.5, 9]);
    // Python: '8, 6'.replace(',', ' ').split(' ') has three parts -> [-1, -1] (unreadable) in eval.py.
    expect(parseScorePair('8, 6')).toBeNull();
    expect(parseScorePair('Assistant 1: 8\nAssistant 2: 6')).toBeNull();
    expect(parseScorePair('8')).toBeNull();
    expect(parseScorePair('')).toBeNull();
  });

  it("counts two orders as the paper does: win = 2 wins or win+tie, tie = 2 ties or win+loss, lose = 2 losses or loss+tie", () => {
    const table: [Parameters<typeof combineOutcomes>[0], Parameters<typeof combineOutcomes>[1], string][] = [
      ['win', 'win', 'win'], ['win', 'tie', 'win'], ['tie', 'win', 'win'],
      ['tie', 'tie', 'tie'], ['win', 'lose', 'tie'], ['lose', 'win', 'tie'],
      ['lose', 'lose', 'lose'], ['lose', 'tie', 'lose'], ['tie', 'lose', 'lose'],
    ];
    for (const [a, b, want] of table) expect(combineOutcomes(a, b), `${a}+${b}`).toBe(want);
  });

  it('asks both orders and counts a fair judge', async () => {
    const prompts: JudgePrompt[] = [];
    const { judgements, summary } = await judgePairs({ items, judge: scriptedJudge(0, prompts), batchSize: 2 });
    expect(prompts).toHaveLength(10);
    // Order 1 puts A first, order 2 puts B first.
    expect(answersIn(prompts[0].user)).toEqual(['quality 8', 'quality 5']);
    expect(answersIn(prompts[1].user)).toEqual(['quality 5', 'quality 8']);
    // The second review scores [B, A]; it is stored as [A, B].
    expect(judgements[0]).toMatchObject({ id: 'k1', scoresAB: [8, 5], scoresBA: [8, 5], verdict: 'win' });
    expect(judgements.map((j) => j.verdict)).toEqual(['win', 'tie', 'lose', 'win', null]);
    expect(summary).toMatchObject({ n: 5, win: 2, tie: 1, lose: 1, unparsed: 1 });
    // (2 - 1) / 4 + 1
    expect(summary.winningScore).toBeCloseTo(1.25, 12);
    expect(summary.bySet.koala).toMatchObject({ n: 2, win: 1, tie: 1, lose: 0, unparsed: 0, winningScore: 1.5 });
    expect(summary.bySet.vicuna).toMatchObject({ n: 3, win: 1, tie: 0, lose: 1, unparsed: 1, winningScore: 1 });
  });

  it('cancels position bias: a judge adding +2 to whoever is first', async () => {
    // k1: AB 10 vs 5 (win), BA 7 vs 8 -> B first scores 5+2=7 < 8 (A wins) -> win.
    // k2: AB 7 vs 5 (win), BA 7 vs 5 -> B wins that order (lose) -> tie, where one order alone said win.
    // v1: AB 6 vs 6 (tie), BA 8 vs 4 (B wins: lose) -> lose.  v2: AB 8 vs 5 (win), BA 7 vs 6 (B: lose) -> tie.
    const { judgements, summary } = await judgePairs({ items: items.slice(0, 4), judge: scriptedJudge(2) });
    expect(judgements.map((j) => j.verdict)).toEqual(['win', 'tie', 'lose', 'tie']);
    expect(summary).toMatchObject({ win: 1, tie: 2, lose: 1, unparsed: 0, winningScore: 1 });
  });

  it('reuses earlier judgements by id and reports progress; stops on abort', async () => {
    const first = await judgePairs({ items: items.slice(0, 2), judge: scriptedJudge() });
    const prompts: JudgePrompt[] = [];
    const seen: number[] = [];
    const again = await judgePairs({ items: items.slice(0, 4), judge: scriptedJudge(0, prompts), previous: first.judgements, onProgress: (p) => seen.push(p.done) });
    expect(prompts).toHaveLength(4);
    expect(seen).toEqual([4]);
    expect(again.judgements.slice(0, 2)).toEqual(first.judgements);
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await expect(judgePairs({ items, judge: scriptedJudge(), signal: ac.signal })).rejects.toThrow('stopped');
  });
});

describe('the pairwise protocol over an OpenAI-compatible endpoint (fake, loopback)', () => {
  let fake: FakeOpenAi | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('sends system + layout at temperature 0 for both orders and counts the answers', async () => {
    fake = await startFakeOpenAi((user) => {
      const [a1, a2] = answersIn(user);
      return `${a1.length > a2.length ? 9 : 3} ${a1.length > a2.length ? 3 : 9}\nThe longer answer is better.`;
    });
    const judge = openAiRater({ baseUrl: fake.baseUrl, model: 'gpt-4-0613', retries: 0 });
    const pairs: PairItem[] = [
      { id: '1', set: 'wizardlm', question: 'Explain gravity.', a: 'Mass attracts mass, in proportion to both masses.', b: 'It pulls.' },
      { id: '2', set: 'wizardlm', question: 'Say hi.', a: 'Hi', b: 'Hello there!' },
    ];
    const { summary } = await judgePairs({ items: pairs, judge });
    expect(fake.requests).toHaveLength(4);
    for (const r of fake.requests) {
      expect(r).toMatchObject({ system: PAIR_SYSTEM, temperature: 0, model: 'gpt-4-0613' });
      expect(r.user.endsWith(`[System]\n${PAIR_CRITERIA}\n\n`)).toBe(true);
    }
    expect(new Set(fake.requests.map((r) => r.user))).toEqual(new Set([
      pairPrompt(pairs[0].question, pairs[0].a, pairs[0].b).user, pairPrompt(pairs[0].question, pairs[0].b, pairs[0].a).user,
      pairPrompt(pairs[1].question, pairs[1].a, pairs[1].b).user, pairPrompt(pairs[1].question, pairs[1].b, pairs[1].a).user,
    ]));
    expect(summary).toMatchObject({ n: 2, win: 1, tie: 0, lose: 1, winningScore: 1 });
    expect(summary.bySet.wizardlm.n).toBe(2);
  });
});
