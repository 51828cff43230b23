/**
 * `--format auto`: picks the source shape from the bytes (and the file name as a tie-breaker). Parquet by its
 * `PAR1` magic; TSV by three tab-separated columns; CSV by a .csv name or a header line naming instruction/output;
 * JSON and JSON Lines by the keys of the first row (conversations, messages, context+response, question+answer with
 * `####`, 题目, instances, instruction+output). Literal `\n` pairs in the first rows mean Alpaca-CoT's formatted CoT;
 * so does a FLAN CoT cue ("step by step") in most first instructions; JSON Lines with Chinese
 * text means BELLE. Returns null (with the reason) rather than guessing.
 */
import { EXAM_KEYS } from './exam-cn';
import { decodeText, readJsonRows } from './rows';
import { countLiteralNewlines } from './unescape';
import type { Shape } from './types';

export interface Sniffed {
  shape: Shape | null;
  reason: string;
}

const CJK = /[\u4e00-\u9fff]/;
/** The trigger phrases of FLAN's CoT templates, as Alpaca-CoT's formatted files carry them. */
const COT_CUE = /step[- ]by[- ]step|let's think|stream of consciousness|chain[- ]of[- ]thought|reasoning process|some random reasoning/i;

function isParquet(b: Uint8Array): boolean {
  const magic = (o: number) => b[o] === 0x50 && b[o + 1] === 0x41 && b[o + 2] === 0x52 && b[o + 3] === 0x31;
  return b.length >= 8 && magic(0) && magic(b.length - 4);
}

function keysShape(o: Record<string, unknown>, format: 'json' | 'jsonl', sample: Record<string, unknown>[]): Sniffed {
  const has = (...k: string[]) => k.every((x) => x in o);
  if (has('conversations')) return { shape: 'sharegpt', reason: 'rows have "conversations"' };
  if (has('messages')) return { shape: 'jsonl', reason: 'rows have "messages"' };
  if (has('instruction', 'context', 'response')) return { shape: 'dolly', reason: 'rows have instruction/context/response' };
  if (has('question', 'answer') && typeof o.answer === 'string' && o.answer.includes('####')) return { shape: 'gsm8k', reason: 'rows have question/answer with a #### line' };
  if (has(EXAM_KEYS.question, EXAM_KEYS.answer)) return { shape: 'exam-cn', reason: `rows have ${EXAM_KEYS.question}/${EXAM_KEYS.answer}` };
  if (has('instruction', 'instances')) return { shape: 'self-instruct', reason: 'rows have instruction/instances' };
  if (has('instruction', 'output')) {
    const text = (r: Record<string, unknown>) => `${r.instruction ?? ''}${r.input ?? ''}${r.output ?? ''}`;
    const literal = sample.filter((r) => countLiteralNewlines(text(r)) > 0).length;
    if (literal * 2 > sample.length) return { shape: 'alpaca-cot', reason: `${literal} of the first ${sample.length} rows hold literal "\\n" pairs` };
    const cued = sample.filter((r) => COT_CUE.test(String(r.instruction ?? ''))).length;
    if (cued * 2 > sample.length) return { shape: 'alpaca-cot', reason: `${cued} of the first ${sample.length} instructions carry a FLAN CoT cue` };
    if (format === 'jsonl' && sample.some((r) => CJK.test(text(r)))) return { shape: 'belle', reason: 'JSON Lines of instruction/output with Chinese text' };
    return format === 'json' ? { shape: 'alpaca', reason: 'a JSON array of instruction/input/output' } : { shape: 'jsonl', reason: 'JSON Lines of instruction/output' };
  }
  return { shape: null, reason: `unrecognised keys: ${Object.keys(o).join(', ') || 'none'}` };
}

export function sniffShape(bytes: Uint8Array, name = ''): Sniffed {
  if (isParquet(bytes)) return { shape: 'parquet', reason: 'PAR1 magic' };
  const text = decodeText(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
  const first = text.trimStart();
  if (first === '') return { shape: null, reason: 'the file is empty' };
  if (first[0] === '[' || first[0] === '{') {
    let parsed;
    try {
      // A 1 MiB prefix may cut a JSON array: parse the whole text then.
      parsed = readJsonRows(bytes.length > 1 << 20 ? decodeText(bytes) : text, name || 'input');
    } catch (e) {
      return { shape: null, reason: (e as Error).message };
    }
    const sample = parsed.rows.slice(0, 20).map((r) => r.value).filter((v): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v));
    if (!sample.length) return { shape: null, reason: 'no JSON object rows' };
    return keysShape(sample[0], parsed.format, sample);
  }
  const line = first.split('\n', 1)[0].replace(/\r$/, '');
  if (line.split('\t').length === 3) return { shape: 'flan-cot-tsv', reason: 'three tab-separated columns' };
  const header = line.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  if (/\.csv$/i.test(name) || (header.includes('instruction') && header.includes('output'))) return { shape: 'csv', reason: 'CSV header' };
  return { shape: null, reason: 'not JSON, JSON Lines, TSV, CSV or parquet' };
}
