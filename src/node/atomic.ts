/**
 * Atomic file and folder writes: write beside the target under a temporary name, then rename over it, so a crash
 * or a bad input never leaves a partial file where a good one was (or should be).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Fills a temporary sibling folder with `fill`, then swaps it in for `dir` (the old one is removed only after). */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const abs = path.resolve(dir);
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.tmp-${process.pid}-${Date.now()}`;
  const old = `${abs}.old-${process.pid}-${Date.now()}`;
  await fsp.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const existed = await fsp.stat(abs).then(() => true, () => false);
  if (existed) await fsp.rename(abs, old);
  await fsp.rename(tmp, abs);
  if (existed) await fsp.rm(old, { recursive: true, force: true });
}
