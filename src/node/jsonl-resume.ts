/**
 * Results files written one JSON line at a time (predict, judge) and read back to resume: every complete line is
 * kept; a last line cut short by a crash (no final newline, or not JSON) is cut off the file so appending continues
 * on a clean line; an unreadable line anywhere else is bad input, named by its line number, and nothing is changed.
 */
import { promises as fsp } from 'node:fs';
import { UsageError } from './errors';

export interface ResumeRead<T> {
  lines: T[];
  /** Bytes of a partial last line that were cut off (0 when the file ended cleanly or did not exist). */
  cut: number;
}

/** Parses `file` (missing = empty); with `repair`, truncates a partial last line away. */
export async function readJsonlForResume<T>(file: string, repair: boolean): Promise<ResumeRead<T>> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], cut: 0 };
    throw e;
  }
  const text = buf.toString('utf8');
  const parts = text.split('\n');
  const lines: T[] = [];
  let goodBytes = 0;
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i];
    const last = i === parts.length - 1;
    if (raw.trim() === '') {
      if (!last) goodBytes += Buffer.byteLength(raw) + 1;
      continue;
    }
    let value: T;
    try {
      value = JSON.parse(raw) as T;
    } catch {
      // Only the final line may be partial ("a\nb" splits into a complete 'a' and an unterminated 'b').
      if (last) break;
      throw new UsageError(`${file}: line ${i + 1} is not JSON; fix or remove the file to start over`);
    }
    if (last) break; // complete JSON but no newline yet: the append may have been cut mid-number; redo it
    lines.push(value);
    goodBytes += Buffer.byteLength(raw) + 1;
  }
  const cut = buf.length - goodBytes;
  if (cut > 0 && repair) await fsp.truncate(file, goodBytes);
  return { lines, cut };
}

/** Appends lines, each followed by a newline, in one write. */
export async function appendJsonl(file: string, values: unknown[]): Promise<void> {
  if (values.length) await fsp.appendFile(file, values.map((v) => `${JSON.stringify(v)}\n`).join(''));
}
