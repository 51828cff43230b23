/**
 * Experiment presets as data: each a title, a one-line description and the changes it makes to the default
 * experiment. The "Classroom" preset trains on the CoT arithmetic data; AlpaGasus and QLoRA need models or filters
 * that the embedded default does not have, so their cards say so.
 */
import { defaultExperiment, type Experiment } from '../experiment/experiment';
import type { IndexEntry } from './stores/data-index';

export interface Preset {
  id: string;
  title: string;
  description: string;
  build(index: IndexEntry[]): Experiment;
}

const pickData = (index: IndexEntry[], re: RegExp) => index.filter((e) => e.train && re.test(e.name)).map(({ name, url }) => ({ name, url, weight: 1 }));

export const PRESETS: Preset[] = [
  {
    id: 'default', title: 'Quick start (embedded)', description: 'The tiny embedded model, all synthetic tasks, LoRA r=8. A minute or two.',
    build: (index) => ({ ...defaultExperiment(), data: pickData(index, /./) }),
  },
  {
    id: 'classroom-cot', title: 'Classroom: does CoT help?', description: 'Train on step-by-step arithmetic answers; compare with the direct-answer preset on the held-out problems.',
    build: (index) => ({ ...defaultExperiment(), name: 'Classroom: CoT arithmetic', data: pickData(index, /cot/i) }),
  },
  {
    id: 'classroom-direct', title: 'Classroom: direct answers', description: 'The same steps on direct-answer arithmetic: the baseline for the CoT preset.',
    build: (index) => ({ ...defaultExperiment(), name: 'Classroom: direct arithmetic', data: pickData(index, /direct/i) }),
  },
  {
    id: 'alpaca-lora', title: 'Alpaca LoRA (as Alpaca-CoT)', description: 'LoRA r=8, alpha=16, dropout 0.05 on q_proj, v_proj, lr 3e-4, cutoff 256. Pick a hub model for it.',
    build: (index) => {
      const x = defaultExperiment();
      return { ...x, name: 'Alpaca LoRA', data: pickData(index, /./), train: { ...x.train, lr: 3e-4, cutoffLen: 256, maxSteps: 200, warmupSteps: 20 } };
    },
  },
  {
    id: 'qlora', title: 'QLoRA 0.5B', description: 'Qwen2.5-0.5B-Instruct with LoRA on all attention projections; needs a download of ~2 GB and a GPU.',
    build: (index) => {
      const x = defaultExperiment();
      return { ...x, name: 'QLoRA 0.5B', model: { kind: 'hub', repo: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' }, data: pickData(index, /./), peft: { ...x.peft, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, train: { ...x.train, lr: 2e-4, batchSize: 2, gradAccum: 4, cutoffLen: 256, promptFormat: 'chat' } };
    },
  },
  {
    id: 'alpagasus', title: 'AlpaGasus: filter then train', description: 'Keep only records a rater scores >= 4.5, then train. The rater is not in this build yet: this trains on the unfiltered mix.',
    build: (index) => ({ ...defaultExperiment(), name: 'AlpaGasus (unfiltered here)', data: pickData(index, /./) }),
  },
];
