/**
 * Loads the tokenizer beside a checkpoint (tokenizer.json + tokenizer_config.json) from the same ModelSource the
 * weights came from. Returns null when the checkpoint ships no tokenizer (then only token ids work). A ChatGLM
 * tokenizer without a chat_template gets the family's built-in one (tokenizer/glm-templates.ts).
 */
import { parseConfig } from '../model/config';
import type { ModelSource } from '../model/load';
import { builtinChatTemplate } from '../tokenizer/glm-templates';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/tokenizer';
import { UsageError } from './errors';

export async function tokenizerFrom(source: ModelSource): Promise<TextTokenizer | null> {
  const json = await source.readText('tokenizer.json');
  if (json === null) return null;
  const cfg = await source.readText('tokenizer_config.json');
  try {
    const config = cfg ? JSON.parse(cfg) : {};
    if (!config.chat_template) {
      const model = await source.readText('config.json');
      const family = model && /"model_type"\s*:\s*"chatglm"/.test(model) ? parseConfig(JSON.parse(model)).family : null;
      const builtin = family && builtinChatTemplate(family);
      if (builtin) config.chat_template = builtin;
    }
    return loadTokenizer(JSON.parse(json), config);
  } catch (e) {
    throw new UsageError(`${source.label}: ${(e as Error).message}`);
  }
}
