/**
 * A Judge (data/judge.ts: the AlpaGasus filter's rater and the pairwise judge) on a local model through
 * generate/: each prompt is rendered with the model's chat template (system + user, generation prompt added) or,
 * without one, as "system\n\nuser", then decoded greedily (as AlpaGasus asked ChatGPT and GPT-4 for temperature 0)
 * for a few tokens: the score is on the first line. Prompts are rated one at a time (no padding games); a prompt
 * longer than the model's context is cut from the left, keeping the request.
 * Not handled: batching, sampling, adapters (pass a merged model).
 */
import type { Judge, JudgePrompt } from '../data/judge';
import { generateAll } from '../generate/generate';
import type { Model } from '../model/types';
import { applyChatTemplate } from '../tokenizer/chat-template';
import type { TextTokenizer } from '../tokenizer/tokenizer';

export interface LocalRaterOptions {
  model: Model;
  tokenizer: TextTokenizer;
  /** For messages: 'local:models/qwen2-0.5b'. */
  label?: string;
  /** Tokens to generate per rating. Default 32 (the score line and a little of the explanation). */
  maxNewTokens?: number;
  /** The model's context length in tokens; longer prompts keep their last tokens. Default: no cut. */
  maxPromptTokens?: number;
}

/** The prompt as the model sees it. */
export function renderRatingPrompt(tokenizer: TextTokenizer, p: JudgePrompt): string {
  if (!tokenizer.chatTemplate) return `${p.system}\n\n${p.user}`;
  return applyChatTemplate(tokenizer, [{ role: 'system', content: p.system }, { role: 'user', content: p.user }], { addGenerationPrompt: true });
}

export function localRater(o: LocalRaterOptions): Judge {
  const { model, tokenizer } = o;
  return {
    label: o.label ?? 'local model',
    async rate(prompts, signal) {
      const out: string[] = [];
      for (const p of prompts) {
        signal?.throwIfAborted();
        const text = renderRatingPrompt(tokenizer, p);
        // A chat template writes its own bos; the plain form gets the tokenizer's special tokens.
        let ids = tokenizer.encode(text, { addSpecialTokens: !tokenizer.chatTemplate });
        if (o.maxPromptTokens && ids.length > o.maxPromptTokens) ids = ids.slice(ids.length - o.maxPromptTokens);
        const r = await generateAll(model, { ids: [ids] }, { maxNewTokens: o.maxNewTokens ?? 32, doSample: false }, {
          decode: (g) => tokenizer.decode(g, { skipSpecialTokens: true }),
          signal,
        });
        out.push(r.texts[0]);
      }
      return out;
    },
  };
}
