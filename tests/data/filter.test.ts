/**
 * AlpaGasus filtering: parse_score cases from gpt4life/alpagasus rating/filter.py (including its 'Score:' first-
 * character quirk), the exact prompt, the histogram, thresholds, resume from the scores file without re-rating
 * (requests counted), and the OpenAI-compatible rater against a fake endpoint on loopback (retries, clear errors).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  filterRecords, parseScore, parseScoresJsonl, pyFloat, ratingPrompt, scoreHistogram, scoreLineJson, type Rater, type RatingPrompt, type ScoreLine,
} from '../../src/data/filter';
import { openAiRater, RaterError } from '../../src/data/rater-openai';
import type { InstructionRecord } from '../../src/data/records';
import { startFakeOpenAi, type FakeOpenAi } from './filter-fake-openai';

describe('parseScore (AlpaGasus parse_score)', () => {
  it.each([
    // The example review in rating/chatgpt_rating.py's commented-out main: 3.5.
    ['3.5\n\nThe response provides a basic understanding of the difference between individual and societal performance.', 3.5],
    ['5', 5],
    ['4.5\r\nGood.', 4.5], // Python's float() strips the '\r' left by split('\n')
    ['  4  \nok', 4],
    ['The score: 4.5\nbecause', 4.5], // first line fails; text after 'score:' to the line end
    ['Score:4.5\nbecause', 4], // the quirk: only the first character after 'Score:' is read
    ['\nScore:\n3 points', 3], // strip('\n') then the first character
    ['Score: 4', -1], // Python raised here (float(' ')); -1 drops it the same way
    ['I would rate it 4 out of 5.', -1],
    ['4.0/5\nScore:5', 5],
  ])('%j -> %d', (review, score) => {
    expect(parseScore(review)).toBe(score);
  });

  it('nan parses to NaN, which no threshold keeps', () => {
    expect(parseScore('nan\nweird')).toBeNaN();
  });

  it('pyFloat accepts what Python float() accepts', () => {
    expect([pyFloat('.5'), pyFloat('5.'), pyFloat('+1e1'), pyFloat('1_0'), pyFloat('-inf'), pyFloat(' 2 ')]).toEqual([0.5, 5, 10, 10, -Infinity, 2]);
    expect([pyFloat(''), pyFloat('1__0'), pyFloat('4/5'), pyFloat('0x10'), pyFloat('.')]).toEqual([null, null, null, null, null]);
  });
});

const rec = (i: number): InstructionRecord => ({ instruction: `Task ${i}`, input: i % 2 ? `ctx ${i}` : '', output: `Answer ${i}` });

describe('the rating prompt', () => {
  it('is the AlpaGasus system prompt, triplet and accuracy request', () => {
    const p = ratingPrompt({ instruction: 'Add 2 and 3.', input: '', output: '5' });
    expect(p.system).toBe('We would like to request your feedback on the performance of AI assistant in response to the instruction and the given input displayed following.');
    expect(p.user).toBe(
      '###Instruction:\nAdd 2 and 3.\n\n### Input:\n\n\n### Response:\n5\n\n' +
        'Please rate according to the accuracy of the response to the instruction and the input. Each assistant receives a score on a scale of 0 to 5, where a higher score indicates higher level of the accuracy. Please first output a single line containing value indicating the scores. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias. \n\n',
    );
  });

  it('rates a multi-turn record on its last assistant reply', () => {
    const p = ratingPrompt({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: '2+2?' }, { role: 'assistant', content: '4' }] });
    expect(p.user.startsWith('###Instruction:\nUser: Hi\nAssistant: Hello\nUser: 2+2?\n\n### Input:\n\n\n### Response:\n4\n\n')).toBe(true);
  });
});

describe('scoreHistogram', () => {
  it('counts 0..5 in 0.5 bins; out of range, -1 and NaN are unparsed', () => {
    const h = scoreHistogram([0, 0.4, 0.5, 4.5, 4.9, 5, 5, -1, 6, NaN, 3]);
    expect(h.bins.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 0, 1, 0, 0, 2, 2]);
    expect(h.bins.map((b) => b.score)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(h.unparsed).toBe(3);
  });
});

/** A deterministic rater: record i scores SCORES[i % 5], counting prompts. */
const SCORES = ['5', '4.5\nfine', '4', 'Score:3 meh', 'no idea'];
function fakeRater(): Rater & { prompts: RatingPrompt[]; calls: number } {
  const r = {
    label: 'fake',
    prompts: [] as RatingPrompt[],
    calls: 0,
    async rate(ps: RatingPrompt[]) {
      r.calls++;
      r.prompts.push(...ps);
      return ps.map((p) => SCORES[Number(/Task (\d+)/.exec(p.user)![1]) % 5]);
    },
  };
  return r;
}

describe('filterRecords', () => {
  const records = Array.from({ length: 12 }, (_, i) => rec(i));

  it('keeps score >= threshold in input order, with histogram; batches the rater', async () => {
    const rater = fakeRater();
    const saved: ScoreLine[] = [];
    const r = await filterRecords({ records, rater, batchSize: 5, onScores: (l) => void saved.push(...l) });
    // scores by i % 5: 5, 4.5, 4, 3, -1
    expect(r.keptIndices).toEqual([0, 1, 5, 6, 10, 11]);
    expect(r.kept[2]).toEqual(rec(5));
    expect(rater.calls).toBe(3); // 5 + 5 + 2
    expect(saved.map((l) => l.index)).toEqual([...Array(12).keys()]);
    expect(r.histogram.bins.find((b) => b.score === 5)!.count).toBe(3);
    expect(r.histogram.bins.find((b) => b.score === 3)!.count).toBe(2);
    expect(r.histogram.unparsed).toBe(2);
    const at4 = await filterRecords({ records, rater: fakeRater(), threshold: 4 });
    expect(at4.keptIndices).toEqual([0, 1, 2, 5, 6, 7, 10, 11]);
  });

  it('a rerun from the saved scores rates nothing; an edited record alone is rated again', async () => {
    const first = fakeRater();
    const lines: string[] = [];
    await filterRecords({ records, rater: first, onScores: (ls) => void lines.push(...ls.map(scoreLineJson)) });
    // A crash mid-append leaves a torn last line: skipped, that record is rated again.
    const file = lines.slice(0, 11).join('\n') + '\n' + lines[11].slice(0, 10);
    const { lines: previous, skipped } = parseScoresJsonl(file);
    expect(skipped).toBe(1);
    const edited = records.map((r, i) => (i === 3 ? { ...r, output: 'changed' } : r));
    const second = fakeRater();
    const r = await filterRecords({ records: edited, rater: second, previous });
    expect(second.prompts.map((p) => /Task (\d+)/.exec(p.user)![1])).toEqual(['3', '11']);
    expect([r.rated, r.reused]).toEqual([2, 10]);
    const third = fakeRater();
    await filterRecords({ records, rater: third, previous: parseScoresJsonl(lines.join('\n')).lines });
    expect(third.calls).toBe(0);
  });
});

describe('openAiRater against a fake endpoint on loopback', () => {
  let fake: FakeOpenAi | null = null;
  afterEach(async () => {
    await fake?.close();
    fake = null;
  });
  const noSleep = async () => undefined;
  // The fake judges by the record number in the triplet: even -> 5, odd -> 2.
  const judge = (user: string) => (Number(/Task (\d+)/.exec(user)![1]) % 2 ? '2\nwrong' : '5\nexact');

  it('sends the AlpaGasus messages with the key and temperature 0; filters through it', async () => {
    fake = await startFakeOpenAi(judge, { key: 'sk-test' });
    const rater = openAiRater({ baseUrl: fake.baseUrl, apiKey: 'sk-test', model: 'judge-1', sleep: noSleep });
    const r = await filterRecords({ records: [rec(0), rec(1), rec(2)], rater });
    expect(r.keptIndices).toEqual([0, 2]);
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[0]).toMatchObject({ auth: 'Bearer sk-test', model: 'judge-1', temperature: 0, system: ratingPrompt(rec(0)).system });
    expect(fake.requests.map((q) => q.user).sort()).toEqual([0, 1, 2].map((i) => ratingPrompt(rec(i)).user).sort());
    expect(rater.label).not.toContain('sk-test');
  });

  it('retries a 429 (Retry-After) and a 500, then succeeds', async () => {
    fake = await startFakeOpenAi(judge);
    fake.failNext.push({ status: 429, retryAfter: '2' }, { status: 503 });
    const waits: number[] = [];
    const rater = openAiRater({ baseUrl: fake.baseUrl, retryDelayMs: 10, sleep: async (ms) => void waits.push(ms) });
    expect(await rater.rate([ratingPrompt(rec(0))])).toEqual(['5\nexact']);
    expect(fake.requests).toHaveLength(3);
    expect(waits).toEqual([2000, 20]); // Retry-After 2 s beats 10 ms; then the doubled 20 ms
  });

  it('401 fails at once with a clear error that does not leak the key', async () => {
    fake = await startFakeOpenAi(judge, { key: 'sk-right' });
    const rater = openAiRater({ baseUrl: fake.baseUrl, apiKey: 'sk-wrong-secret', sleep: noSleep });
    const err = await rater.rate([ratingPrompt(rec(0))]).catch((e) => e);
    expect(err).toBeInstanceOf(RaterError);
    expect(err.message).toMatch(/HTTP 401: the API key was rejected.*Incorrect API key provided/);
    expect(err.message).not.toContain('sk-wrong-secret');
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up on a persistent 5xx after the retries; a non-chat answer and a wrong URL are clear errors', async () => {
    fake = await startFakeOpenAi(judge);
    fake.failNext.push({ status: 500 }, { status: 500 }, { status: 500 });
    const rater = openAiRater({ baseUrl: fake.baseUrl, retries: 2, sleep: noSleep });
    await expect(rater.rate([ratingPrompt(rec(0))])).rejects.toThrow(/HTTP 500.*gave up after 3 attempts/);
    await expect(openAiRater({ baseUrl: fake.baseUrl.replace('/v1', '/v2'), sleep: noSleep }).rate([ratingPrompt(rec(0))])).rejects.toThrow(/HTTP 404: no chat-completions endpoint here/);
    await fake.close();
    fake = await startFakeOpenAi(judge, { malformed: true });
    await expect(openAiRater({ baseUrl: fake.baseUrl }).rate([ratingPrompt(rec(0))])).rejects.toThrow(/no choices\[0\]\.message\.content/);
  });
});
