/**
 * The classroom results reader: the committed public/data/classroom-results.json (what `npm run classroom` wrote)
 * parses into the base row plus its three conditions with the script's own means; other shapes are refused whole;
 * the three Classroom presets pick exactly the files that index.json's `classroom` lists name.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSpread, parseClassroom } from '../../src/ui/stores/classroom';
import { PRESETS } from '../../src/ui/presets';
import { parseDataIndex } from '../../src/ui/stores/data-index';
import { CLASSROOM } from '../../src/experiment/classroom';
import { validateExperiment } from '../../src/experiment/validate';

const PUB = path.join(import.meta.dirname, '..', '..', 'public', 'data');
const json = JSON.parse(readFileSync(path.join(PUB, 'classroom-results.json'), 'utf8'));

describe('classroom results', () => {
  it('reads the committed file: base first, then each condition with the means the script computed', () => {
    const c = parseClassroom(json)!;
    expect(c.rows.map((r) => r.id)).toEqual(['base', ...json.summary.map((s: { condition: string }) => s.condition)]);
    expect(c.rows[0].arithmetic.mean).toBe(json.base.arithmetic);
    for (const s of json.summary) {
      const row = c.rows.find((r) => r.id === s.condition)!;
      const runs = json.runs.filter((r: { condition: string }) => r.condition === s.condition).map((r: { arithmetic: number }) => r.arithmetic);
      // The summary's mean is the mean of the per-seed runs stored beside it.
      expect(row.arithmetic.mean).toBeCloseTo(runs.reduce((a: number, b: number) => a + b, 0) / runs.length, 12);
    }
    expect(c.seeds).toEqual(json.seeds);
  });

  it('refuses other shapes whole', () => {
    expect(parseClassroom(null)).toBeNull();
    expect(parseClassroom([{ name: 'x', acc: 1 }])).toBeNull();
    expect(parseClassroom({ ...json, summary: [{ condition: 'cot', arithmetic: { mean: 'high' }, chinese: 0 }] })).toBeNull();
  });

  it('formats mean ± std in percent, a lone value alone', () => {
    expect(formatSpread({ mean: 0.172, std: 0.035, min: 0.13, max: 0.2 })).toBe('17.2 ± 3.5');
    expect(formatSpread({ mean: 0, std: 0, min: 0, max: 0 })).toBe('0.0');
  });

  it('the Classroom presets train on the files the classroom script uses', () => {
    const idx = JSON.parse(readFileSync(path.join(PUB, 'synthetic', 'index.json'), 'utf8'));
    const entries = parseDataIndex(idx, 'http://x/data/synthetic/index.json');
    const files = (id: string) => PRESETS.find((p) => p.id === id)!.build(entries).data.map((d) => d.url.replace(/^.*\//, '')).sort();
    expect(files('classroom-direct')).toEqual([...idx.classroom.direct].sort());
    expect(files('classroom-cot')).toEqual([...idx.classroom.cot].sort());
    expect(files('classroom-no-zh')).toEqual([...idx.classroom.noChinese].sort());
  });

  it('the Classroom presets carry the settings the committed table was trained with, as a valid experiment', () => {
    const idx = JSON.parse(readFileSync(path.join(PUB, 'synthetic', 'index.json'), 'utf8'));
    const entries = parseDataIndex(idx, 'http://x/data/synthetic/index.json');
    // The committed results were made with these settings (the script reads them from the same module).
    expect(json.steps).toBe(CLASSROOM.steps);
    expect(json.seeds).toEqual(CLASSROOM.seeds);
    expect(json.method).toMatchObject({ r: CLASSROOM.r, lora_alpha: CLASSROOM.alpha, lr: CLASSROOM.lr, batchSize: CLASSROOM.batchSize });
    for (const id of ['classroom-direct', 'classroom-cot', 'classroom-no-zh']) {
      const x = PRESETS.find((p) => p.id === id)!.build(entries);
      expect(validateExperiment(x).ok, id).toBe(true);
      expect(x.train).toMatchObject({ maxSteps: json.steps, batchSize: json.method.batchSize, lr: json.method.lr, seed: json.seeds[0], cutoffLen: 128 });
      expect(x.peft).toMatchObject({ method: 'LORA', r: json.method.r, alpha: json.method.lora_alpha, dropout: 0 });
      expect([...x.peft.targetModules].sort()).toEqual([...json.method.target_modules].sort());
    }
  });
});
