/**
 * Pairwise LLM judging with AlpaGasus's protocol (Chen et al. 2023; gpt4life/alpagasus `evaluation/eval.py`, which
 * follows the Vicuna GPT-4 review prompt): the judge sees the question and two assistants' answers, scores each
 * 1-10 on the first line ("8 6"), and is asked twice with the answers swapped (run_eval.sh runs eval.py with
 * -k1 alpaca -k2 alpagasus, then -k1 alpagasus -k2 alpaca) to cancel position bias. Counting is the paper's
 * (§4 "evaluation metrics"): per question, with each order a win, tie or loss for A,
 *   win  = A wins both orders, or wins one and ties the other;
 *   tie  = A ties both, or wins one and loses the other;
 *   lose = A loses both, or loses one and ties the other.
 * The winning score is (#win - #lose) / #questions + 1 (lichang-chen.github.io/AlpaGasus). A question whose review
 * has no readable score pair in either order is counted as `unparsed` and left out of win/tie/lose (AlpaGasus wrote
 * [-1, -1] and asked for a manual fix). Not handled: the judge's explanation, multi-turn questions.
 */
import { pyFloat } from '../data/filter';
import type { Judge, JudgePrompt } from '../data/judge';

/** eval.py `gen_prompt`: sys_prompt. */
export const PAIR_SYSTEM = 'You are a helpful and precise assistant for checking the quality of the answer.';

/** eval.py `gen_prompt`: criteria. */
export const PAIR_CRITERIA =
  'We would like to request your feedback on the performance of two AI assistants in response to the user question displayed above.\n' +
  'Please rate the helpfulness, relevance, accuracy, level of details of their responses. Each assistant receives an overall score on a scale of 1 to 10, where a higher score indicates better overall performance.\n' +
  'Please first output a single line containing only two values indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias and ensuring that the order in which the responses were presented does not affect your judgment.';

/** eval.py `gen_prompt`: the layout (prompt_template). */
export function pairPrompt(question: string, answer1: string, answer2: string): JudgePrompt {
  return {
    system: PAIR_SYSTEM,
    user: `[Question]\n${question}\n\n[The Start of Assistant 1's Answer]\n${answer1}\n\n[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\n${answer2}\n\n[The End of Assistant 2's Answer]\n\n[System]\n${PAIR_CRITERIA}\n\n`,
  };
}

/**
 * eval.py `parse_score`: the first line, commas turned into spaces, split on single spaces; exactly two parts, each
 * a Python float, else null (their [-1, -1]). So "8 6" and "8,6" read, "8, 6" (three parts) and "8  6" do not.
 */
export function parseScorePair(review: string): [number, number] | null {
  const sp = review.split('\n')[0].replace(/,/g, ' ').split(' ');
  if (sp.length !== 2) return null;
  const a = pyFloat(sp[0]), b = pyFloat(sp[1]);
  return a === null || b === null || Number.isNaN(a) || Number.isNaN(b) ? null : [a, b];
}

export type Outcome = 'win' | 'tie' | 'lose';

/** One order's outcome for the assistant scored `mine` against `theirs`. */
export function outcome(mine: number, theirs: number): Outcome {
  return mine > theirs ? 'win' : mine < theirs ? 'lose' : 'tie';
}

/** The paper's rule for the two orders (see the header): the sum of +1 / 0 / -1 decides. */
export function combineOutcomes(first: Outcome, second: Outcome): Outcome {
  const v = (o: Outcome) => (o === 'win' ? 1 : o === 'lose' ? -1 : 0);
  const s = v(first) + v(second);
  return s > 0 ? 'win' : s < 0 ? 'lose' : 'tie';
}

export interface PairItem {
  id: string;
  /** The question as the judge sees it (Self-Instruct: "instruction Input: input", as eval.py builds it). */
  question: string;
  /** Model A's answer (the one win/tie/lose is counted for) and model B's. */
  a: string;
  b: string;
  /** Test set name for per-set counts ('koala', 'vicuna', ...); '' when unknown. */
  set?: string;
}

export interface PairJudgement {
  id: string;
  set: string;
  /** The judge's answers with A as assistant 1, and with B as assistant 1. */
  reviewAB: string;
  reviewBA: string;
  /** Scores [A, B] read from each review, null when unreadable. */
  scoresAB: [number, number] | null;
  scoresBA: [number, number] | null;
  /** For A; null when either review had no readable scores. */
  verdict: Outcome | null;
}

export interface Tally {
  n: number;
  win: number;
  tie: number;
  lose: number;
  unparsed: number;
  /** (win - lose) / (win + tie + lose) + 1, in [0, 2]; null with nothing counted. */
  winningScore: number | null;
}

export interface PairSummary extends Tally {
  bySet: Record<string, Tally>;
}

export function judgementOf(item: PairItem, reviewAB: string, reviewBA: string): PairJudgement {
  const ab = parseScorePair(reviewAB);
  const baRaw = parseScorePair(reviewBA);
  // The second review scores [B, A]; stored as [A, B] so both read the same way.
  const ba: [number, number] | null = baRaw ? [baRaw[1], baRaw[0]] : null;
  const verdict = ab && ba ? combineOutcomes(outcome(ab[0], ab[1]), outcome(ba[0], ba[1])) : null;
  return { id: item.id, set: item.set ?? '', reviewAB, reviewBA, scoresAB: ab, scoresBA: ba, verdict };
}

function tally(js: PairJudgement[]): Tally {
  const t = { n: js.length, win: 0, tie: 0, lose: 0, unparsed: 0 };
  for (const j of js) {
    if (j.verdict === null) t.unparsed++;
    else t[j.verdict]++;
  }
  const counted = t.win + t.tie + t.lose;
  return { ...t, winningScore: counted ? (t.win - t.lose) / counted + 1 : null };
}

export function summarize(js: PairJudgement[]): PairSummary {
  const sets = [...new Set(js.map((j) => j.set))];
  return { ...tally(js), bySet: Object.fromEntries(sets.map((s) => [s || '?', tally(js.filter((j) => j.set === s))])) };
}

export interface JudgePairsOptions {
  items: PairItem[];
  judge: Judge;
  /** Questions per judge call (each sends 2 prompts). Default 4. */
  batchSize?: number;
  /** Judgements from an earlier run, by id: those questions are not asked again. */
  previous?: PairJudgement[];
  /** After each batch: append them to a file so an interrupted run loses at most a batch. */
  onJudgements?: (js: PairJudgement[]) => Promise<void> | void;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

/** Asks the judge both orders for every item; returns the judgements in item order and their summary. */
export async function judgePairs(o: JudgePairsOptions): Promise<{ judgements: PairJudgement[]; summary: PairSummary }> {
  const bs = o.batchSize ?? 4;
  if (!(bs >= 1)) throw new Error(`batchSize must be >= 1, got ${bs}`);
  const prev = new Map((o.previous ?? []).map((j) => [j.id, j]));
  const byId = new Map<string, PairJudgement>();
  for (const it of o.items) {
    const p = prev.get(it.id);
    if (p) byId.set(it.id, p);
  }
  const todo = o.items.filter((it) => !byId.has(it.id));
  for (let at = 0; at < todo.length; at += bs) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(at, at + bs);
    const prompts = batch.flatMap((it) => [pairPrompt(it.question, it.a, it.b), pairPrompt(it.question, it.b, it.a)]);
    const answers = await o.judge.rate(prompts, o.signal);
    if (answers.length !== prompts.length) throw new Error(`${o.judge.label} answered ${answers.length} prompts of ${prompts.length}`);
    const js = batch.map((it, k) => judgementOf(it, answers[2 * k], answers[2 * k + 1]));
    for (const j of js) byId.set(j.id, j);
    await o.onJudgements?.(js);
    o.onProgress?.({ done: byId.size, total: o.items.length });
  }
  const judgements = o.items.map((it) => byId.get(it.id)!);
  return { judgements, summary: summarize(judgements) };
}
