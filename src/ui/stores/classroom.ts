/**
 * The classroom results file (`/data/classroom-results.json`, written by `npm run classroom`): parsed strictly
 * into rows of (condition, arithmetic and Chinese exact match as mean/std/min/max over seeds), with the untuned
 * base as the first row, plus the run's settings for the caption. A file of another shape is refused (null), never
 * half-shown. Pure data; the table and chart are ClassroomResults.tsx.
 */

export interface Spread {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface ClassroomRow {
  id: string;
  label: string;
  arithmetic: Spread;
  chinese: Spread;
}

export interface Classroom {
  rows: ClassroomRow[];
  steps: number;
  seeds: number[];
  heldout: { arithmetic: number; chinese: number };
  command: string;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const obj = (x: unknown): Record<string, unknown> | null => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : null);

function spread(x: unknown): Spread | null {
  const o = obj(x);
  if (!o) return isNum(x) ? { mean: x, std: 0, min: x, max: x } : null;
  return isNum(o.mean) && isNum(o.std) && isNum(o.min) && isNum(o.max) ? { mean: o.mean, std: o.std, min: o.min, max: o.max } : null;
}

export function parseClassroom(json: unknown): Classroom | null {
  const o = obj(json);
  if (!o || !Array.isArray(o.summary) || !Array.isArray(o.seeds) || !isNum(o.steps)) return null;
  const base = obj(o.base), held = obj(o.heldout);
  const rows: ClassroomRow[] = [];
  const baseA = spread(base?.arithmetic), baseZ = spread(base?.chinese);
  if (baseA && baseZ) rows.push({ id: 'base', label: 'base model, no tuning', arithmetic: baseA, chinese: baseZ });
  for (const s of o.summary) {
    const r = obj(s), a = spread(r?.arithmetic), z = spread(r?.chinese);
    if (!r || typeof r.condition !== 'string' || !a || !z) return null;
    rows.push({ id: r.condition, label: typeof r.label === 'string' ? r.label : r.condition, arithmetic: a, chinese: z });
  }
  if (!rows.length || !held || !isNum(held.arithmetic) || !isNum(held.chinese)) return null;
  return { rows, steps: o.steps, seeds: o.seeds.filter(isNum), heldout: { arithmetic: held.arithmetic, chinese: held.chinese }, command: typeof o.command === 'string' ? o.command : 'npm run classroom' };
}

/** "17.2 ± 3.5" in percent; a single seed or the base shows the value alone. */
export function formatSpread(s: Spread): string {
  return s.std === 0 && s.min === s.max ? (100 * s.mean).toFixed(1) : `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}`;
}
