/**
 * Flag parsing for the CLI on node:util parseArgs, with typed getters that turn bad values into UsageErrors
 * (exit 2, one line). Each flag carries its own help text, default and value placeholder, so `--help` is printed
 * from the very table the parser reads (help.ts). Unknown flags are refused with the closest known one named; a
 * negative number after a flag that takes a value is read as that value ("--lora-r -3"), for the getter to judge.
 */
import { parseArgs } from 'node:util';
import { closest } from '../util/edit-distance';
import { UsageError } from './errors';

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line for `--help`: what the flag does. Required, so no flag ships without it. */
  help: string;
  /** The value the command uses when the flag is absent, shown by `--help` (the command applies it, not the parser). */
  default?: string | number | boolean;
  /** The value's placeholder in `--help`, e.g. 'int' -> `--lora-r <int>`; a string flag without one shows <value>. */
  value?: string;
}

export type FlagSpec = Record<string, Flag>;

/** Flags many commands share. */
export const MODEL_FLAG: Flag = { type: 'string', value: 'dir|repo', help: 'the model: a folder (config.json + *.safetensors) or a hub repo id owner/name[@revision]' };
export const ADAPTER_FLAG: Flag = { type: 'string', value: 'dir', help: 'a PEFT adapter folder (LoRA, DoRA, IA3, prompt or prefix tuning) applied to the model' };
export const BACKEND_FLAG: Flag = { type: 'string', value: 'webgpu|wasm|cpu', help: 'compute backend (default: WEBIFT_BACKEND, else the first that works of webgpu, wasm, cpu)' };
export const JSON_FLAG: Flag = { type: 'boolean', help: 'machine-readable JSON on stdout' };

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** "--lora-r -3" -> "--lora-r=-3" for a flag that takes a value (parseArgs would call "-3" an option). */
function attachNegativeValues(argv: string[], spec: FlagSpec): string[] {
  const byShort = new Map(Object.entries(spec).filter(([, f]) => f.short).map(([name, f]) => [f.short!, name]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return out.concat(argv.slice(i));
    const name = a.startsWith('--') ? (a.includes('=') ? undefined : a.slice(2)) : a.length === 2 && a[0] === '-' ? byShort.get(a[1]) : undefined;
    if (name !== undefined && spec[name]?.type === 'string' && i + 1 < argv.length && NEGATIVE_NUMBER.test(argv[i + 1])) {
      out.push(`--${name}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

/**
 * "--model_type x" -> "--model-type x": the seed scripts (Alpaca-CoT, HF examples) spell flags with underscores, ours
 * with dashes. Only a name whose dashed form is a flag here and whose own spelling is not is rewritten; '--' ends it.
 */
function dashUnderscores(argv: string[], spec: FlagSpec): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => {
    if ((end >= 0 && i >= end) || !a.startsWith('--') || !a.includes('_')) return a;
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const dashed = name.replace(/_/g, '-');
    return !(name in spec) && dashed in spec ? `--${dashed}${eq < 0 ? '' : a.slice(eq)}` : a;
  });
}

export function parse(argv: string[], spec: FlagSpec): Parsed {
  // parseArgs sees only what it understands: `default` would be applied by it and would then win over a --config file.
  const options = Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) }]));
  try {
    const r = parseArgs({ args: attachNegativeValues(dashUnderscores(argv, spec), spec), options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '([^']+)'/.exec(msg)?.[1] : undefined;
    if (unknown !== undefined) {
      const near = unknown.startsWith('--') ? closest(unknown.slice(2), Object.keys(spec)) : undefined;
      throw new UsageError(`unknown option '${unknown}' ${near ? `(did you mean --${near}?)` : '(--help lists the options)'}`);
    }
    throw new UsageError(msg.replace(/\. To specify a positional.*$/, ''));
  }
}

export function str(p: Parsed, name: string, required: true): string;
export function str(p: Parsed, name: string, required?: false): string | undefined;
export function str(p: Parsed, name: string, required = false): string | undefined {
  const v = p.values[name];
  if (v === undefined && required) throw new UsageError(`--${name} is required`);
  return v as string | undefined;
}

export interface NumberRule {
  int?: boolean;
  min?: number;
  max?: number;
}

/** A flag's value as a number under `rule`, or a UsageError naming the flag, the rule and the value. */
export function toNumber(name: string, v: string | boolean, rule: NumberRule = {}): number {
  const n = Number(v);
  const kind = rule.int ? 'an integer' : 'a number';
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (rule.int && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${kind}, got '${v}'`);
  if (rule.min !== undefined && n < rule.min) {
    const what = rule.int && rule.min === 1 ? 'a positive integer' : rule.int && rule.min === 0 ? 'a non-negative integer' : `${kind} >= ${rule.min}`;
    throw new UsageError(`--${name} must be ${what}, got ${n}`);
  }
  if (rule.max !== undefined && n > rule.max) throw new UsageError(`--${name} must be <= ${rule.max}, got ${n}`);
  return n;
}

export function num(p: Parsed, name: string, rule: NumberRule = {}): number | undefined {
  const v = p.values[name];
  return v === undefined ? undefined : toNumber(name, v, rule);
}

export function bool(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** "1,2,3" -> [1, 2, 3] */
export function intList(p: Parsed, name: string): number[] | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const out = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError(`--${name} must be comma-separated token ids, got '${v}'`);
  return out;
}
