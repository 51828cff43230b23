/**
 * Loads the tokenizer beside a checkpoint (tokenizer.json + tokenizer_config.json) from the same ModelSource the
 * weights came from. Returns null when the checkpoint ships no tokenizer (then only token ids work). A ChatGLM
 * tokenizer without a chat_template gets the family's built-in one (tokenizer/glm-templates.ts).
 */
import { parseConfig } from '../model/config';
import type { ModelSource } from '../model/load';
import { withBuiltinTemplate } from '../tokenizer/glm-templates';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/tokenizer';
import { UsageError } from './errors';
import { MOSS_TEMPLATE } from '../tokenizer/moss-template';

export async function tokenizerFrom(source: ModelSource): Promise<TextTokenizer | null> {
  const json = await source.readText('tokenizer.json');
  if (json === null) return null;
  const cfg = await source.readText('tokenizer_config.json');
  try {
    let config = cfg ? JSON.parse(cfg) : null;
    if (!config?.chat_template) {
      const model = await source.readText('config.json');
      if (model && /"model_type"\s*:\s*"chatglm"/.test(model)) config = withBuiltinTemplate(config, parseConfig(JSON.parse(model)).family);
    }
    // MOSS tokenizers ship no chat_template either: moss-moon-003-sft's format (tokenizer/moss-template.ts).
    const moss = !config?.chat_template && /"model_type"\s*:\s*"moss"/.test((await source.readText('config.json')) ?? '');
    return loadTokenizer(JSON.parse(json), moss ? { ...config, chat_template: MOSS_TEMPLATE } : config);
  } catch (e) {
    throw new UsageError(`${source.label}: ${(e as Error).message}`);
  }
}
