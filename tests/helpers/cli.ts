/** Runs the `webift` bin as a subprocess (cpu backend unless overridden) and returns exit code, stdout, stderr. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/webift.mjs');

export function webift(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, WEBIFT_BACKEND: 'cpu', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
