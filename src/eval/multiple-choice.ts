/**
 * Multiple choice by log-likelihood, as LLaMA-Factory's MMLU / C-Eval / CMMLU evaluation (src/llamafactory/eval)
 * and Alpaca-CoT's MMCU evaluation score it: the prompt is the subject header, k solved examples from the dev split,
 * then the question with its lettered options and the answer cue; the model's next-token distribution is read at
 * the token of each option letter (the last token of encode("A")), and the likeliest letter is the prediction.
 * Templates are LLaMA-Factory's eval templates: 'zh' ("以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案。",
 * "\n答案：") for Chinese questions, 'en' ("The following are multiple choice questions (with answers) about
 * {subject}.", "\nAnswer:") otherwise. Accuracy is per item (micro) overall and per subject.
 * Not handled: chain-of-thought answers (exact-match.ts), normalising by option length, calibration.
 */
import type { McItem } from './mc-items';
import { LETTERS } from './mc-items';

export interface EvalTemplate {
  system: string;
  choice: (letter: string, content: string) => string;
  answer: string;
}

export const EVAL_TEMPLATES: Record<'en' | 'zh', EvalTemplate> = {
  en: { system: 'The following are multiple choice questions (with answers) about {subject}.\n\n', choice: (l, c) => `\n${l}. ${c}`, answer: '\nAnswer:' },
  zh: { system: '以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案。\n\n', choice: (l, c) => `\n${l}. ${c}`, answer: '\n答案：' },
};

const CJK = /[\u4e00-\u9fff]/;

export function templateFor(item: McItem): EvalTemplate {
  return CJK.test(item.question) ? EVAL_TEMPLATES.zh : EVAL_TEMPLATES.en;
}

/** The user turn of one item: question, options, answer cue (LLaMA-Factory EvalTemplate._parse_example). */
export function itemText(item: McItem, t: EvalTemplate): string {
  return item.question + item.options.map((o, i) => t.choice(LETTERS[i], o)).join('') + t.answer;
}

export interface McMessage {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * The turns LLaMA-Factory's format_example builds: each shot as a user turn and its answer letter as the assistant
 * turn, then the item; the subject header is prepended to the first user turn.
 */
export function mcMessages(item: McItem, shots: McItem[], t: EvalTemplate = templateFor(item)): McMessage[] {
  const msgs: McMessage[] = [];
  for (const s of shots) msgs.push({ role: 'user', content: itemText(s, t) }, { role: 'assistant', content: s.answer });
  msgs.push({ role: 'user', content: itemText(item, t) });
  msgs[0] = { ...msgs[0], content: t.system.replace('{subject}', item.subject.replace(/_/g, ' ')) + msgs[0].content };
  return msgs;
}

/** The turns as plain text for a base model: each shot's answer follows its cue after a space-free join. */
export function plainPrompt(msgs: McMessage[]): string {
  return msgs.map((m) => (m.role === 'assistant' ? `${m.content}\n\n` : m.content)).join('');
}

/** Next-token logits (V) after a prompt's ids: a model forward in practice, a function of the ids in tests. */
export type NextTokenLogits = (ids: number[], signal?: AbortSignal) => Promise<Float32Array>;

export interface McTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
}

export interface McPrediction {
  id: string;
  subject: string;
  answer: string;
  prediction: string;
  correct: boolean;
  /** log p(letter | prompt) for each option letter. */
  logprobs: Record<string, number>;
  shots: number;
  promptTokens: number;
}

export interface SubjectScore {
  n: number;
  correct: number;
  accuracy: number;
}

export interface McResult {
  n: number;
  correct: number;
  accuracy: number;
  bySubject: Record<string, SubjectScore>;
  predictions: McPrediction[];
}

export interface McOptions {
  items: McItem[];
  /** Dev items to draw k-shot examples from: the same subject's first k (as LLaMA-Factory's support set). */
  dev?: McItem[];
  shots?: number;
  tokenizer: McTokenizer;
  logits: NextTokenLogits;
  /** Renders the turns to prompt text; default plainPrompt. A chat model passes its chat template here. */
  render?: (msgs: McMessage[]) => string;
  /** Whether encode adds special tokens (bos) to the rendered text; default true (false suits chat templates). */
  addSpecialTokens?: boolean;
  /** Longest prompt in tokens: shots are dropped (last first) until it fits, then the prompt is cut from the left. */
  maxPromptTokens?: number;
  onPrediction?: (p: McPrediction, done: number, total: number) => void | Promise<void>;
  signal?: AbortSignal;
}

/** log-softmax of logits at `ids`, computed stably in f64. */
export function logProbsAt(logits: Float32Array, ids: number[]): number[] {
  let max = -Infinity;
  for (const z of logits) if (z > max) max = z;
  let sum = 0;
  for (const z of logits) sum += Math.exp(z - max);
  const lse = max + Math.log(sum);
  return ids.map((i) => logits[i] - lse);
}

/** The token id each letter is scored at: the last id of encode(letter) (LLaMA-Factory's choice_inputs). */
export function letterIds(tok: McTokenizer, n: number): number[] {
  return LETTERS.slice(0, n).map((l) => {
    const ids = tok.encode(l, { addSpecialTokens: false });
    if (!ids.length) throw new Error(`the tokenizer encodes '${l}' to no tokens`);
    return ids[ids.length - 1];
  });
}

export function scoreTable(preds: McPrediction[]): Omit<McResult, 'predictions'> {
  const bySubject: Record<string, SubjectScore> = {};
  for (const p of preds) {
    const s = (bySubject[p.subject] ??= { n: 0, correct: 0, accuracy: 0 });
    s.n++;
    if (p.correct) s.correct++;
  }
  for (const s of Object.values(bySubject)) s.accuracy = s.correct / s.n;
  const correct = preds.filter((p) => p.correct).length;
  return { n: preds.length, correct, accuracy: preds.length ? correct / preds.length : 0, bySubject };
}

export async function evaluateMultipleChoice(o: McOptions): Promise<McResult> {
  const k = o.shots ?? 0;
  const render = o.render ?? plainPrompt;
  const special = o.addSpecialTokens ?? true;
  const devBySubject = new Map<string, McItem[]>();
  for (const d of o.dev ?? []) devBySubject.set(d.subject, [...(devBySubject.get(d.subject) ?? []), d]);
  if (k > 0 && !o.dev?.length) throw new Error(`${k}-shot evaluation needs dev items to draw the examples from`);
  const predictions: McPrediction[] = [];
  for (const item of o.items) {
    o.signal?.throwIfAborted();
    // The subject's own dev items, else any (a single dev file for a single-subject test file).
    const pool = (devBySubject.get(item.subject) ?? o.dev ?? []).filter((d) => d !== item); // never the item itself (dev and test ids may coincide)
    let shots = pool.slice(0, k);
    let ids = o.tokenizer.encode(render(mcMessages(item, shots)), { addSpecialTokens: special });
    while (o.maxPromptTokens && ids.length > o.maxPromptTokens && shots.length) {
      shots = shots.slice(0, -1);
      ids = o.tokenizer.encode(render(mcMessages(item, shots)), { addSpecialTokens: special });
    }
    if (o.maxPromptTokens && ids.length > o.maxPromptTokens) ids = ids.slice(ids.length - o.maxPromptTokens);
    const letters = LETTERS.slice(0, item.options.length);
    const lp = logProbsAt(await o.logits(ids, o.signal), letterIds(o.tokenizer, letters.length));
    let best = 0;
    for (let i = 1; i < lp.length; i++) if (lp[i] > lp[best]) best = i;
    const p: McPrediction = {
      id: item.id, subject: item.subject, answer: item.answer, prediction: letters[best], correct: letters[best] === item.answer,
      logprobs: Object.fromEntries(letters.map((l, i) => [l, lp[i]])), shots: shots.length, promptTokens: ids.length,
    };
    predictions.push(p);
    await o.onPrediction?.(p, predictions.length, o.items.length);
  }
  return { ...scoreTable(predictions), predictions };
}
