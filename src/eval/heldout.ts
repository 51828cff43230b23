/**
 * Held-out evaluation: greedy generation (batched, left-padded, KV cache) for records in the Alpaca frame, then
 * exact match per record (exact-match.ts), with accuracy overall and per family/language. 64 new tokens by default:
 * room for a two-step rationale and its answer line. With an adapter, its
 * linear hook is used (LoRA unmerged). Not here: sampling, model-graded metrics.
 */
import { generateAll } from '../generate/generate';
import { adapterLinear, type Adapter } from '../peft';
import type { Model } from '../model/types';
import { alpacaPrompt } from '../tokenizer/alpaca';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { exactMatch } from './exact-match';

export interface HeldOutItem {
  instruction: string;
  input?: string;
  answer: string;
  match: 'number' | 'text';
  family?: string;
  lang?: string;
}

export interface HeldOutResult {
  accuracy: number;
  n: number;
  /** Accuracy by `${lang}/${family}`. */
  groups: Record<string, { correct: number; n: number }>;
  responses: { instruction: string; response: string; answer: string; correct: boolean }[];
}

export async function evaluateHeldOut(model: Model, tok: TextTokenizer, items: HeldOutItem[], opts: { adapter?: Adapter | null; batchSize?: number; maxNewTokens?: number } = {}): Promise<HeldOutResult> {
  const bs = opts.batchSize ?? 16;
  const hooks = { decode: (g: number[]) => tok.decode(g, { skipSpecialTokens: true }), ...(opts.adapter ? { linear: adapterLinear(opts.adapter) } : {}) };
  const pad = tok.padTokenId ?? tok.eosTokenId ?? 0;
  const responses: HeldOutResult['responses'] = [];
  const groups: HeldOutResult['groups'] = {};
  for (let i = 0; i < items.length; i += bs) {
    const chunk = items.slice(i, i + bs);
    const prompts = chunk.map((it) => tok.encode(alpacaPrompt(it.instruction, it.input)));
    const S = Math.max(...prompts.map((p) => p.length));
    const ids = prompts.map((p) => [...Array(S - p.length).fill(pad), ...p]);
    const attentionMask = prompts.map((p) => [...Array(S - p.length).fill(0), ...p.map(() => 1)]);
    const r = await generateAll(model, { ids, attentionMask }, { maxNewTokens: opts.maxNewTokens ?? 64, doSample: false, eosTokenIds: tok.eosTokenId === null ? [] : [tok.eosTokenId], padTokenId: pad }, hooks);
    chunk.forEach((it, j) => {
      const correct = exactMatch(r.texts[j], it.answer, it.match);
      responses.push({ instruction: it.instruction, response: r.texts[j], answer: it.answer, correct });
      const g = (groups[`${it.lang ?? '?'}/${it.family ?? '?'}`] ??= { correct: 0, n: 0 });
      g.n++;
      if (correct) g.correct++;
    });
  }
  const correct = responses.filter((r) => r.correct).length;
  return { accuracy: items.length ? correct / items.length : 0, n: items.length, groups, responses };
}
