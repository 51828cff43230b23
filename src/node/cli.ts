/**
 * The `webift` command line: dispatches to one module per command (each exports its Command: summary, flag table,
 * run), and prints `--help` at every level and `--version`. Same model/generate code as the browser, on Dawn WebGPU
 * or wasm. Contract: --json prints machine-readable JSON on stdout; bad input exits 2 with one line (an unknown
 * command or flag names the closest one); help exits 0.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envVar } from '../platform/env';
import { closest } from '../util/edit-distance';
import type { Command } from './command';
import { UsageError, reportError } from './errors';
import { commandHelp, topHelp } from './help';

/** Every command, loaded on use; each module exports its Command (name, summary, flag table, run). */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => (await import('./commands/train')).command,
  generate: async () => (await import('./commands/generate')).command,
  chat: async () => (await import('./commands/chat')).command,
  logits: async () => (await import('./commands/logits')).command,
  merge: async () => (await import('./commands/merge')).command,
  export: async () => (await import('./commands/export')).command,
  convert: async () => (await import('./commands/convert')).command,
  data: async () => (await import('./commands/data')).command,
  predict: async () => (await import('./commands/predict')).command,
  eval: async () => (await import('./commands/eval')).command,
  ablate: async () => (await import('./commands/ablate')).command,
  judge: async () => (await import('./commands/judge')).command,
  serve: async () => (await import('./commands/serve')).command,
};

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** `-h` / `--help` among the flags (before a bare `--`). */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The entry called `name`, or a UsageError naming the closest one. */
function pick(entries: Record<string, () => Promise<Command>>, name: string, group?: string): Promise<Command> {
  if (Object.hasOwn(entries, name)) return entries[name]();
  const near = closest(name, Object.keys(entries));
  const what = group ? `${group} subcommand` : 'command';
  throw new UsageError(`unknown ${what} '${name}' (${near ? `did you mean ${near}?` : `${what}s: ${Object.keys(entries).join(', ')}`})`);
}

/** Runs a command, or prints its help; a group picks a subcommand by the first word. */
async function dispatch(cmd: Command, argv: string[]): Promise<number> {
  if (cmd.subcommands) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(await commandHelp(cmd));
      return sub === undefined ? 2 : 0;
    }
    return dispatch(await pick(cmd.subcommands, sub, cmd.name), rest);
  }
  if (wantsHelp(argv) || !cmd.run) {
    process.stdout.write(await commandHelp(cmd));
    return 0;
  }
  return cmd.run(argv);
}

/** Runs the command line; returns the exit code (0 also for any --help; 2 for a usage error or no command). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === '--version') {
      process.stdout.write(`webift ${version()}\n`);
      return 0;
    }
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || (cmd === 'help' && !rest.length)) {
      process.stdout.write(await topHelp(version(), COMMANDS));
      return cmd === undefined ? 2 : 0;
    }
    // `webift help data convert` = `webift data convert --help`
    if (cmd === 'help') return await dispatch(await pick(COMMANDS, rest[0]), [...rest.slice(1), '--help']);
    return await dispatch(await pick(COMMANDS, cmd), rest);
  } catch (e) {
    return reportError(e, envVar('WEBIFT_DEBUG') === '1');
  }
}
