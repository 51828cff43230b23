/** Runs the `webift` bin as a subprocess (cpu backend unless overridden) and returns exit code, stdout, stderr. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/webift.mjs');

export function webift(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, WEBIFT_BACKEND: 'cpu', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs cli.ts main() in this process and captures what it writes: no subprocess start-up, for help text and usage
 * errors. A command that loads a model or touches the backend belongs in the subprocess form above.
 */
export async function webiftInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/node/cli');
  const out = { stdout: '', stderr: '' };
  const { stdout, stderr } = process;
  const saved = [stdout.write, stderr.write] as const;
  const capture = (key: 'stdout' | 'stderr') => ((chunk: string | Uint8Array) => ((out[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true)) as typeof stdout.write;
  stdout.write = capture('stdout');
  stderr.write = capture('stderr');
  try {
    return { code: await main(args), ...out };
  } finally {
    [stdout.write, stderr.write] = saved;
  }
}
