/** The filesystem CheckpointStore against the shared contract, plus its on-disk layout (safetensors + meta.json). */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { SafetensorsFile, bytesReader } from '../../src/model/safetensors';
import { fsCheckpointStore } from '../../src/node/fs-checkpoint-store';
import { checkpointStoreContract } from './checkpoint-store.contract';

async function tmpRoot(): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), 'webift-ckpt-'));
}

checkpointStoreContract('filesystem', async () => {
  const root = await tmpRoot();
  return { store: fsCheckpointStore(path.join(root, 'run')), cleanup: () => fsp.rm(root, { recursive: true, force: true }) };
});

it('writes <root>/<name>/{meta.json, tensors.safetensors} and leaves no temporary folders', async () => {
  const root = await tmpRoot();
  try {
    const store = fsCheckpointStore(root);
    await store.save('step-00000001', { meta: { step: 1 }, tensors: { 'param/w': { shape: [2], data: Float32Array.of(1, 2) } } });
    await store.save('step-00000001', { meta: { step: 1 }, tensors: { 'param/w': { shape: [2], data: Float32Array.of(3, 4) } } });
    expect(await fsp.readdir(root)).toEqual(['step-00000001']);
    expect((await fsp.readdir(path.join(root, 'step-00000001'))).sort()).toEqual(['meta.json', 'tensors.safetensors']);
    const f = await SafetensorsFile.open(bytesReader(new Uint8Array(await fsp.readFile(path.join(root, 'step-00000001', 'tensors.safetensors')))));
    expect(f.header.tensors['param/w']).toMatchObject({ dtype: 'F32', shape: [2] });
    expect(Array.from((await f.float32('param/w')).data)).toEqual([3, 4]);
    expect(JSON.parse(await fsp.readFile(path.join(root, 'step-00000001', 'meta.json'), 'utf8'))).toEqual({ step: 1 });
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
});
