/**
 * CheckpointStore on the filesystem: one folder per checkpoint, `<root>/<name>/meta.json` + `tensors.safetensors`
 * (F32, our tensor names), swapped in whole by writeDirAtomic so a crash or a failed write leaves the previous
 * checkpoint of that name intact. Not handled: locking against two processes writing the same root.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { checkCheckpoint, checkCheckpointName, CheckpointFormatError, type Checkpoint, type CheckpointStore, type StoredTensor } from '../train/checkpoint';
import { SafetensorsFile, writeSafetensors } from '../model/safetensors';
import { writeDirAtomic } from './atomic';
import { fileReader } from './fs-source';

const META = 'meta.json';
const TENSORS = 'tensors.safetensors';

export function fsCheckpointStore(root: string): CheckpointStore {
  const dir = (name: string) => path.join(root, name);
  return {
    async save(name, ckpt) {
      checkCheckpoint(name, ckpt);
      const meta = JSON.stringify(ckpt.meta);
      const bytes = writeSafetensors(ckpt.tensors, { format: 'webift' });
      await writeDirAtomic(dir(name), async (tmp) => {
        await fsp.writeFile(path.join(tmp, TENSORS), bytes);
        await fsp.writeFile(path.join(tmp, META), meta);
      });
    },
    async load(name) {
      checkCheckpointName(name);
      const metaText = await fsp.readFile(path.join(dir(name), META), 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null;
        throw e;
      });
      if (metaText === null) return null;
      // fileReader hands out fresh Uint8Arrays; a Node Buffer here would break toFloat32, whose .slice() is a view on Buffers.
      const file = await SafetensorsFile.open(fileReader(path.join(dir(name), TENSORS)), path.join(dir(name), TENSORS));
      const tensors: Record<string, StoredTensor> = {};
      for (const k of file.names()) {
        if (file.header.tensors[k].dtype !== 'F32') throw new CheckpointFormatError(`${dir(name)}: tensor '${k}' is ${file.header.tensors[k].dtype}, checkpoints hold F32 only`);
        const t = await file.float32(k);
        tensors[k] = { shape: t.shape, data: t.data };
      }
      return { meta: JSON.parse(metaText) as Checkpoint['meta'], tensors };
    },
    async list() {
      const entries = await fsp.readdir(root, { withFileTypes: true }).catch(() => []);
      const names: string[] = [];
      for (const e of entries) {
        if (!e.isDirectory() || e.name.startsWith('.')) continue; // '.x.tmp-*' and '.x.old-*' are writes in flight
        if (await fsp.stat(path.join(root, e.name, META)).then(() => true, () => false)) names.push(e.name);
      }
      return names.sort();
    },
    async delete(name) {
      checkCheckpointName(name);
      await fsp.rm(dir(name), { recursive: true, force: true });
    },
  };
}
