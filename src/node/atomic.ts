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

/**
 * Fills a temporary sibling folder with `fill`, then swaps it in for `dir`. A previous `dir` is moved aside first
 * and put back if the swap fails, and removed only once the new one is in place.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const abs = path.resolve(dir);
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.tmp-${stamp}`);
  let old: string | null = null;
  await fsp.mkdir(tmp);
  try {
    await fill(tmp);
    if (await fsp.stat(abs).catch(() => null)) {
      old = path.join(path.dirname(abs), `.${path.basename(abs)}.old-${stamp}`);
      await fsp.rename(abs, old);
    }
    await fsp.rename(tmp, abs);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    if (old) await fsp.rename(old, abs).catch(() => undefined);
    throw e;
  }
  if (old) await fsp.rm(old, { recursive: true, force: true });
}
