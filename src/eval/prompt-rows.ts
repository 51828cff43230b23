/**
 * Rows to prompt a model with, for batch prediction and the judge: the four AlpaGasus test sets by their own keys
 * (Koala {id, prompt}, Vicuna {question_id, text, category}, WizardLM {idx, Skill, Difficulty, Instruction},
 * Self-Instruct {id, motivation_app, instruction, instances: [{input, output}]}, as in gpt4life/alpagasus
 * test_data), unified records ({instruction, input, output?} or {messages}), GSM8K {question, answer} and plain
 * {prompt}. Each row gets a stable id (its own id key, else its 0-based position) and the question as AlpaGasus's
 * eval.py shows it to the judge. Not handled: Self-Instruct rows with several instances (eval.py asserts one).
 */
import type { Message } from '../data/records';

export type TestSetName = 'koala' | 'vicuna' | 'wizardlm' | 'sinstruct';

export interface PromptRow {
  id: string;
  /** The test set the row's keys identify, or '' for other shapes. */
  set: TestSetName | '';
  instruction: string;
  input: string;
  /** Multi-turn rows: the conversation up to the assistant turn to produce (instruction/input are then ''). */
  messages?: Message[];
  /** The question as the judge sees it: the instruction, with " Input: ..." for Self-Instruct rows that have one. */
  question: string;
  /** A reference answer when the row has one (unified record output, Self-Instruct instance output, GSM8K answer). */
  reference?: string;
}

export class PromptRowError extends Error {
  override name = 'PromptRowError';
}

type Obj = Record<string, unknown>;

const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const idOf = (v: unknown, fallback: number): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : String(fallback));

function row(id: string, set: PromptRow['set'], instruction: string, input = '', reference?: string): PromptRow {
  // eval.py: sinstruct shows '{instruction} Input: {input}' when the input is non-empty; the other sets have none.
  const question = input ? `${instruction} Input: ${input}` : instruction;
  return { id, set, instruction, input, question, ...(reference !== undefined ? { reference } : {}) };
}

/** One row (a parsed JSON object at position `index`) to a prompt, or a PromptRowError naming what is missing. */
export function promptRow(o: unknown, index: number): PromptRow {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new PromptRowError('not a JSON object');
  const r = o as Obj;
  if (s(r.text) !== null && 'question_id' in r) return row(idOf(r.question_id, index), 'vicuna', r.text as string);
  if (s(r.Instruction) !== null && 'idx' in r) return row(idOf(r.idx, index), 'wizardlm', r.Instruction as string);
  if (s(r.instruction) !== null && Array.isArray(r.instances)) {
    const inst = r.instances as Obj[];
    if (inst.length !== 1) throw new PromptRowError(`"instances" has ${inst.length} entries; one is expected (as AlpaGasus's eval.py asserts)`);
    return row(idOf(r.id, index), 'sinstruct', r.instruction as string, s(inst[0]?.input) ?? '', s(inst[0]?.output) ?? undefined);
  }
  if (Array.isArray(r.messages)) {
    const msgs = r.messages as Message[];
    if (!msgs.every((m) => m && typeof m.content === 'string' && ['system', 'user', 'assistant'].includes(m.role))) throw new PromptRowError('"messages" must be {role: system|user|assistant, content: string} objects');
    const last = msgs.length && msgs[msgs.length - 1].role === 'assistant' ? msgs.length - 1 : msgs.length;
    const context = msgs.slice(0, last);
    if (!context.some((m) => m.role === 'user')) throw new PromptRowError('"messages" has no user turn to answer');
    const lastUser = [...context].reverse().find((m) => m.role === 'user')!;
    return { id: idOf(r.id, index), set: '', instruction: '', input: '', messages: context, question: lastUser.content, ...(last < msgs.length ? { reference: msgs[last].content } : {}) };
  }
  if (s(r.instruction) !== null) return row(idOf(r.id, index), '', r.instruction as string, s(r.input) ?? '', s(r.output) ?? undefined);
  if (s(r.question) !== null) return row(idOf(r.id, index), '', r.question as string, '', s(r.answer) ?? undefined);
  // Koala rows are {id: 'koala_N', prompt}; other {prompt} rows are plain prompts.
  if (s(r.prompt) !== null) return row(idOf(r.id, index), /^koala_/.test(String(r.id)) ? 'koala' : '', r.prompt as string);
  throw new PromptRowError(`no prompt field (expected one of instruction, messages, prompt, text, Instruction, question; got ${Object.keys(r).join(', ') || 'none'})`);
}

/** A JSON array or JSON Lines text to prompt rows; the first bad row or a duplicate id is one PromptRowError. */
export function parsePromptRows(text: string, label = 'input'): PromptRow[] {
  const t = text.trim();
  if (!t) throw new PromptRowError(`${label}: the file is empty`);
  let values: { v: unknown; where: string }[];
  if (t[0] === '[') {
    let arr: unknown;
    try {
      arr = JSON.parse(t);
    } catch (e) {
      throw new PromptRowError(`${label}: not valid JSON (${(e as Error).message})`);
    }
    values = (arr as unknown[]).map((v, i) => ({ v, where: `index ${i}` }));
  } else {
    values = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try {
        values.push({ v: JSON.parse(line), where: `line ${i + 1}` });
      } catch (e) {
        throw new PromptRowError(`${label}: line ${i + 1} is not JSON (${(e as Error).message})`);
      }
    });
  }
  const seen = new Set<string>();
  return values.map(({ v, where }, i) => {
    let r: PromptRow;
    try {
      r = promptRow(v, i);
    } catch (e) {
      throw new PromptRowError(`${label}: ${where}: ${(e as Error).message}`);
    }
    if (seen.has(r.id)) throw new PromptRowError(`${label}: ${where}: id '${r.id}' appears twice; ids must be unique to resume and to pair predictions`);
    seen.add(r.id);
    return r;
  });
}
