/**
 * What a CLI command is: its name, a one-line summary, a usage line and the flag table its parser reads, next to
 * the function that runs it; or a group (`data`, `convert`) of lazily loaded subcommands. cli.ts lists the commands;
 * `--help` at any level prints from these (help.ts), so the help shows exactly the flags the parser accepts.
 */
import type { FlagSpec } from './args';

export type Run = (argv: string[]) => Promise<number>;

export interface Command {
  /** The words after `webift`, e.g. 'train' or 'data convert'. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positionals and required flags, after the name: e.g. '--model <dir|repo> --out <dir> [flags]'. */
  usage?: string;
  /** The table the command's parser reads (absent for a group). */
  flags?: FlagSpec;
  /** Lines printed after the flags, e.g. what a positional means. */
  notes?: string[];
  run?: Run;
  /** A group: the first positional picks one of these. */
  subcommands?: Record<string, () => Promise<Command>>;
}
