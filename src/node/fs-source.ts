/**
 * Filesystem implementations of ModelSource and ByteReader for Node: a checkpoint folder on disk, read with
 * positional reads so a multi-GB shard is never loaded whole.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { ModelSource } from '../model/load';
import type { ByteReader } from '../model/safetensors';

export function fileReader(file: string): ByteReader {
  return {
    size: async () => (await fsp.stat(file)).size,
    read: async (offset, length) => {
      const fh = await fsp.open(file, 'r');
      try {
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) throw new Error(`${file}: unexpected end of file at byte ${offset + got} (truncated?)`);
          got += bytesRead;
        }
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then((s) => s.isFile(), () => false);
}

export function folderSource(dir: string): ModelSource {
  return {
    label: dir,
    readText: async (name) => ((await exists(path.join(dir, name))) ? fsp.readFile(path.join(dir, name), 'utf8') : null),
    reader: async (name) => ((await exists(path.join(dir, name))) ? fileReader(path.join(dir, name)) : null),
  };
}
