/**
 * Sharded checkpoints: the llama-gqa fixture split into two safetensors shards + model.safetensors.index.json (as
 * HF's save_pretrained(max_shard_size=...) writes them) loads to the same logits as the single file; an index that
 * names a missing shard is a clear error.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { SafetensorsFile, bytesReader, writeSafetensors, type WritableTensor } from '../../src/model/safetensors';
import { forward } from '../../src/model/transformer';
import { haveShared, caseDir } from '../helpers/fixtures';
import { memSource } from '../helpers/mem-source';

describe.skipIf(!haveShared('sharded checkpoints'))('sharded checkpoints', () => {
  const dir = path.join(caseDir('llama-gqa'), 'model');
  let files: Record<string, string | Uint8Array>;
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    const whole = new Uint8Array(readFileSync(path.join(dir, 'model.safetensors')));
    const f = await SafetensorsFile.open(bytesReader(whole));
    const shards: Record<string, WritableTensor>[] = [{}, {}];
    const weightMap: Record<string, string> = {};
    for (const [i, name] of f.names().entries()) {
      const t = await f.float32(name);
      shards[i % 2][name] = { shape: t.shape, data: t.data };
      weightMap[name] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
    }
    files = {
      'config.json': readFileSync(path.join(dir, 'config.json'), 'utf8'),
      'model-00001-of-00002.safetensors': writeSafetensors(shards[0]),
      'model-00002-of-00002.safetensors': writeSafetensors(shards[1]),
      'model.safetensors.index.json': JSON.stringify({ metadata: { total_size: whole.length }, weight_map: weightMap }),
    };
  });

  it('loads to the same logits as the single file', async () => {
    const single = await loadModel(memSource({ 'config.json': files['config.json'], 'model.safetensors': new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) }));
    const sharded = await loadModel(memSource(files));
    const ids = Int32Array.from([1, 5, 9, 200, 31]);
    const a = forward(single, { ids, B: 1, T: 5 }).logits!, b = forward(sharded, { ids, B: 1, T: 5 }).logits!;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    a.dispose(); b.dispose(); single.dispose(); sharded.dispose();
  });

  it('a shard named by the index but absent is a clear error', async () => {
    const { 'model-00002-of-00002.safetensors': _gone, ...rest } = files;
    await expect(loadModel(memSource(rest))).rejects.toThrow(/model-00002-of-00002.safetensors not found \(listed in model.safetensors.index.json\)/);
  });
});
