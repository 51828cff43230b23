/**
 * `webift train --peft adalora` end to end on the committed webift-tiny model (wasm): the run prunes ranks as it
 * trains (init_r 4 -> target_r 2 over 4 steps, the last one forced), writes a PEFT AdaLoRA adapter resized to the kept
 * ranks with its rank_pattern, which `generate --adapter` loads; AdaLoRA flags with another method, and a schedule
 * that leaves no step to allocate, exit 2 with one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';
import { webift, webiftInProcess } from '../helpers/cli';
import { bytesReader, SafetensorsFile } from '../../src/model/safetensors';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-adalora-'));
const data = path.join(tmp, 'data.jsonl');
const RECORDS = Array.from({ length: 16 }, (_, i) => ({ instruction: `Say the number ${i}.`, input: '', output: `The number is ${i}.` }));

describe('webift train --peft adalora', () => {
  beforeAll(() => writeFileSync(data, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  const base = (out: string, extra: string[]) => ['train', '--model', EMBEDDED_MODEL_DIR, '--data', data, '--out', out, '--peft', 'adalora', '--batch-size', '4', '--cutoff-len', '128', '--lr', '1e-2', '--warmup-steps', '0', '--eval-split', '0', '--json', ...extra];

  it('prunes to target_r per module and writes a resized PEFT adapter with its rank_pattern that generate loads', async () => {
    const out = path.join(tmp, 'run');
    const r = webift(base(out, ['--init-r', '4', '--target-r', '2', '--tfinal', '1', '--max-steps', '4']), { WEBIFT_BACKEND: 'wasm' });
    expect(r.code, r.stderr).toBe(0);
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'step');
    expect(steps).toHaveLength(4);
    expect(steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    const cfg = JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'ADALORA', init_r: 4, target_r: 2, total_step: 4, tfinal: 1, target_modules: ['q_proj', 'v_proj'] });
    const pattern = cfg.rank_pattern as Record<string, boolean[]>;
    expect(Object.keys(pattern).sort()).toEqual([0, 1, 2, 3].flatMap((l) => ['q', 'v'].map((p) => `model.layers.${l}.self_attn.${p}_proj.lora_E`)).sort());
    expect(Object.values(pattern).flat().filter(Boolean)).toHaveLength(2 * 8); // the target budget, forced at total_step - tfinal
    const file = await SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(path.join(out, 'adapter', 'adapter_model.safetensors')))), 'adapter');
    for (const [k, keep] of Object.entries(pattern)) {
      const r = keep.filter(Boolean).length, prefix = `base_model.model.${k.replace(/\.lora_E$/, '')}`;
      expect(file.header.tensors[`${prefix}.lora_A`].shape, k).toEqual([r, 128]);
      expect(file.header.tensors[`${prefix}.lora_E`].shape, k).toEqual([r, 1]);
      expect(file.header.tensors[`${prefix}.lora_B`].shape, k).toEqual([128, r]);
    }
    const g = webift(['generate', '--model', EMBEDDED_MODEL_DIR, '--adapter', path.join(out, 'adapter'), '--prompt-ids', '1', '--max-new-tokens', '2', '--json']);
    expect(g.code, g.stderr).toBe(0);
  });

  it('AdaLoRA flags with another method exit 2 with one line, before any model is loaded', async () => {
    const r = await webiftInProcess(base(path.join(tmp, 'bad-flag'), ['--peft', 'lora', '--init-r', '4', '--max-steps', '2']).filter((a) => a !== '--json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/--init-r goes with --peft adalora \(got --peft lora\)/);
  });

  it('a schedule that leaves no step to allocate exits 2 with one line', () => {
    const r = webift(base(path.join(tmp, 'bad-schedule'), ['--tinit', '1', '--tfinal', '1', '--max-steps', '2']).filter((a) => a !== '--json'), { WEBIFT_BACKEND: 'wasm' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/tinit \+ tfinal \(1 \+ 1\) must be less than total_step \(2, the run's steps\)/);
  });
});
