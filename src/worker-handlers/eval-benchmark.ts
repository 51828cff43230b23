/**
 * The eval worker's `benchmark` call: the task is detected from the file (eval/detect-task.ts), then scored as
 * `webift eval` scores it: multiple choice by log-likelihood (k shots from a dev file, prompts cut to the context),
 * exact match with answer extraction (greedy, Alpaca or the chat template), or eval loss and perplexity (cutoff 256,
 * prompt masked). Progress is one event per item (or batch); the per-item results come back as JSON Lines text.
 * Bad input is one clear error before the model is touched. Not handled: a folder of files (one file per call).
 */
import { convert } from '../data/converters';
import { readJsonRows } from '../data/converters/rows';
import { tokenizeRecords } from '../data/tokenize-example';
import { detectTask } from '../eval/detect-task';
import { evaluateExactMatch } from '../eval/exact-match-eval';
import { parseMcCsv, parseMcRows, type McParse } from '../eval/mc-items';
import { nextTokenLogits } from '../eval/model-scoring';
import { evaluateMultipleChoice, type McMessage } from '../eval/multiple-choice';
import { evaluatePerplexity } from '../eval/perplexity';
import { parsePromptRows } from '../eval/prompt-rows';
import type { Model } from '../model/types';
import type { Adapter } from '../peft';
import { applyChatTemplate } from '../tokenizer/chat-template';
import type { TextTokenizer } from '../tokenizer/tokenizer';
import type { BenchmarkParams, BenchmarkResult, EvalProgress, TextFile } from '../protocol/eval-api';
import type { HandlerContext } from '../protocol/serve';
import { userError } from './session';

const jsonl = (lines: unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** Any parse failure of the user's file as one message naming the file. */
function readable<T>(f: TextFile, read: () => T): T {
  try {
    return read();
  } catch (e) {
    const m = (e as Error).message;
    throw userError(m.startsWith(f.name) ? m : `${f.name}: ${m}`, String(e));
  }
}

function mcOf(f: TextFile): McParse {
  return readable(f, () => (/\.csv$/i.test(f.name) ? parseMcCsv(f.text, f.name) : parseMcRows(readJsonRows(f.text, f.name).rows, f.name)));
}

export async function runBenchmark(model: Model, tok: TextTokenizer, adapter: Adapter | null, p: BenchmarkParams, ctx: HandlerContext<EvalProgress>): Promise<BenchmarkResult> {
  const { task, reason } = readable(p.data, () => detectTask(p.data.text, p.data.name));
  const limit = p.limit && p.limit > 0 ? p.limit : undefined;
  const tick = (done: number, total: number) => ctx.progress({ phase: task, done, total });
  const signal = ctx.signal;

  if (task === 'multiple-choice') {
    const mc = mcOf(p.data);
    const items = mc.items.slice(0, limit);
    if (!items.length) throw userError(`${p.data.name}: no multiple-choice item to score.`);
    const dev = p.dev ? mcOf(p.dev).items : undefined;
    if (p.shots > 0 && !dev?.length) throw userError(`${p.shots}-shot evaluation needs a dev file to draw the solved examples from. Pick one, or set Shots to 0.`);
    const chat = !!tok.chatTemplate;
    const render = chat ? (msgs: McMessage[]) => applyChatTemplate(tok, msgs, { addGenerationPrompt: true }) : undefined;
    const r = await evaluateMultipleChoice({
      items, dev, shots: p.shots, tokenizer: tok, logits: nextTokenLogits(model, adapter), render, addSpecialTokens: !chat,
      maxPromptTokens: model.config.maxPositions, onPrediction: (_x, d, t) => tick(d, t), signal,
    });
    return { task, reason, n: r.n, correct: r.correct, accuracy: r.accuracy, bySubject: r.bySubject, skipped: mc.skipped.length, jsonl: jsonl(r.predictions) };
  }

  if (task === 'exact-match') {
    const rows = readable(p.data, () => parsePromptRows(p.data.text, p.data.name)).slice(0, limit);
    const r = await evaluateExactMatch({ model, tokenizer: tok, adapter, rows, promptFormat: 'auto', generation: { doSample: false }, onProgress: ({ done, total }) => tick(done, total), signal });
    return { task, reason, n: r.n, correct: r.correct, accuracy: r.accuracy, bySubject: r.bySubject, skipped: 0, jsonl: jsonl(r.items) };
  }

  const converted = await convert(new TextEncoder().encode(p.data.text), 'auto', { label: p.data.name }).catch((e: Error) => {
    throw userError(e.message, String(e));
  });
  const tk = tokenizeRecords(converted.records, tok, { cutoffLen: 256, promptFormat: 'auto' });
  const examples = tk.examples.slice(0, limit);
  if (!examples.length) throw userError(`${p.data.name}: no record to score${tk.rejected.length ? ` (first left out: ${tk.rejected[0].where}: ${tk.rejected[0].reason})` : ''}.`);
  const r = await evaluatePerplexity({ model, adapter, examples, onItem: (_x, d, t) => tick(d, t), signal });
  return { task, reason, n: r.n, tokens: r.tokens, loss: r.loss, perplexity: r.perplexity, jsonl: jsonl(r.items) };
}
