/**
 * Every synthetic dataset from one seed: the pretraining corpus, the instruction sets (arithmetic direct/CoT in
 * English and Chinese, the other task families in both languages), the held-out test splits, and the two mixes
 * the demo and the classroom use. Same seed, same bytes. Test problems come from the held-out pool (record.ts), so
 * no test problem is a training problem whatever the seed. Not here: file I/O (scripts/make-synthetic.ts).
 */
import { Rng } from '../rng';
import { arithmeticRecord, drawProblem, type Problem, type Style } from './arithmetic';
import { corpusDocument } from './corpus';
import type { Lang, SyntheticRecord } from './record';
import { taskRecord, TASKS, type TaskFamily } from './tasks';

export interface SyntheticSizes {
  corpusDocs: number;
  arithmeticTrain: { en: number; zh: number };
  tasksTrainPerFamily: { en: number; zh: number };
  arithmeticTest: { en: number; zh: number };
  tasksTestPerFamily: { en: number; zh: number };
}

export const DEFAULT_SIZES: SyntheticSizes = {
  corpusDocs: 8000,
  arithmeticTrain: { en: 600, zh: 300 },
  tasksTrainPerFamily: { en: 100, zh: 50 },
  arithmeticTest: { en: 100, zh: 50 },
  tasksTestPerFamily: { en: 12, zh: 8 },
};

export interface SyntheticDatasets {
  corpus: string[];
  /** Instruction sets by name, e.g. 'arith-en-cot'. The same problems appear in -direct and -cot. */
  sets: Record<string, SyntheticRecord[]>;
}

function arithmetic(rng: Rng, n: number, lang: Lang, heldOut: boolean): Record<Style, SyntheticRecord[]> {
  const problems: Problem[] = Array.from({ length: n }, () => drawProblem(rng, heldOut));
  // One rng stream per style from the same seed, so -direct and -cot word each problem identically.
  const seed = rng.nextU32();
  const worded = (style: Style) => {
    const r = new Rng(seed);
    return problems.map((p) => arithmeticRecord(r, p, lang, style));
  };
  return { direct: worded('direct'), cot: worded('cot') };
}

function tasks(rng: Rng, perFamily: number, lang: Lang, heldOut: boolean): SyntheticRecord[] {
  return (Object.keys(TASKS) as TaskFamily[]).flatMap((f) => Array.from({ length: perFamily }, () => taskRecord(rng, f, lang, heldOut)));
}

/** Interleaves sets by a seeded shuffle (the training order is the trainer's business; this only mixes the file). */
function mix(rng: Rng, ...sets: SyntheticRecord[][]): SyntheticRecord[] {
  const all = sets.flat();
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

export function buildSynthetic(seed = 1234, sizes: SyntheticSizes = DEFAULT_SIZES): SyntheticDatasets {
  const rng = new Rng(seed);
  const corpus = Array.from({ length: sizes.corpusDocs }, () => corpusDocument(rng));
  const en = arithmetic(rng, sizes.arithmeticTrain.en, 'en', false);
  const zh = arithmetic(rng, sizes.arithmeticTrain.zh, 'zh', false);
  const tasksEn = tasks(rng, sizes.tasksTrainPerFamily.en, 'en', false);
  const tasksZh = tasks(rng, sizes.tasksTrainPerFamily.zh, 'zh', false);
  const testEn = arithmetic(rng, sizes.arithmeticTest.en, 'en', true);
  const testZh = arithmetic(rng, sizes.arithmeticTest.zh, 'zh', true);
  const testTasksEn = tasks(rng, sizes.tasksTestPerFamily.en, 'en', true);
  const testTasksZh = tasks(rng, sizes.tasksTestPerFamily.zh, 'zh', true);
  const sets: Record<string, SyntheticRecord[]> = {
    'arith-en-direct': en.direct,
    'arith-en-cot': en.cot,
    'arith-zh-direct': zh.direct,
    'arith-zh-cot': zh.cot,
    'tasks-en': tasksEn,
    'tasks-zh': tasksZh,
    'test-arith-en': testEn.cot,
    'test-arith-zh': testZh.cot,
    'test-tasks-en': testTasksEn,
    'test-tasks-zh': testTasksZh,
  };
  sets['demo-train'] = mix(rng, en.cot, zh.cot, tasksEn, tasksZh);
  sets['demo-test'] = mix(rng, testEn.cot.slice(0, 32), testZh.cot.slice(0, 16), testTasksEn, testTasksZh);
  return { corpus, sets };
}
