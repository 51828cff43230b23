/**
 * Decoding at long contexts on the CPU path (wasm with the GEMM pool), on the SmolLM2-135M-shaped checkpoint
 * (bench/lib/checkpoints.ts), in one process so that each pair is measured side by side:
 * - `decode-context`: a decode step after a T-token prompt with the KV cache in the pool's memory
 *   (kernels/attention/kv-pool.ts) against the tensor cache (WEBIFT_POOLED_KV off). Two generations are prefilled,
 *   then their steps alternate; the line gives the medians of each side and of the per-pair ratio.
 * - `chat-turn`: time to first token of a ChatSession's turns with the prompt cache (generate/prompt-cache.ts) and
 *   without (the whole conversation fed each turn), turns alternating between the two sessions. ChatML template,
 *   70-word turns, 32-token replies (eos off). The first turn of each is warm-up for the other.
 * Usage: node --import ./bin/node-env.mjs bench/long-context.ts [--contexts 8,512,1536] [--pairs 30] [--turns 6]
 *   [--dir tmp/bench-models]
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { tf } from '../src/kernels/tf';
import { POOLED_KV_FLAG } from '../src/kernels/attention/kv-pool';
import { openModel } from '../src/node/runtime';
import { modelStepper } from '../src/generate/step';
import { ChatSession } from '../src/generate/chat-session';
import { PromptCache } from '../src/generate/prompt-cache';
import { TextTokenizer } from '../src/tokenizer/tokenizer';
import type { Model } from '../src/model/types';
import { writeCheckpoint } from './lib/checkpoints';

// Not strict: bench/run-all.ts hands every script the suite's flags.
const { values } = parseArgs({ strict: false, options: { contexts: { type: 'string' }, pairs: { type: 'string' }, turns: { type: 'string' }, dir: { type: 'string' } } });
const str = (v: string | boolean | undefined, d: string) => (typeof v === 'string' ? v : d);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const modelDir = writeCheckpoint(path.resolve(str(values.dir, path.join(root, 'tmp/bench-models'))), 'smollm2');
const { model } = await openModel(modelDir, 'wasm', true, {});
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** A prefilled generation on one kind of cache; step() feeds one more token and returns its milliseconds. */
async function prefilled(m: Model, T: number, pooled: boolean) {
  tf.env().set(POOLED_KV_FLAG, pooled);
  const st = modelStepper(m, { useCache: true });
  const ids = Array.from({ length: T }, (_, i) => ((i * 37) % 4000) + 100);
  await st.next(Int32Array.from(ids), new Int32Array(T).fill(1), 1, T, T);
  const step = async () => {
    ids.push(9);
    const t0 = performance.now();
    await st.next(Int32Array.from(ids), new Int32Array(ids.length).fill(1), 1, ids.length, 1);
    return performance.now() - t0;
  };
  return { st, step };
}

for (const T of str(values.contexts, '8,512,1536').split(',').map(Number)) {
  const on = await prefilled(model, T, true), off = await prefilled(model, T, false);
  for (let i = 0; i < 3; i++) {
    await on.step();
    await off.step();
  }
  const a: number[] = [], b: number[] = [], r: number[] = [];
  for (let i = 0; i < Number(str(values.pairs, '30')); i++) {
    const [x, y] = i % 2 ? [await off.step(), await on.step()].reverse() : [await on.step(), await off.step()];
    a.push(x); b.push(y); r.push(y / x);
  }
  on.st.dispose();
  off.st.dispose();
  tf.env().set(POOLED_KV_FLAG, true);
  console.log(JSON.stringify({ bench: 'decode-context', model: 'SmolLM2-135M shape', backend: 'wasm', context: T, pooled_ms: +med(a).toFixed(1), tensors_ms: +med(b).toFixed(1), ratio_vs_tensors: +med(r).toFixed(3), pairs: a.length }));
}

const json = (f: string) => JSON.parse(readFileSync(path.join(modelDir, f), 'utf8'));
const template = '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
const tok = new TextTokenizer(json('tokenizer.json'), { ...json('tokenizer_config.json'), chat_template: template });
const opts = { maxNewTokens: 32, minNewTokens: 32 };
const cached = new ChatSession(model, tok, opts), full = new ChatSession(model, tok, opts);
(full.promptCache as PromptCache).take = () => null; // feeds the whole conversation every turn
const words = 'the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches in the park near the river'.split(' ');
const say = (i: number) => `${Array.from({ length: 70 }, (_, j) => words[(i * 7 + j) % words.length]).join(' ')}?`;
async function turn(s: ChatSession, text: string): Promise<{ ttft: number; reused: number }> {
  const t0 = performance.now();
  let first = 0;
  const gen = s.send(text);
  let r = await gen.next();
  while (!r.done) {
    first ||= performance.now();
    r = await gen.next();
  }
  return { ttft: (first - t0) / 1000, reused: r.value.reusedPromptTokens };
}
for (let i = 0; i < Number(str(values.turns, '6')); i++) {
  const order = i % 2 ? [full, cached] : [cached, full];
  const got = new Map<ChatSession, { ttft: number; reused: number }>();
  for (const s of order) got.set(s, await turn(s, say(i)));
  const [c, f] = [got.get(cached)!, got.get(full)!];
  const prompt = tok.encode(cached.promptText(), { addSpecialTokens: false }).length;
  if (i > 0) console.log(JSON.stringify({ bench: 'chat-turn', model: 'SmolLM2-135M shape', backend: 'wasm', turn: i + 1, conversation_tokens: prompt, reused_tokens: c.reused, ttft_cached_s: +c.ttft.toFixed(2), ttft_full_s: +f.ttft.toFixed(2), ratio_vs_full: +(f.ttft / c.ttft).toFixed(2) }));
}
cached.dispose();
full.dispose();
model.dispose();
