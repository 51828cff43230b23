/**
 * Loads the tokenizer beside a checkpoint (tokenizer.json + tokenizer_config.json) from the same ModelSource the
 * weights came from. Returns null when the checkpoint ships no tokenizer (then only token ids work).
 */
import type { ModelSource } from '../model/load';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/tokenizer';
import { UsageError } from './errors';

export async function tokenizerFrom(source: ModelSource): Promise<TextTokenizer | null> {
  const json = await source.readText('tokenizer.json');
  if (json === null) return null;
  const cfg = await source.readText('tokenizer_config.json');
  try {
    return loadTokenizer(JSON.parse(json), cfg ? JSON.parse(cfg) : null);
  } catch (e) {
    throw new UsageError(`${source.label}: ${(e as Error).message}`);
  }
}
