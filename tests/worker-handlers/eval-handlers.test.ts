/**
 * The eval worker's handlers (wasm, the embedded tiny model): a multiple-choice CSV scores exactly as the library
 * does in-process on the same model (per-item progress 1..n in order, a plain-data result with the per-subject
 * table and per-item JSON Lines); batch prediction streams its lines in progress events and a rerun with their ids
 * generates nothing; an abort rejects with AbortError and leaves the worker free for the next call; the judge on
 * two predictions files with this model counts every question once; the ablation of a two-source mix trains the
 * base and the w/o variant and returns its report; bad input is one clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import type { Model } from '../../src/model/types';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { parseMcCsv } from '../../src/eval/mc-items';
import { nextTokenLogits } from '../../src/eval/model-scoring';
import { evaluateMultipleChoice } from '../../src/eval/multiple-choice';
import type { EvalApi, EvalProgress, PredictionRecord } from '../../src/protocol/eval-api';
import type { BackendChoice } from '../../src/protocol/train-api';
import { createEvalHandlers } from '../../src/worker-handlers/eval-handlers';
import { arithmeticJsonl, plain, tinyFiles, tinyInProcess } from './tiny-session';

const CSV = ',Question,A,B,C,D,Answer\n0,What is 2 plus 2?,3,4,5,6,B\n1,What is 1 plus 5?,6,7,8,9,A\n2,What is 3 plus 3?,5,9,6,1,C\n';
const PROMPTS = [2, 4, 6, 1, 3, 5].map((n) => `What is ${n} plus 3?`).map((q, i) => JSON.stringify({ id: `q${i}`, instruction: q, input: '' })).join('\n');

const quiet = () => ({ signal: new AbortController().signal, progress: () => undefined });

function recorder() {
  const events: EvalProgress[] = [];
  const ctrl = new AbortController();
  return { events, ctrl, ctx: { signal: ctrl.signal, progress: (e: EvalProgress) => void events.push(e) } };
}

describe('eval worker handlers (wasm, embedded tiny model)', () => {
  let backend: Promise<BackendChoice>;
  let model: Model, tok: TextTokenizer;
  const h = () => plain<EvalApi>(createEvalHandlers(backend));

  beforeAll(async () => {
    backend = initBackend({ prefer: ['wasm'] });
    await backend;
    ({ model, tok } = await tinyInProcess());
  }, 60_000);
  afterAll(() => model.dispose());

  it('multiple choice: the library result in-process, progress 1..n in order, plain data back', async () => {
    const api = h();
    await api.loadModel({ files: tinyFiles(), label: 'tiny' }, quiet());
    const r = recorder();
    const res = await api.benchmark({ data: { name: 'arith.csv', text: CSV }, shots: 0, withAdapter: false }, r.ctx);
    const want = await evaluateMultipleChoice({ items: parseMcCsv(CSV, 'arith.csv').items, tokenizer: tok, logits: nextTokenLogits(model), maxPromptTokens: model.config.maxPositions });
    expect(r.events).toEqual([1, 2, 3].map((done) => ({ phase: 'multiple-choice', done, total: 3 })));
    expect(res).toMatchObject({ task: 'multiple-choice', n: 3, correct: want.correct, accuracy: want.accuracy, bySubject: { arith: want.bySubject.arith }, skipped: 0 });
    const lines = res.jsonl.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.id, l.prediction])).toEqual(want.predictions.map((p) => [p.id, p.prediction]));
    expect(structuredClone(res)).toEqual(res); // crosses the worker boundary as it is

    await expect(api.benchmark({ data: { name: 'arith.csv', text: CSV }, shots: 2, withAdapter: false }, recorder().ctx)).rejects.toThrow(/needs a dev file/);
    await expect(api.benchmark({ data: { name: 'arith.csv', text: CSV }, shots: 0, withAdapter: true }, recorder().ctx)).rejects.toThrow(/no adapter yet/);
  }, 60_000);

  it('predict streams its lines; a rerun with their ids skips them; abort rejects and frees the worker', async () => {
    const api = h();
    await api.loadModel({ files: tinyFiles(), label: 'tiny' }, quiet());
    const params = { data: { name: 'p.jsonl', text: PROMPTS }, withAdapter: false, maxNewTokens: 4 };

    const stopped = recorder();
    const run = api.predict(params, { ...stopped.ctx, progress: (e) => (stopped.events.push(e), e.lines && stopped.ctrl.abort()) });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const kept: PredictionRecord[] = stopped.events.flatMap((e) => e.lines ?? []);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(6); // the first batch (4 rows), then the abort

    const r = recorder();
    const res = await api.predict({ ...params, done: kept.map((l) => l.id) }, r.ctx);
    expect(res).toEqual({ generated: 6 - kept.length, skipped: kept.length });
    const fresh = r.events.flatMap((e) => e.lines ?? []);
    expect([...kept, ...fresh].map((l) => l.id).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
    expect(r.events[0]).toEqual({ phase: 'predict p.jsonl', done: kept.length, total: 6 });
    expect(r.events.at(-1)).toMatchObject({ done: 6, total: 6 });
    for (const l of fresh) expect(l).toMatchObject({ question: expect.any(String), output: expect.any(String), finish_reason: expect.any(String) });
  }, 60_000);

  it("judge: two predictions files, this tab's model, every question counted once", async () => {
    const api = h();
    await api.loadModel({ files: tinyFiles(), label: 'tiny' }, quiet());
    const file = (outs: string[]) => outs.map((output, i) => JSON.stringify({ id: `k${i}`, question: `Name a colour (${i}).`, output, set: 'koala' })).join('\n');
    const r = recorder();
    const res = await api.judge({ mode: 'files', a: { name: 'a.jsonl', text: file(['Blue.', 'Red.']) }, b: { name: 'b.jsonl', text: file(['I do not know.', '']) }, backend: { kind: 'local' }, maxNewTokens: 4 }, r.ctx);
    expect(r.events).toEqual([{ phase: 'judge', done: 1, total: 2 }, { phase: 'judge', done: 2, total: 2 }]);
    const s = res.summary;
    expect(s.n).toBe(2);
    expect(s.win + s.tie + s.lose + s.unparsed).toBe(2);
    expect(s.bySet.koala.n).toBe(2);
    expect(res.judge).toBe("this tab's model");
    expect(res.jsonl.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['k0', 'k1']);

    await expect(api.judge({ mode: 'files', a: { name: 'a.jsonl', text: file(['x', 'y']) }, b: { name: 'b.jsonl', text: file(['x']) }, backend: { kind: 'local' } }, recorder().ctx)).rejects.toThrow(/1 of 2 ids in a.jsonl are not in b.jsonl/);
    await expect(api.judge({ mode: 'files', a: { name: 'a.jsonl', text: 'x' }, b: { name: 'b.jsonl', text: 'x' }, backend: { kind: 'endpoint', baseUrl: 'ftp://x', model: '', apiKey: '' } }, recorder().ctx)).rejects.toThrow(/http\(s\) URL/);
  }, 60_000);

  it('ablate: base and w/o variant on the same held-out records, progress per phase, the HTML report', async () => {
    const api = h();
    await api.loadModel({ files: tinyFiles(), label: 'tiny' }, quiet());
    const lines = arithmeticJsonl().split('\n');
    const r = recorder();
    const res = await api.ablate({
      name: 'a + b', sources: { a: lines.slice(0, 6).join('\n'), b: lines.slice(6).join('\n') }, base: ['a', 'b'], changes: [{ without: 'b' }],
      peft: { method: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], useRslora: false, useDora: false, virtualTokens: 8 },
      train: { maxSteps: 2, batchSize: 2, cutoffLen: 48, evalSplit: 0.34, evalEvery: 0, warmupSteps: 0, seed: 7 }, promptFormat: 'alpaca', trainOnInputs: false,
    }, r.ctx);
    expect(res.result.variants.map((v) => [v.id, v.sources, v.steps])).toEqual([['base', ['a', 'b'], 2], ['without-b', ['a'], 2]]);
    // 2 of 6 records held out per source (0.34 of 6, rounded down), the same for both variants.
    expect(res.result.heldOut.bySource).toEqual({ a: 2, b: 2 });
    expect(res.result.variants[1].heldOut.bySource.b.n).toBe(res.result.variants[0].heldOut.bySource.b.n);
    expect(res.html).toMatch(/^<!doctype html>/i);
    expect(res.html).toContain('w/o b');
    expect(r.events[0].phase).toBe('base (1 of 2): train');
    expect(r.events.some((e) => e.phase === 'without-b (2 of 2): held-out')).toBe(true);
    expect(structuredClone(res)).toEqual(res);
  }, 60_000);
});
