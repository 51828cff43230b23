/**
 * `--help` everywhere in the CLI, printed from the flag tables the parser reads: the command list, each command's
 * flags with value type, default and meaning, a walk over every table (found through cli.ts's registry, so a new
 * command or flag without help fails here), `--version`, "did you mean" for a mistyped flag, command or subcommand,
 * and negative numbers after a flag (`--lora-r -3` is a clear range error, not parseArgs' "ambiguous").
 * In-process (cli.ts main()), no model is loaded: fast.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { webiftInProcess as webift } from '../helpers/cli';
import { parse } from '../../src/node/args';
import type { Command } from '../../src/node/command';
import { COMMANDS } from '../../src/node/cli';
import { SAMPLING_FLAGS } from '../../src/node/sampling-flags';
import { TRAIN_FLAGS } from '../../src/node/train-flags';
import { closest, editDistance } from '../../src/util/edit-distance';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every command reachable from the registry: groups and the leaves under them. */
async function walk(entries: Record<string, () => Promise<Command>> = COMMANDS, out: Command[] = []): Promise<Command[]> {
  for (const load of Object.values(entries)) {
    const c = await load();
    out.push(c);
    if (c.subcommands) await walk(c.subcommands, out);
  }
  return out;
}

const errorOf = (r: { stderr: string }) => r.stderr.trim().split('\n');

describe('webift --help', () => {
  it('lists every command with its one-line summary, for --help, -h and help; no command exits 2', async () => {
    const summaries = await Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => [name, (await load()).summary]));
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const r = await webift(args);
      expect(r.code).toBe(args.length ? 0 : 2);
      expect(r.stderr).toBe('');
      for (const [name, summary] of summaries) expect(r.stdout).toMatch(new RegExp(`^  ${name} +${summary.replace(/[()]/g, '\\$&')}$`, 'm'));
    }
  });

  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(await webift(['--version'])).toEqual({ code: 0, stdout: `webift ${version}\n`, stderr: '' });
  });

  it('every flag of every table has a one-line help, and no table takes --help, -h or --version', async () => {
    const all = await walk();
    expect(all.map((c) => c.name)).toEqual(expect.arrayContaining(['train', 'generate', 'chat', 'logits', 'merge', 'export', 'convert llama2c', 'data convert', 'data pull', 'data filter']));
    for (const c of all) {
      expect(c.summary.trim(), c.name).not.toBe('');
      if (c.subcommands) continue;
      expect(c.flags, `${c.name} has no flag table`).toBeDefined();
      expect(c.run, c.name).toBeDefined();
      for (const [name, f] of Object.entries(c.flags!)) {
        const where = `${c.name} --${name}`;
        expect(typeof f.help === 'string' && f.help.trim().length > 0 && !f.help.includes('\n'), `${where} needs a one-line help text`).toBe(true);
        expect(name === 'help' || name === 'version' || f.short === 'h', `${where} takes a name --help reserves`).toBe(false);
        if (f.type === 'boolean') expect(f.default === undefined && f.value === undefined, `${where} is a switch: no default or placeholder`).toBe(true);
      }
    }
  });

  it("each command's --help shows every flag of its table with its value type, default and help", async () => {
    for (const c of await walk()) {
      if (c.subcommands) continue;
      const r = await webift([...c.name.split(' '), '--help']);
      expect(r.code, c.name).toBe(0);
      expect(r.stdout.startsWith(`webift ${c.name}: ${c.summary}\n`)).toBe(true);
      for (const [name, f] of Object.entries(c.flags!)) {
        const label = `--${name}${f.type === 'string' ? ` <${f.value ?? 'value'}>` : ''}`;
        // The label, then (on the same line or, for a long label, the next) the help and the default.
        const text = [f.help, f.multiple ? '(repeatable)' : '', f.default !== undefined ? `(default: ${f.default})` : ''].filter(Boolean).join(' ');
        expect(r.stdout, `${c.name} --${name}`).toMatch(new RegExp(`^  ${esc(label)}\\s+${esc(text)}$`, 'm'));
      }
      expect(r.stdout).toMatch(/^ {2}-h, --help +print this help$/m);
    }
  });

  it('prints known flags as written by hand (type placeholder, default)', async () => {
    const train = (await webift(['train', '--help'])).stdout;
    expect(train).toMatch(/^ {2}--lora-r <int> +LoRA \/ DoRA rank \(default: 8\)$/m);
    expect(train).toMatch(/^ {2}--lr <number> +peak learning rate, reached after warmup \(default: 0\.0003\)$/m);
    expect(train).toMatch(/^ {2}--resume +continue from the latest checkpoint in OUT\/checkpoints$/m);
    expect(train).toMatch(/^ {2}--quantize <none\|int8\|int4> +.*\(default: none\)$/m);
    expect((await webift(['generate', '--help'])).stdout).toMatch(/^ {2}--stop <text> +.* \(repeatable\)$/m);
  });

  it('a group lists its subcommands; help <command> equals <command> --help', async () => {
    const data = await webift(['data', '--help']);
    expect(data.code).toBe(0);
    for (const sub of ['list', 'show', 'convert', 'mix', 'pull', 'filter']) expect(data.stdout).toMatch(new RegExp(`^  ${sub} +\\S`, 'm'));
    expect(await webift(['help', 'data'])).toEqual(data);
    expect(await webift(['help', 'train'])).toEqual(await webift(['train', '-h']));
    expect(await webift(['help', 'data', 'convert'])).toEqual(await webift(['data', 'convert', '--help']));
    expect((await webift(['data'])).code).toBe(2);
  });

  it('help comes before the flags are checked: --help with other (even bad) flags still prints help', async () => {
    const r = await webift(['train', '--lora-r', 'x', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: webift train /m);
  });

  it('every command module under src/node/commands is reachable from the registry', async () => {
    const names = new Set((await walk()).map((c) => c.name));
    for (const f of readdirSync(path.join(ROOT, 'src/node/commands')).filter((x) => x.endsWith('.ts'))) {
      const mod = (await import(`../../src/node/commands/${f.slice(0, -3)}.ts`)) as { command?: Command };
      expect(mod.command, `${f} exports no Command`).toBeDefined();
      expect(names.has(mod.command!.name), `${f}: '${mod.command!.name}' is not registered in cli.ts COMMANDS`).toBe(true);
    }
  });
});

describe('mistyped flags and commands', () => {
  it('an unknown flag names the closest one, exit 2, one line', async () => {
    const r = await webift(['train', '--lora-rr', '3']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "webift: error: unknown option '--lora-rr' (did you mean --lora-r?)\n" });
    expect(errorOf(await webift(['generate', '--max-new-token', '3']))).toEqual(["webift: error: unknown option '--max-new-token' (did you mean --max-new-tokens?)"]);
  });

  it('an unknown flag with nothing close points to --help', async () => {
    expect(errorOf(await webift(['merge', '--zzzzzz']))).toEqual(["webift: error: unknown option '--zzzzzz' (--help lists the options)"]);
  });

  it('an unknown command or subcommand names the closest one', async () => {
    expect(await webift(['trian'])).toEqual({ code: 2, stdout: '', stderr: "webift: error: unknown command 'trian' (did you mean train?)\n" });
    expect(errorOf(await webift(['data', 'conver', 'x.json']))).toEqual(["webift: error: unknown data subcommand 'conver' (did you mean convert?)"]);
    expect(errorOf(await webift(['help', 'genrate']))).toEqual(["webift: error: unknown command 'genrate' (did you mean generate?)"]);
    const far = await webift(['frobnicate']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/^webift: error: unknown command 'frobnicate' \(commands: train, generate, .*data.*\)\n$/);
  });

  it('a --config file key that is a typo names the closest train flag', async () => {
    const cfg = path.join(mkdtempSync(path.join(tmpdir(), 'webift-help-')), 'c.json');
    writeFileSync(cfg, JSON.stringify({ loraR: 4, lora_alpah: 8 }));
    const r = await webift(['train', '--config', cfg, '--model', 'm', '--data', 'd', '--out', 'o']);
    expect(errorOf(r)).toEqual([`webift: error: --config ${cfg}: unknown key 'lora_alpah' (did you mean "lora-alpha"?)`]);
  });
});

describe('negative numbers after a flag', () => {
  it('--lora-r -3 is a range error naming the flag, not "argument is ambiguous"', async () => {
    for (const v of [['--lora-r', '-3'], ['--lora-r=-3']]) {
      const r = await webift(['train', '--model', 'm', '--data', 'd', '--out', 'o', ...v]);
      expect(r).toEqual({ code: 2, stdout: '', stderr: 'webift: error: --lora-r must be a positive integer, got -3\n' });
    }
    expect(errorOf(await webift(['train', '--model', 'm', '--data', 'd', '--out', 'o', '--warmup-steps', '-1']))).toEqual(['webift: error: --warmup-steps must be a non-negative integer, got -1']);
    expect(errorOf(await webift(['generate', '--model', 'm', '--prompt-ids', '1', '--max-new-tokens', '-5']))).toEqual(['webift: error: --max-new-tokens must be a positive integer, got -5']);
  });

  it('a flag that may be negative takes the value; a negative after a switch or after -- is left alone', () => {
    expect(parse(['--length-penalty', '-0.5', '--seed', '-.5'], SAMPLING_FLAGS).values).toMatchObject({ 'length-penalty': '-0.5', seed: '-.5' });
    expect(parse(['--', '--seed', '-3'], SAMPLING_FLAGS).positionals).toEqual(['--seed', '-3']);
    expect(() => parse(['--do-sample', '-3'], SAMPLING_FLAGS)).toThrow(/unknown option '-3'/);
  });

  it('the parser applies no default: an absent flag stays undefined, so a --config file can set it', () => {
    expect(parse([], TRAIN_FLAGS).values['lora-r']).toBeUndefined();
  });
});

describe('edit distance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3); // k->s, e->i, +g
    expect(editDistance('trian', 'train')).toBe(1); // one swap
    expect(editDistance('lora-rr', 'lora-r')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('closest stays within a third of the input length', () => {
    expect(closest('lora-rr', Object.keys(TRAIN_FLAGS))).toBe('lora-r');
    expect(closest('xyz', ['train', 'merge'])).toBeUndefined();
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
