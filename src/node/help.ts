/**
 * `--help` text, printed from the Command records and their flag tables (the ones the parser reads), so it cannot
 * drift from what the commands accept: a list of commands with their summaries, or one command's usage and every
 * flag with its value type, default and meaning.
 */
import type { Flag, FlagSpec } from './args';
import type { Command } from './command';

/** `-s, --name <value>`: a boolean flag is a switch and shows no value. */
export function flagLabel(name: string, f: Flag): string {
  const value = f.type === 'string' ? ` <${f.value ?? 'value'}>` : '';
  return `${f.short ? `-${f.short}, ` : ''}--${name}${value}`;
}

/** The help column: the text, then "(repeatable)" and "(default: X)" where they apply. */
export function flagText(f: Flag): string {
  return [f.help, f.multiple ? '(repeatable)' : '', f.default !== undefined ? `(default: ${f.default})` : ''].filter(Boolean).join(' ');
}

function columns(rows: [string, string][], indent = '  ', max = 34): string[] {
  const w = Math.min(max, Math.max(0, ...rows.map(([l]) => l.length)));
  return rows.map(([l, t]) => (l.length > w ? `${indent}${l}\n${indent}${' '.repeat(w + 2)}${t}` : `${indent}${l.padEnd(w)}  ${t}`));
}

export function flagLines(spec: FlagSpec): string[] {
  const rows = Object.entries(spec).map(([name, f]): [string, string] => [flagLabel(name, f), flagText(f)]);
  rows.push(['-h, --help', 'print this help']);
  return columns(rows);
}

/** One command (or group): summary, usage, then its flags or its subcommands. */
export async function commandHelp(cmd: Command): Promise<string> {
  const out = [`webift ${cmd.name}: ${cmd.summary}`, ''];
  if (cmd.subcommands) {
    out.push(`usage: webift ${cmd.name} <${Object.keys(cmd.subcommands).join('|')}> [flags]`, '', 'subcommands:');
    out.push(...(await summaries(cmd.subcommands)), '', `\`webift ${cmd.name} <subcommand> --help\` lists its flags.`);
  } else {
    out.push(`usage: webift ${cmd.name} ${cmd.usage ?? '[flags]'}`, '', 'flags:', ...flagLines(cmd.flags ?? {}));
  }
  if (cmd.notes?.length) out.push('', ...cmd.notes);
  return `${out.join('\n')}\n`;
}

/** "  name   summary" for each entry, loading each to read its summary. */
export async function summaries(entries: Record<string, () => Promise<Command>>): Promise<string[]> {
  const loaded = await Promise.all(Object.entries(entries).map(async ([name, load]): Promise<[string, string]> => [name, (await load()).summary]));
  return columns(loaded, '  ', 12);
}

/** `webift --help`: every command with its one line. */
export async function topHelp(version: string, commands: Record<string, () => Promise<Command>>): Promise<string> {
  return [
    `webift ${version}: instruction fine-tuning of LLMs, in the browser and here.`,
    '',
    'usage: webift <command> [flags]',
    '       webift <command> --help      its flags, with their types and defaults (also: webift help <command>)',
    '       webift --version',
    '',
    'commands:',
    ...(await summaries(commands)),
    '',
  ].join('\n');
}
