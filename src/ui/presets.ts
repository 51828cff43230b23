/**
 * Experiment presets as data: each a title, a one-line description and the changes it makes to the default
 * experiment. The three "Classroom" presets are exactly `npm run classroom`'s conditions (index.json's `classroom`
 * lists, and experiment/classroom.ts's LoRA and training settings); QLoRA needs a hub model, so its card says so; AlpaGasus opens the Data screen's filter (it needs a rater).
 */
import { defaultExperiment, type Experiment } from '../experiment/experiment';
import { CLASSROOM, classroomExperiment } from '../experiment/classroom';
import type { IndexEntry } from './stores/data-index';

export interface Preset {
  id: string;
  title: string;
  description: string;
  build(index: IndexEntry[]): Experiment;
  /** After applying it, open the Data screen's AlpaGasus filter with this mix source selected (the preset's first step). */
  filterSource?: string;
}

/** What every Classroom preset adds to its description: the run is one cell of the committed table. */
const CELL = ` Same settings as the committed table: LoRA on all linear layers, ${CLASSROOM.steps} steps of ${CLASSROOM.batchSize} examples (about 10 minutes on one CPU core in Node).`;

const pickData = (index: IndexEntry[], re: RegExp) => index.filter((e) => e.train && re.test(e.name)).map(({ name, url }) => ({ name, url, weight: 1 }));

export const PRESETS: Preset[] = [
  {
    id: 'default', title: 'Quick start (embedded)', description: 'The tiny embedded model, all synthetic tasks, LoRA r=8. A minute or two.',
    build: (index) => ({ ...defaultExperiment(), data: pickData(index, /./) }),
  },
  {
    id: 'classroom-direct', title: 'Classroom (a): direct answers', description: 'Two-step arithmetic answered with the number only, plus the other tasks, EN + ZH: the baseline.' + CELL,
    build: (index) => classroomExperiment('Classroom (a): direct-answer data', pickData(index, /^(arith-(en|zh)-direct|tasks-(en|zh))$/)),
  },
  {
    id: 'classroom-cot', title: 'Classroom (b): chain of thought', description: 'The same problems answered step by step ("First, Tom gets 3 more, so 5 + 3 = 8. Then ..."). Compare with (a) on held-out problems.' + CELL,
    build: (index) => classroomExperiment('Classroom (b): CoT data', pickData(index, /^(arith-(en|zh)-cot|tasks-(en|zh))$/)),
  },
  {
    id: 'classroom-no-zh', title: 'Classroom (c): CoT without Chinese', description: 'The CoT data with the Chinese sets left out: does the model still answer Chinese prompts?' + CELL,
    build: (index) => classroomExperiment('Classroom (c): CoT data without Chinese', pickData(index, /^(arith-en-cot|tasks-en)$/)),
  },
  {
    id: 'alpaca-lora', title: 'Alpaca LoRA (as Alpaca-CoT)', description: 'LoRA r=8, alpha=16, dropout 0.05 on q_proj, v_proj, lr 3e-4, cutoff 256. Pick a hub model for it.',
    build: (index) => {
      const x = defaultExperiment();
      return { ...x, name: 'Alpaca LoRA', data: pickData(index, /./), train: { ...x.train, lr: 3e-4, cutoffLen: 256, maxSteps: 200, warmupSteps: 20 } };
    },
  },
  {
    id: 'qlora', title: 'QLoRA 0.5B', description: 'Qwen2.5-0.5B-Instruct, its base quantized to int4 as it loads, with LoRA on all attention projections; needs a download of ~2 GB and a GPU.',
    build: (index) => {
      const x = defaultExperiment();
      return { ...x, name: 'QLoRA 0.5B', model: { kind: 'hub', repo: 'Qwen/Qwen2.5-0.5B-Instruct', revision: 'main' }, data: pickData(index, /./), peft: { ...x.peft, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }, train: { ...x.train, lr: 2e-4, batchSize: 2, gradAccum: 4, cutoffLen: 256, promptFormat: 'chat' }, quantize: { mode: 'int4', groupSize: 64, symmetric: true } };
    },
  },
  {
    id: 'alpagasus', title: 'AlpaGasus: filter then train',
    description: 'Opens the Data screen\'s AlpaGasus filter on the embedded English tasks: a rater LLM (any OpenAI-compatible endpoint) scores each record 0-5 and the records >= 4.5 are kept. "Use the kept records in the mix", then Start training. Until then the mix is the unfiltered set.',
    build: (index) => ({ ...defaultExperiment(), name: 'AlpaGasus: filter then train', data: pickData(index, /^tasks-en$/) }),
    filterSource: 'tasks-en',
  },
];
