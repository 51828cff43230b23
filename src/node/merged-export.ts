/**
 * Writes a model folder after merging an adapter: the original config.json, model.safetensors with the merged
 * weights under HF names and layouts (tied heads left out, as HF writes them), and the tokenizer/generation files
 * copied from the source. Atomic: the folder appears whole or not at all.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeSafetensors } from '../model/safetensors';
import type { ModelSource } from '../model/load';
import type { Model } from '../model/types';
import { mergedHfWeights } from '../peft';
import { writeDirAtomic } from './atomic';

const SIDE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export async function writeMergedModel(model: Model, source: ModelSource, out: string): Promise<string[]> {
  const weights = writeSafetensors(await mergedHfWeights(model), { format: 'pt' });
  const written: string[] = [];
  await writeDirAtomic(out, async (tmp) => {
    for (const name of SIDE_FILES) {
      const text = await source.readText(name);
      if (text === null) continue;
      await fsp.writeFile(path.join(tmp, name), text);
      written.push(name);
    }
    await fsp.writeFile(path.join(tmp, 'model.safetensors'), weights);
    written.push('model.safetensors');
  });
  return written;
}
