/**
 * Reusing the keys and values of an earlier generation for the prefix a new prompt shares with it
 * (generate/prompt-cache.ts), on wasm (the cache in the GEMM pool's memory) and on cpu (tensors). The oracle is the
 * same generation without a prompt cache: it feeds the whole prompt. The reused run feeds only the new tail, so its
 * products see fewer rows at once; our GEMM's per-row sums do not depend on the row count, but a tail of fewer than
 * 16 rows takes the decode path (panels), whose summation order differs. So logits agree to 1e-4 absolute (measured
 * 2e-6 or less) and the greedy tokens are the same. Also: what is kept and reused (the longest common prefix, never
 * the whole prompt), batches, beams and primed caches left alone, an abort, a ChatSession's second turn, and no
 * tensor or pool memory left after clear().
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend, type BackendName } from '../../src/platform/backend';
import { gemmPool } from '../../src/kernels/gemm/register';
import { randomModel } from '../../src/model/random';
import { createCache, disposeCache } from '../../src/model/kv-cache';
import { forward } from '../../src/model/transformer';
import type { Model } from '../../src/model/types';
import { collect, generate, generateAll, type GenerateHooks } from '../../src/generate/generate';
import { PromptCache } from '../../src/generate/prompt-cache';
import { ChatSession, chatPromptText } from '../../src/generate/chat-session';
import { loadModel } from '../../src/model/load';
import { folderSource } from '../../src/node/fs-source';
import { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

const CFG = {
  model_type: 'llama', vocab_size: 60, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  intermediate_size: 48, rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: false,
};
const ids = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 13 + seed * 7 + 1) % 60);

/** greedy tokens, every step's logits, and the prompt tokens taken from the prompt cache. */
async function run(model: Model, prompt: number[], hooks: GenerateHooks = {}, maxNewTokens = 6): Promise<{ tokens: number[]; logits: Float32Array[]; reused: number }> {
  const logits: Float32Array[] = [];
  const r = await generateAll(model, { ids: [prompt] }, { maxNewTokens, eosTokenIds: [] }, { ...hooks, onLogits: (_, l) => logits.push(l.slice()) });
  return { tokens: r.tokens[0], logits, reused: r.reusedPromptTokens };
}

function maxGap(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));
}

describe.each(['wasm', 'cpu'] as BackendName[])('prompt cache on %s', (backend) => {
  let model: Model;
  afterAll(() => model?.dispose());

  it('a second prompt that extends the first reuses prompt + reply; the tokens and logits are those of a full feed', async () => {
    await initBackend({ prefer: [backend] });
    model = randomModel(CFG, 7);
    const pc = new PromptCache();
    const p1 = ids(40, 1);
    const first = await run(model, p1, { promptCache: pc });
    expect(first.reused).toBe(0);
    // The next prompt: the first prompt, its reply, and 20 new tokens (a chat's next turn).
    const p2 = [...p1, ...first.tokens, ...ids(20, 2)];
    const want = await run(model, p2);
    const got = await run(model, p2, { promptCache: pc });
    // The cache held p1 and the reply but its last token (never fed): 40 + 5 slots, all a prefix of p2.
    expect(got.reused).toBe(45);
    expect(want.reused).toBe(0);
    expect(got.tokens).toEqual(want.tokens);
    const gap = maxGap(got.logits, want.logits);
    console.log(`[${backend}] reused 45 of ${p2.length} prompt tokens; max |Δ logits| ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-4);
    if (backend === 'wasm') expect(gemmPool()!.resident).toBeGreaterThan(0);
    pc.clear();
  });

  it('a prompt that diverges is cut back to the common prefix; an identical prompt still feeds its last token', async () => {
    const pc = new PromptCache();
    const before = tf.memory().numTensors, resident = gemmPool()?.resident ?? 0;
    const base = ids(30, 3);
    await run(model, base, { promptCache: pc });
    const forked = [...base.slice(0, 17), 5, 6, 7, ...ids(12, 4)];
    const want = await run(model, forked);
    const got = await run(model, forked, { promptCache: pc });
    expect(got.reused).toBe(17);
    expect(got.tokens).toEqual(want.tokens);
    expect(maxGap(got.logits, want.logits)).toBeLessThan(1e-4);
    const again = await run(model, forked, { promptCache: pc });
    expect(again.reused).toBe(forked.length - 1);
    expect(again.tokens).toEqual(want.tokens);
    const other = ids(10, 9); // nothing in common: the held cache is dropped, the prompt fed whole
    const fed = await run(model, other, { promptCache: pc });
    expect(fed.tokens).toEqual((await run(model, other)).tokens);
    expect(fed.reused).toBe(0);
    pc.clear();
    expect(tf.memory().numTensors).toBe(before);
    expect(gemmPool()?.resident ?? 0).toBe(resident);
  });

  it('batches and beam search neither take nor keep a cache; an aborted generation keeps what it fed', async () => {
    const pc = new PromptCache();
    const p = ids(25, 5);
    await run(model, p, { promptCache: pc });
    const held = (pc as unknown as { held: unknown }).held;
    await generateAll(model, { ids: [p, p] }, { maxNewTokens: 3, eosTokenIds: [] }, { promptCache: pc });
    await generateAll(model, { ids: [p] }, { maxNewTokens: 3, numBeams: 2, eosTokenIds: [] }, { promptCache: pc });
    expect((pc as unknown as { held: unknown }).held).toBe(held);
    const ctrl = new AbortController();
    const gen = generate(model, { ids: [p] }, { maxNewTokens: 10, eosTokenIds: [] }, { promptCache: pc, signal: ctrl.signal });
    let n = 0;
    let r = await gen.next();
    while (!r.done) {
      if (++n === 3) ctrl.abort();
      r = await gen.next();
    }
    expect(r.value.finishReasons[0]).toBe('aborted');
    expect(r.value.reusedPromptTokens).toBe(24);
    const after = await run(model, [...p, 1, 2, 3], { promptCache: pc });
    expect(after.tokens).toEqual((await run(model, [...p, 1, 2, 3])).tokens);
    expect(after.reused).toBeGreaterThanOrEqual(25); // p, then whatever of the aborted reply matches 1, 2, 3
    pc.clear();
  });

  it('keep() refuses a cache whose length is not its ids', () => {
    const pc = new PromptCache();
    const cache = createCache(CFG.num_hidden_layers);
    const out = forward(model, { ids: Int32Array.from(ids(5, 6)), B: 1, T: 5 }, { cache, lastOnly: true });
    out.logits!.dispose();
    expect(() => pc.keep(cache, ids(4, 6))).toThrow(/holds 5 slots, not 4/);
    disposeCache(cache);
  });
});

describe('ChatSession', () => {
  it('the second turn reuses the first turn\'s prompt and reply, and says the same as a fresh session', async () => {
    await initBackend({ prefer: ['wasm'] });
    const model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    const json = (f: string) => JSON.parse(readFileSync(path.join(EMBEDDED_MODEL_DIR, f), 'utf8'));
    // The embedded model has no chat template (its Alpaca fallback puts the newest turn first), so give it a
    // ChatML-like one, under which each turn's prompt starts with the whole previous conversation.
    const template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
    const tok = new TextTokenizer(json('tokenizer.json'), { ...json('tokenizer_config.json'), chat_template: template });
    const opts = { maxNewTokens: 12 };
    const chat = new ChatSession(model, tok, opts);
    await replyOf(chat, 'What is 2 + 3?');
    const history = chat.messages.slice(); // the user turn and the reply as the session keeps it
    const { text: second, reused } = await replyOf(chat, 'And 4 + 4?');
    const firstPrompt = tok.encode(chatPromptText(tok, history.slice(0, 1)), { addSpecialTokens: false }).length;
    expect(reused).toBeGreaterThanOrEqual(firstPrompt);
    // A session without a cache, given the same history, feeds the whole prompt and must say the same.
    const fresh = new ChatSession(model, tok, opts);
    fresh.messages.push(...history);
    (fresh as unknown as { promptCache: { take: () => null; keep: () => void } }).promptCache.take = () => null;
    expect((await replyOf(fresh, 'And 4 + 4?')).text).toBe(second);
    const prompt = tok.encode(chatPromptText(tok, [...history, { role: 'user', content: 'And 4 + 4?' }]), { addSpecialTokens: false });
    console.log(`chat turn 2: reused ${reused} of ${prompt.length} prompt tokens (turn 1's prompt: ${firstPrompt})`);
    chat.dispose();
    fresh.dispose();
    model.dispose();
  });
});

async function replyOf(chat: ChatSession, text: string): Promise<{ text: string; reused: number }> {
  const r = await collect(chat.send(text));
  return { text: r.texts[0], reused: r.reusedPromptTokens };
}
