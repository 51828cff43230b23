/**
 * What the server serves: one base model with its tokenizer, and any number of PEFT adapters loaded onto it (each
 * is data beside the base, so they share the base's weights). A request's `model` field picks the base by its id
 * (or the --model spec it was loaded from) or an adapter by its name. The registry owns and disposes all of them,
 * and each entry's prompt cache (generate/prompt-cache.ts: the weights never change while serving).
 */
import type { Model } from '../../model/types';
import type { GenerateHooks } from '../../generate/generate';
import { PromptCache } from '../../generate/prompt-cache';
import { adapterLinear, primeGeneration, type Adapter } from '../../peft';
import type { TextTokenizer } from '../../tokenizer/tokenizer';
import { UsageError } from '../errors';
import { badRequest, unknownModel } from './api-error';

export interface ServedEntry {
  id: string;
  /** The base model's id for an adapter; null for the base. */
  parent: string | null;
  adapter: Adapter | null;
  /** The forward hooks that apply the adapter (none for the base). */
  hooks: Pick<GenerateHooks, 'linear' | 'prime'>;
  /** The last request's keys and values: a request that resends the conversation feeds only what is new. */
  promptCache: PromptCache;
}

const NAME = /^[\w.@:/-]{1,128}$/;

export class ModelRegistry {
  private readonly entries = new Map<string, ServedEntry>();
  private readonly aliases = new Map<string, string>();

  constructor(
    readonly base: Model,
    readonly tok: TextTokenizer,
    readonly baseId: string,
    adapters: { name: string; adapter: Adapter }[] = [],
    /** Other names for the base, e.g. the --model path it was loaded from. */
    baseAliases: string[] = [],
  ) {
    this.entries.set(baseId, { id: baseId, parent: null, adapter: null, hooks: {}, promptCache: new PromptCache() });
    for (const { name, adapter } of adapters) {
      if (!NAME.test(name)) throw new UsageError(`adapter name '${name}' must be 1-128 letters, digits or . _ - @ : /`);
      if (this.entries.has(name)) throw new UsageError(`adapter name '${name}' is used twice (the base model is '${baseId}')`);
      const hooks = { linear: adapterLinear(adapter), prime: (B: number) => primeGeneration(base, adapter, B) };
      this.entries.set(name, { id: name, parent: baseId, adapter, hooks, promptCache: new PromptCache() });
    }
    for (const a of baseAliases) if (!this.entries.has(a)) this.aliases.set(a, baseId);
  }

  /** The entry a request's `model` field names: 400 when it is missing, 404 when nothing has that name. */
  resolve(name: unknown): ServedEntry {
    if (typeof name !== 'string' || !name) throw badRequest("'model' is required: the base model's id or an adapter's name (GET /v1/models lists them)", 'model');
    const e = this.entries.get(name) ?? this.entries.get(this.aliases.get(name) ?? '');
    if (!e) throw unknownModel(name, [...this.entries.keys()]);
    return e;
  }

  list(): ServedEntry[] {
    return [...this.entries.values()];
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      e.promptCache.clear();
      e.adapter?.dispose();
    }
    this.base.dispose();
  }
}
