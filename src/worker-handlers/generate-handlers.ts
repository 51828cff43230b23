/**
 * The generate worker's handler table (protocol/generate-api.ts): one model, adapters by slot loaded from PEFT
 * bytes, and streamed replies (generateReply, shared with the session worker). An adapter in use by a reply is
 * freed only when that reply ends, so a new checkpoint can arrive mid-reply. A device loss or out-of-memory comes
 * back as 'DeviceLostError' with a chat-specific message: the UI restarts this worker, training is untouched.
 * Each model and adapter keeps its last reply's keys and values for the next turn (generate/prompt-cache.ts).
 */
import { loadAdapter, type Adapter } from '../peft';
import { PromptCache } from '../generate/prompt-cache';
import type { GenerateApi } from '../protocol/generate-api';
import type { BackendChoice } from '../protocol/train-api';
import type { Handlers } from '../protocol/serve';
import { loadForChat, type LoadedModel } from './generate-model';
import { asDeviceError, userError } from './session';
import { generateReply } from './train-generate';

/** A device loss or out-of-memory as 'DeviceLostError' with the chat's own message; anything else unchanged. */
export function chatDeviceError(e: unknown): unknown {
  const dev = asDeviceError(e, null);
  if (dev === e || !(dev instanceof Error)) return e;
  const what = /memory|allocat|OOM/i.test((dev as { details?: string }).details ?? '') ? 'ran out of memory' : 'lost its GPU device';
  return Object.assign(new Error(`The chat worker ${what} and was restarted; training is not affected. Send the message again, or lower Max new tokens or Beams.`), { name: 'DeviceLostError', details: (dev as { details?: string }).details ?? '' });
}

export function createGenerateHandlers(backendReady: Promise<BackendChoice>): Handlers<GenerateApi> {
  let loaded: LoadedModel | null = null;
  const slots = new Map<string, Adapter>();
  const inUse = new Map<Adapter, number>();
  const retired = new Set<Adapter>();
  let replies = 0;

  // The keys and values of the last reply per model and adapter (generate/prompt-cache.ts): their weights never
  // change here (a new adapter is a new object), so a chat's next turn feeds only what is new. Freed with them.
  const caches = new Map<Adapter | 'base', PromptCache>();
  const cacheOf = (a: Adapter | null) => {
    const key = a ?? 'base';
    if (!caches.has(key)) caches.set(key, new PromptCache());
    return caches.get(key)!;
  };
  const dispose = (a: Adapter) => {
    caches.get(a)?.clear();
    caches.delete(a);
    a.dispose();
  };
  const retire = (a: Adapter | undefined) => {
    if (!a) return;
    if (inUse.get(a)) retired.add(a);
    else dispose(a);
  };
  const release = (a: Adapter) => {
    const n = (inUse.get(a) ?? 1) - 1;
    if (n > 0) return void inUse.set(a, n);
    inUse.delete(a);
    if (retired.delete(a)) dispose(a);
  };
  const need = () => {
    if (!loaded) throw userError('No model is loaded for chat yet. Pick a model on the Experiment screen first.');
    return loaded;
  };

  return {
    backend: () => backendReady,

    async loadModel(spec, { signal, progress }) {
      await backendReady;
      if (replies > 0) throw userError('A reply is still being written. Stop it before loading another model.');
      const next = await loadForChat(spec, signal, progress).catch((e) => {
        throw chatDeviceError(e);
      });
      for (const a of slots.values()) retire(a);
      slots.clear();
      caches.get('base')?.clear();
      caches.delete('base');
      loaded?.model.dispose();
      loaded = next;
      return next.info;
    },

    async setAdapter(p) {
      await backendReady;
      const { model } = need();
      let next: Adapter;
      try {
        next = await loadAdapter(model, { config: p.config, weights: p.weights });
      } catch (e) {
        const dev = chatDeviceError(e);
        if (dev !== e) throw dev;
        throw userError(`This adapter does not fit the chat model: ${(e as Error).message}`, String(e));
      }
      retire(slots.get(p.slot));
      slots.set(p.slot, next);
      let n = 0;
      for (const v of next.params.values()) n += v.size;
      return { slot: p.slot, method: next.method, trainableParams: n };
    },

    async dropAdapter(p) {
      const a = slots.get(p.slot);
      slots.delete(p.slot);
      retire(a);
      return a !== undefined;
    },

    async generate(p, ctx) {
      await backendReady;
      const { model, tok, source } = need();
      if (!tok) throw userError(`${source.label} ships no tokenizer.json, so text cannot be encoded. Pick a model with a tokenizer.`);
      const adapter = p.adapter === null ? null : slots.get(p.adapter);
      if (adapter === undefined) throw userError('There is no adapter to chat with yet: train one (Start training) or import one.');
      replies++;
      if (adapter) inUse.set(adapter, (inUse.get(adapter) ?? 0) + 1);
      try {
        return await generateReply(model, tok, adapter, p, ctx, cacheOf(adapter));
      } catch (e) {
        throw chatDeviceError(e);
      } finally {
        replies--;
        if (adapter) release(adapter);
      }
    },
  };
}
