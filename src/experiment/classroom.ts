/**
 * The classroom run's settings, in one place: `npm run classroom` (scripts/classroom.ts via scripts/lib/lora-run.ts)
 * trains with them, and the app's three Classroom presets carry them, so a teacher's in-browser run of a preset is
 * one cell of the committed table (same LoRA, steps, batch, schedule; the seed is the table's first).
 * Not here: which files each condition trains on (index.json's `classroom` lists).
 */
import { defaultExperiment, type Experiment } from './experiment';

export const CLASSROOM = {
  steps: 600,
  lr: 3e-3,
  batchSize: 16,
  cutoffLen: 128,
  warmupSteps: 10,
  scheduler: 'linear' as const,
  r: 8,
  alpha: 16,
  /** Every linear layer of a llama block, which is what PEFT's `all-linear` picks (lm_head excluded). */
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  seeds: [1, 2, 3],
};

/** The default experiment with the classroom's LoRA and training settings, for `data` under `name`. */
export function classroomExperiment(name: string, data: Experiment['data']): Experiment {
  const x = defaultExperiment();
  return {
    ...x,
    name,
    data,
    peft: { ...x.peft, r: CLASSROOM.r, alpha: CLASSROOM.alpha, dropout: 0, targetModules: [...CLASSROOM.targetModules] },
    train: {
      ...x.train,
      lr: CLASSROOM.lr, maxSteps: CLASSROOM.steps, batchSize: CLASSROOM.batchSize, cutoffLen: CLASSROOM.cutoffLen, warmupSteps: CLASSROOM.warmupSteps,
      scheduler: CLASSROOM.scheduler, seed: CLASSROOM.seeds[0], evalSplit: 0, evalEvery: 0, checkpointEvery: 50,
    },
  };
}
