/**
 * The generate worker's handlers (cpu, the embedded tiny model): an adapter sent as PEFT bytes gives exactly the
 * greedy reply of generating in-process with that adapter attached, streamed as deltas that add up to the text; the
 * base model (adapter null) and a second slot answer as their own weights do; a slot replaced mid-reply does not
 * disturb the reply that uses it; an unknown slot is a clear error. The adapter has random, non-zero LoRA B, so it
 * changes the output (a fresh LoRA has B = 0 and equals the base model).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/kernels/tf';
import { initBackend } from '../../src/platform/backend';
import type { Model } from '../../src/model/types';
import { attachAdapter, loraConfig, saveAdapter, type Adapter } from '../../src/peft';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import type { BackendChoice } from '../../src/protocol/train-api';
import type { AdapterBytes, GenerateApi } from '../../src/protocol/generate-api';
import { chatDeviceError, createGenerateHandlers } from '../../src/worker-handlers/generate-handlers';
import { generateReply } from '../../src/worker-handlers/train-generate';
import { plain, tinyFiles, tinyInProcess } from './tiny-session';

const MESSAGES = [{ role: 'user' as const, content: 'What is 3 plus 4?' }];
const OPTIONS = { maxNewTokens: 12, doSample: false };
const quiet = () => ({ signal: new AbortController().signal, progress: () => undefined });

/** A LoRA on q/v whose B is seeded noise (std 0.3), so the adapter moves the logits. */
function noisyLora(model: Model, seed: number): Adapter {
  const a = attachAdapter(model, loraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] }), { seed });
  for (const [k, v] of a.params) if (k.includes('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', seed));
  return a;
}

describe('generate worker handlers (cpu, embedded tiny model)', () => {
  let backend: Promise<BackendChoice>;
  let model: Model, tok: TextTokenizer;
  let a1: Adapter, a2: Adapter;
  let bytes1: AdapterBytes, bytes2: AdapterBytes;
  const inProcess = async (adapter: Adapter | null) => generateReply(model, tok, adapter, { messages: MESSAGES, options: OPTIONS }, quiet());

  beforeAll(async () => {
    backend = initBackend({ prefer: ['cpu'] });
    await backend;
    ({ model, tok } = await tinyInProcess());
    a1 = noisyLora(model, 1);
    a2 = noisyLora(model, 2);
    bytes1 = await saveAdapter(a1);
    bytes2 = await saveAdapter(a2);
  }, 60_000);
  afterAll(() => {
    a1.dispose();
    a2.dispose();
    model.dispose();
  });

  it('adapter bytes in -> the same greedy reply as in-process, streamed; base and a second slot differ', async () => {
    const h = plain<GenerateApi>(createGenerateHandlers(backend));
    const info = await h.loadModel({ files: tinyFiles(), label: 'tiny' }, quiet());
    expect(info).toMatchObject({ label: 'tiny', family: 'llama', layers: 4, hasTokenizer: true, promptFormat: 'alpaca' });
    expect(await h.setAdapter({ slot: 'current', ...bytes1 }, quiet())).toEqual({ slot: 'current', method: 'LORA', trainableParams: 4 * 2 * (128 * 4 + 4 * 128) });
    await h.setAdapter({ slot: 'compare', ...bytes2 }, quiet());

    const deltas: string[] = [];
    const got = await h.generate({ messages: MESSAGES, adapter: 'current', options: OPTIONS }, { signal: new AbortController().signal, progress: (d) => deltas.push(d.text) });
    const want = await inProcess(a1);
    expect(got.text).toBe(want.text);
    expect(got.tokens).toBe(want.tokens);
    expect(got.tokens).toBe(12);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(got.text);

    const base = await h.generate({ messages: MESSAGES, adapter: null, options: OPTIONS }, quiet());
    expect(base.text).toBe((await inProcess(null)).text);
    const other = await h.generate({ messages: MESSAGES, adapter: 'compare', options: OPTIONS }, quiet());
    expect(other.text).toBe((await inProcess(a2)).text);
    expect(new Set([got.text, base.text, other.text]).size, 'three different weights, three different replies').toBe(3);
  }, 60_000);

  it('a slot replaced mid-reply keeps that reply intact; unknown slots and dropped slots are errors', async () => {
    const h = plain<GenerateApi>(createGenerateHandlers(backend));
    await h.loadModel({ files: tinyFiles() }, quiet());
    await h.setAdapter({ slot: 'current', ...bytes1 }, quiet());
    const before = tf.memory().numTensors;
    const running = h.generate({ messages: MESSAGES, adapter: 'current', options: OPTIONS }, quiet());
    await h.setAdapter({ slot: 'current', ...bytes2 }, quiet()); // a new checkpoint arrives while a1 answers
    expect((await running).text).toBe((await inProcess(a1)).text);
    expect(tf.memory().numTensors, 'the replaced adapter is freed once its reply ends').toBe(before);
    expect((await h.generate({ messages: MESSAGES, adapter: 'current', options: OPTIONS }, quiet())).text).toBe((await inProcess(a2)).text);

    await expect(h.generate({ messages: MESSAGES, adapter: 'nope', options: OPTIONS }, quiet())).rejects.toThrow('There is no adapter to chat with yet');
    expect(await h.dropAdapter({ slot: 'current' }, quiet())).toBe(true);
    expect(await h.dropAdapter({ slot: 'current' }, quiet())).toBe(false);
    await expect(h.generate({ messages: MESSAGES, adapter: 'current', options: OPTIONS }, quiet())).rejects.toThrow('There is no adapter to chat with yet');
  }, 60_000);

  it('a follow-up turn takes the shared prompt prefix from its own adapter\'s last reply and answers as a full feed; replaced adapters and a new model free theirs', async () => {
    const h = plain<GenerateApi>(createGenerateHandlers(backend));
    await h.loadModel({ files: tinyFiles() }, quiet());
    const before = tf.memory().numTensors;
    await h.setAdapter({ slot: 'current', ...bytes1 }, quiet());
    const first = await h.generate({ messages: MESSAGES, adapter: 'current', options: OPTIONS }, quiet());
    expect(first.reusedPromptTokens).toBe(0);
    const base = await h.generate({ messages: MESSAGES, adapter: null, options: OPTIONS }, quiet());
    expect(base.reusedPromptTokens).toBe(0); // the base keeps its own cache, not the adapter's
    const next = [...MESSAGES, { role: 'assistant' as const, content: first.text }, { role: 'user' as const, content: 'And 5 plus 1?' }];
    const second = await h.generate({ messages: next, adapter: 'current', options: OPTIONS }, quiet());
    // The Alpaca prompt (the tiny model has no chat template) shares the start of its preamble with the first turn.
    expect(second.reusedPromptTokens).toBeGreaterThan(0);
    const want = await generateReply(model, tok, a1, { messages: next, options: OPTIONS }, quiet());
    expect(want.reusedPromptTokens).toBe(0);
    expect(second.text).toBe(want.text);
    await h.setAdapter({ slot: 'current', ...bytes2 }, quiet()); // frees a1's copy and its cache
    await h.loadModel({ files: tinyFiles() }, quiet()); // frees the model, the adapters and the base's cache
    await h.setAdapter({ slot: 'current', ...bytes1 }, quiet());
    expect((await h.generate({ messages: next, adapter: 'current', options: OPTIONS }, quiet())).reusedPromptTokens).toBe(0);
    await h.dropAdapter({ slot: 'current' }, quiet());
    expect(tf.memory().numTensors, 'no cache left: the model was reloaded at the same size').toBe(before);
  }, 60_000);

  it('a lost device or out-of-memory becomes DeviceLostError with a chat message; other errors pass through', () => {
    const lost = chatDeviceError(new Error('GPUDevice was lost: reason destroyed')) as Error & { details: string };
    expect([lost.name, lost.message]).toEqual(['DeviceLostError', 'The chat worker lost its GPU device and was restarted; training is not affected. Send the message again, or lower Max new tokens or Beams.']);
    expect(lost.details).toContain('GPUDevice was lost');
    expect((chatDeviceError(new Error('Failed to allocate 1073741824 bytes')) as Error).message).toMatch(/^The chat worker ran out of memory and was restarted/);
    const plain = new Error('Type a message first.');
    expect(chatDeviceError(plain)).toBe(plain);
  });

  it('says what is missing before a model is loaded', async () => {
    const h = plain<GenerateApi>(createGenerateHandlers(backend));
    await expect(h.generate({ messages: MESSAGES, adapter: null, options: OPTIONS }, quiet())).rejects.toThrow('No model is loaded for chat yet');
    await expect(h.setAdapter({ slot: 'current', ...bytes1 }, quiet())).rejects.toThrow('No model is loaded for chat yet');
  });
});
