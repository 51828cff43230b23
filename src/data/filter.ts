/**
 * AlpaGasus filtering (Chen et al. 2023, "AlpaGasus: Training a Better Alpaca with Fewer Data"): a rater LLM scores
 * every (instruction, input, response) triplet 0-5 for accuracy and only records scoring >= 4.5 are kept. The prompt
 * (system + triplet + rating request, score on the first line) is the one in gpt4life/alpagasus
 * `rating/chatgpt_rating.py` (accuracy variant); parseScore follows `parse_score` in `rating/filter.py`, and the keep
 * rule `score >= T` (default 4.5) its main. Scores are saved as JSONL {index, score, raw, fp} beside the records, so
 * a rerun reuses them and pays only for the rest. Not handled: the helpfulness variant, rating in parallel batches.
 */
import type { Judge, JudgePrompt } from './judge';
import { isMessagesRecord, type UnifiedRecord } from './records';

/** gpt4life/alpagasus rating/chatgpt_rating.py: `system_prompt`. */
export const ALPAGASUS_SYSTEM = 'We would like to request your feedback on the performance of AI assistant in response to the instruction and the given input displayed following.';

/** gpt4life/alpagasus rating/chatgpt_rating.py: `user_prompt` (accuracy), appended after the triplet. */
export const ALPAGASUS_RATING_REQUEST =
  'Please rate according to the accuracy of the response to the instruction and the input. Each assistant receives a score on a scale of 0 to 5, where a higher score indicates higher level of the accuracy. Please first output a single line containing value indicating the scores. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias. \n\n';

export const DEFAULT_THRESHOLD = 4.5;

/** The filter's rater is a Judge (judge.ts): the same backends rate records and judge pairs. */
export type RatingPrompt = JudgePrompt;
export type Rater = Judge;

/**
 * The triplet as AlpaGasus writes it (note '###Instruction' without a space, '### Input' with one). A multi-turn
 * record is rated on its last assistant reply, with the turns before it as the instruction.
 */
export function ratingTriplet(r: UnifiedRecord): string {
  if (!isMessagesRecord(r)) return `###Instruction:\n${r.instruction}\n\n### Input:\n${r.input}\n\n### Response:\n${r.output}\n\n`;
  const last = r.messages.map((m) => m.role).lastIndexOf('assistant');
  const before = r.messages.slice(0, last).map((m) => `${m.role[0].toUpperCase()}${m.role.slice(1)}: ${m.content}`).join('\n');
  return `###Instruction:\n${before}\n\n### Input:\n\n\n### Response:\n${r.messages[last].content}\n\n`;
}

export function ratingPrompt(r: UnifiedRecord): RatingPrompt {
  return { system: ALPAGASUS_SYSTEM, user: ratingTriplet(r) + ALPAGASUS_RATING_REQUEST };
}

/** Python's float(str): surrounding whitespace, sign, '.5', '5.', exponents, '_' between digits, inf and nan. */
export function pyFloat(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(t)) return Number(t.replace(/_/g, ''));
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (!m) return null;
  if (m[2].toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/**
 * AlpaGasus `parse_score`: the first line as a float; else the text after 'score:' up to the line end; else (a
 * quirk kept on purpose) only the FIRST character after 'Score:' (so 'Score:4.5' reads 4); else -1. Where Python
 * raised inside the fallback ('Score: 4' gives float(' ')), this returns -1, which the threshold drops as well.
 */
export function parseScore(review: string): number {
  const first = pyFloat(review.split('\n')[0]);
  if (first !== null) return first;
  if (review.includes('score:')) return pyFloat(review.split('score:')[1].split('\n')[0]) ?? -1;
  if (review.includes('Score:')) {
    const rest = review.split('Score:')[1].replace(/^\n+|\n+$/g, '');
    return (rest.length ? pyFloat(rest[0]) : null) ?? -1;
  }
  return -1;
}

/** One line of the scores file. */
export interface ScoreLine {
  /** 0-based position of the record in the input. */
  index: number;
  score: number;
  /** The rater's whole answer. */
  raw: string;
  /** Fingerprint of the rated record: a score is reused only for the same record at the same index. */
  fp: string;
}

/** FNV-1a (32 bit) of the record's JSON, as 8 hex digits. */
export function recordFingerprint(r: UnifiedRecord): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify(r);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Reads a scores file; unreadable lines (a crash mid-append) are skipped and counted; later lines win. */
export function parseScoresJsonl(text: string): { lines: ScoreLine[]; skipped: number } {
  const byIndex = new Map<number, ScoreLine>();
  let skipped = 0;
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      const o = JSON.parse(raw) as ScoreLine;
      // JSON has no NaN/Infinity: those scores are written as null and read back as NaN.
      if (!Number.isInteger(o.index) || o.index < 0 || typeof o.raw !== 'string' || typeof o.fp !== 'string') throw new Error('bad line');
      byIndex.set(o.index, { index: o.index, score: typeof o.score === 'number' ? o.score : NaN, raw: o.raw, fp: o.fp });
    } catch {
      skipped++;
    }
  }
  return { lines: [...byIndex.values()].sort((a, b) => a.index - b.index), skipped };
}

export function scoreLineJson(l: ScoreLine): string {
  return JSON.stringify({ index: l.index, score: Number.isFinite(l.score) ? l.score : null, raw: l.raw, fp: l.fp });
}

export interface Histogram {
  /** 0, 0.5, ..., 5: the count of scores s with score <= s < score + 0.5 (the last bin holds exactly 5). */
  bins: { score: number; count: number }[];
  /** Scores outside [0, 5], NaN, or -1 (unparsable answers). */
  unparsed: number;
}

export function scoreHistogram(scores: number[]): Histogram {
  const bins = Array.from({ length: 11 }, (_, i) => ({ score: i / 2, count: 0 }));
  let unparsed = 0;
  for (const s of scores) {
    if (!(s >= 0 && s <= 5)) unparsed++;
    else bins[Math.floor(s * 2)].count++;
  }
  return { bins, unparsed };
}

/** A text histogram for terminals: one line per bin, bars scaled to `width`. */
export function formatHistogram(h: Histogram, width = 40): string {
  const max = Math.max(1, ...h.bins.map((b) => b.count));
  const lines = h.bins.map((b) => `${b.score.toFixed(1).padStart(4)} | ${'#'.repeat(Math.round((b.count / max) * width)).padEnd(width)} ${b.count}`);
  if (h.unparsed) lines.push(`   ? | ${' '.repeat(width)} ${h.unparsed} unparsed`);
  return lines.join('\n');
}

export interface FilterOptions {
  records: UnifiedRecord[];
  rater: Rater;
  /** Keep score >= threshold. Default 4.5. */
  threshold?: number;
  /** Prompts per rater call; the scores are handed to onScores after each call. Default 8. */
  batchSize?: number;
  /** Scores from an earlier run (the scores file): reused where index and fingerprint match. */
  previous?: ScoreLine[];
  /** New scores, after each batch: append them to the scores file so an interrupted run loses at most a batch. */
  onScores?: (lines: ScoreLine[]) => Promise<void> | void;
  onProgress?: (p: { rated: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface FilterResult {
  kept: UnifiedRecord[];
  /** Input positions of the kept records. */
  keptIndices: number[];
  /** One per record, in input order. */
  scores: ScoreLine[];
  histogram: Histogram;
  /** Records sent to the rater by this run, and those whose earlier score was reused. */
  rated: number;
  reused: number;
  threshold: number;
}

export async function filterRecords(o: FilterOptions): Promise<FilterResult> {
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  const batchSize = o.batchSize ?? 8;
  if (!(batchSize >= 1)) throw new Error(`batchSize must be >= 1, got ${batchSize}`);
  const fps = o.records.map(recordFingerprint);
  const scores: (ScoreLine | undefined)[] = new Array(o.records.length);
  let reused = 0;
  for (const l of o.previous ?? []) {
    if (l.index < o.records.length && fps[l.index] === l.fp) {
      scores[l.index] = l;
      reused++;
    }
  }
  const todo = o.records.map((_, i) => i).filter((i) => !scores[i]);
  let rated = 0;
  for (let at = 0; at < todo.length; at += batchSize) {
    o.signal?.throwIfAborted();
    const batch = todo.slice(at, at + batchSize);
    const raws = await o.rater.rate(batch.map((i) => ratingPrompt(o.records[i])), o.signal);
    if (raws.length !== batch.length) throw new Error(`${o.rater.label} answered ${raws.length} prompts of ${batch.length}`);
    const lines = batch.map((index, k): ScoreLine => ({ index, score: parseScore(raws[k]), raw: raws[k], fp: fps[index] }));
    for (const l of lines) scores[l.index] = l;
    await o.onScores?.(lines);
    rated += batch.length;
    o.onProgress?.({ rated: reused + rated, total: o.records.length });
  }
  const all = scores as ScoreLine[];
  const keptIndices = all.filter((l) => l.score >= threshold).map((l) => l.index);
  return {
    kept: keptIndices.map((i) => o.records[i]),
    keptIndices,
    scores: all,
    histogram: scoreHistogram(all.map((l) => l.score)),
    rated,
    reused,
    threshold,
  };
}
