/**
 * Prompt rows (src/eval/prompt-rows.ts): the four AlpaGasus test sets read by their own keys from ../shared (ids,
 * sets, counts as SOURCES.md lists them; Self-Instruct's question as eval.py builds it), plus the other row shapes
 * and the errors for bad rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePromptRows, promptRow, PromptRowError } from '../../src/eval/prompt-rows';
import { haveShared, sharedPath } from '../helpers/fixtures';

const SETS = 'data/eval/alpagasus-test-sets';

describe.skipIf(!haveShared('alpagasus test sets', SETS))('AlpaGasus test sets from ../shared', () => {
  const read = (f: string) => parsePromptRows(readFileSync(sharedPath(`${SETS}/${f}`), 'utf8'), f);

  it('reads Koala, Vicuna, WizardLM and Self-Instruct with their ids and set names', () => {
    const koala = read('koala_test_set.jsonl'), vicuna = read('vicuna_test_set.jsonl');
    const wizard = read('wizardlm_test_set.jsonl'), sinstruct = read('sinstruct_test_set.jsonl');
    expect([koala.length, vicuna.length, wizard.length, sinstruct.length]).toEqual([180, 80, 218, 252]);
    expect(new Set(koala.map((r) => r.set))).toEqual(new Set(['koala']));
    expect(new Set(vicuna.map((r) => r.set))).toEqual(new Set(['vicuna']));
    expect(new Set(wizard.map((r) => r.set))).toEqual(new Set(['wizardlm']));
    expect(new Set(sinstruct.map((r) => r.set))).toEqual(new Set(['sinstruct']));
    expect(koala[0]).toMatchObject({ id: 'koala_0', instruction: koala[0].question });
    expect(vicuna[0]).toMatchObject({ id: '1', question: 'How can I improve my time management skills?' });
    expect(wizard[0]).toMatchObject({ id: '1', question: 'If a car travels 120 miles in 2 hours, what is its average speed in miles per hour?' });
    const withInput = sinstruct.find((r) => r.input)!;
    expect(withInput.question).toBe(`${withInput.instruction} Input: ${withInput.input}`);
    expect(typeof withInput.reference).toBe('string');
  });
});

describe('prompt rows', () => {
  it('reads unified records, messages, GSM8K and plain prompts', () => {
    expect(promptRow({ instruction: 'Add.', input: '2 3', output: '5' }, 4)).toMatchObject({ id: '4', set: '', question: 'Add. Input: 2 3', reference: '5' });
    const m = promptRow({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Bye?' }, { role: 'assistant', content: 'Bye' }] }, 0);
    expect(m.messages).toHaveLength(3);
    expect(m).toMatchObject({ question: 'Bye?', reference: 'Bye' });
    expect(promptRow({ question: 'Natalia sold 48 clips...', answer: '... #### 72' }, 1)).toMatchObject({ question: 'Natalia sold 48 clips...', reference: '... #### 72' });
    expect(promptRow({ id: 'x9', prompt: 'Write a haiku.' }, 2)).toMatchObject({ id: 'x9', set: '' });
  });

  it('refuses bad rows with their line, and duplicate ids', () => {
    expect(() => parsePromptRows('{"instruction": "a"}\n{"foo": 1}\n', 'f.jsonl')).toThrow(/f\.jsonl: line 2: no prompt field/);
    expect(() => parsePromptRows('{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n', 'f.jsonl')).toThrow(/id '1' appears twice/);
    expect(() => parsePromptRows('{"instruction": "a"\n', 'f.jsonl')).toThrow(PromptRowError);
    expect(() => promptRow({ instruction: 'x', instances: [] }, 0)).toThrow(/one is expected/);
  });
});
