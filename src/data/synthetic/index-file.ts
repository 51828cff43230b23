/**
 * index.json of public/data/synthetic/ (served at /data/synthetic/index.json): every file with its count, split and
 * a one-line description, plus which files the default experiment and the classroom preset use.
 */
import type { SyntheticDatasets } from './datasets';

export const SYNTHETIC_SEED = 1234;

const DESCRIPTIONS: Record<string, string> = {
  corpus: 'plain-text pretraining corpus ({"text"} lines): sums, differences, unit facts, lists, words; EN + ZH',
  'arith-en-direct': 'two-step word problems (EN), answer only: "The answer is N."',
  'arith-en-cot': 'the same problems (EN) with a step-by-step rationale ending "The answer is N."',
  'arith-zh-direct': 'two-step word problems (ZH), answer only: "答案是 N。"',
  'arith-zh-cot': 'the same problems (ZH) with a step-by-step rationale',
  'tasks-en': 'unit conversion, sorting, repeat a word, square brackets (EN)',
  'tasks-zh': 'the same families worded in Chinese',
  'test-arith-en': 'held-out EN word problems (exact match on the answer)',
  'test-arith-zh': 'held-out ZH word problems (exact match on the answer)',
  'test-tasks-en': 'held-out EN task problems (exact match)',
  'test-tasks-zh': 'held-out ZH task problems (exact match)',
  'demo-train': 'the default experiment: arith CoT (EN+ZH) + all task families (EN+ZH)',
  'demo-test': 'the default experiment held-out split: a mix of every test set',
};

export interface SyntheticIndexEntry {
  name: string;
  file: string;
  split: 'pretrain' | 'train' | 'test';
  count: number;
  description: string;
}

export interface SyntheticIndex {
  seed: number;
  generator: string;
  datasets: SyntheticIndexEntry[];
  default: { train: string; test: string };
  classroom: { direct: string[]; cot: string[]; noChinese: string[]; testArithmetic: string; testChinese: string[] };
}

export function syntheticIndex(data: SyntheticDatasets): SyntheticIndex {
  const entry = (name: string, count: number): SyntheticIndexEntry => ({
    name, file: `${name}.jsonl`, split: name === 'corpus' ? 'pretrain' : name.includes('test') ? 'test' : 'train', count, description: DESCRIPTIONS[name] ?? name,
  });
  return {
    seed: SYNTHETIC_SEED,
    generator: 'npm run make-synthetic equivalent: node --import ./bin/node-env.mjs scripts/make-synthetic.ts (src/data/synthetic)',
    datasets: [entry('corpus', data.corpus.length), ...Object.entries(data.sets).map(([n, rows]) => entry(n, rows.length))],
    default: { train: 'demo-train.jsonl', test: 'demo-test.jsonl' },
    classroom: {
      direct: ['arith-en-direct.jsonl', 'arith-zh-direct.jsonl', 'tasks-en.jsonl', 'tasks-zh.jsonl'],
      cot: ['arith-en-cot.jsonl', 'arith-zh-cot.jsonl', 'tasks-en.jsonl', 'tasks-zh.jsonl'],
      noChinese: ['arith-en-cot.jsonl', 'tasks-en.jsonl'],
      testArithmetic: 'test-arith-en.jsonl',
      testChinese: ['test-arith-zh.jsonl', 'test-tasks-zh.jsonl'],
    },
  };
}
