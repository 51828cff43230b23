/**
 * CLI error contract: bad input (missing file, unknown architecture, malformed record, shape mismatch, truncated
 * file) prints ONE clear line on stderr and exits 2. Anything else is a bug: exit 1 with the message.
 */
import { ConfigError } from '../model/config';
import { CheckpointError } from '../model/load';
import { SafetensorsError } from '../model/safetensors';
import { ShapeError } from '../model/transformer';

/** Errors that mean "your input is wrong", as opposed to "webift has a bug". */
export class UsageError extends Error {
  override name = 'UsageError';
}

const BAD_INPUT = [UsageError, ConfigError, CheckpointError, SafetensorsError, ShapeError];

export function isBadInput(e: unknown): boolean {
  if (BAD_INPUT.some((c) => e instanceof c)) return true;
  const code = (e as { code?: string })?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || e instanceof SyntaxError;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * A runner that turns the given library errors (each one a user's bad input: a config, a flag's value, a record)
 * into UsageErrors with the same message, so they exit 2 with one line; anything else passes through.
 */
export function asUsageFor(...classes: ErrorClass[]): <T>(f: () => T) => T {
  return (f) => {
    try {
      return f();
    } catch (e) {
      if (classes.some((c) => e instanceof c)) throw new UsageError((e as Error).message);
      throw e;
    }
  };
}

/** Prints the one line and returns the exit code. WEBIFT_DEBUG=1 adds the stack. */
export function reportError(e: unknown, debug: boolean): number {
  const msg = ((e as Error)?.message ?? String(e)).split('\n')[0];
  process.stderr.write(`webift: error: ${msg}\n`);
  if (debug && (e as Error)?.stack) process.stderr.write(`${(e as Error).stack}\n`);
  return isBadInput(e) ? 2 : 1;
}
