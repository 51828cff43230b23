/**
 * What `npm run classroom` prints: the table (mean ± std (min..max) per condition, exact match %) and two text bar
 * charts with the seed range as whiskers, from the same object it writes to classroom-results.json, so
 * `npm run classroom -- --report` can print a saved file again without training.
 */
import type { Spread } from '../../src/ui/stores/classroom';
import { textBars } from './text-chart';

export interface ClassroomResult {
  steps: number;
  seeds: number[];
  heldout: { arithmetic: number; chinese: number };
  base: { arithmetic: number; chinese: number };
  summary: { condition: string; label: string; records: number; arithmetic: Spread; chinese: Spread }[];
}

const pct = (x: number) => (100 * x).toFixed(1);
const cell = (s: Spread) => `${pct(s.mean)} ± ${pct(s.std)} (${(100 * s.min).toFixed(0)}..${(100 * s.max).toFixed(0)})`.padEnd(28);

export function classroomReport(r: ClassroomResult): string {
  const base = (x: number): Spread => ({ mean: x, std: 0, min: x, max: x });
  const rows = [{ label: 'base model, no tuning', arithmetic: base(r.base.arithmetic), chinese: base(r.base.chinese) }, ...r.summary];
  const table = [
    `Does chain-of-thought data help? webift-tiny + LoRA, ${r.steps} steps each, seeds ${r.seeds.join(',')}; exact match %, mean ± std (min..max)`,
    `${'training data'.padEnd(32)}${`held-out arithmetic (n=${r.heldout.arithmetic})`.padEnd(28)}Chinese prompts (n=${r.heldout.chinese})`,
    `${rows[0].label.padEnd(32)}${pct(r.base.arithmetic).padEnd(28)}${pct(r.base.chinese)}`,
    ...r.summary.map((s) => `${s.label.padEnd(32)}${cell(s.arithmetic)}${cell(s.chinese)}`),
  ];
  const bars = (key: 'arithmetic' | 'chinese', title: string) => textBars(title, rows.map((x) => ({ label: x.label, ...x[key] })));
  return [...table.map((l) => l.trimEnd()), '', bars('arithmetic', 'held-out arithmetic (EN), exact match %'), '', bars('chinese', 'Chinese prompts, exact match %')].join('\n');
}
