/**
 * `webift logits` end to end as a subprocess: the written logits match HF's (positions from the mask), and bad
 * input exits 2 with one line on stderr and leaves no output file behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile, bytesReader } from '../../src/model/safetensors';
import { haveShared, caseDir, compareClose, tensors } from '../helpers/fixtures';
import { webift } from '../helpers/cli';


describe.skipIf(!haveShared('webift logits'))('webift logits', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'webift-cli-'));

  it('writes HF-equal logits for a left-padded batch, positions from the mask', async () => {
    const c = caseDir('gpt2'); // absolute positions: the mask-derived convention is visible here
    const out = path.join(tmp, 'gpt2.safetensors');
    const r = webift(['logits', '--model', path.join(c, 'model'), '--inputs', path.join(c, 'inputs.json'), '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ out, shape: [2, 12, 320] });
    const mine = await (await SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(out))))).float32('logits');
    const ref = await (await tensors(path.join(c, 'base_outputs.safetensors'))).float32('logits_position_ids_from_mask');
    const mask = JSON.parse(readFileSync(path.join(c, 'inputs.json'), 'utf8')).attention_mask.flat();
    const cmp = compareClose(mine.data, ref.data, 1e-4, 1e-4, (i) => mask[Math.floor(i / 320)] === 1);
    expect(cmp.worst, `max |Δ| ${cmp.maxAbs}`).toBeLessThanOrEqual(0);
  });

  it.each([
    ['a missing model folder', ['--model', '/no/such/dir'], /no such folder/],
    ['an unknown model_type', ['--model', 'UNKNOWN'], /unknown model_type 'rwkv'/],
    ['a truncated safetensors', ['--model', 'TRUNC'], /truncated/],
    ['a missing inputs file', ['--inputs', '/no/inputs.json'], /no such file/],
    ['a malformed inputs file', ['--inputs', 'BADJSON'], /input_ids/],
  ])('%s exits 2 with one line and writes nothing', (_name, override, msg) => {
    const c = caseDir('llama-gqa');
    const unknown = path.join(tmp, 'unknown');
    const trunc = path.join(tmp, 'trunc');
    for (const [d, mutate] of [[unknown, 'cfg'], [trunc, 'st']] as const) {
      if (existsSync(d)) continue;
      spawnSync('mkdir', ['-p', d]);
      const cfg = JSON.parse(readFileSync(path.join(c, 'model/config.json'), 'utf8'));
      writeFileSync(path.join(d, 'config.json'), JSON.stringify(mutate === 'cfg' ? { ...cfg, model_type: 'rwkv' } : cfg));
      const st = readFileSync(path.join(c, 'model/model.safetensors'));
      writeFileSync(path.join(d, 'model.safetensors'), mutate === 'st' ? st.subarray(0, st.length - 1000) : st);
    }
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ input_ids: [[1, 2], [3]] }));
    const args: Record<string, string> = { '--model': path.join(c, 'model'), '--inputs': path.join(c, 'inputs.json'), '--out': path.join(tmp, 'never.safetensors') };
    for (let i = 0; i < override.length; i += 2) args[override[i]] = override[i + 1];
    const sub: Record<string, string> = { UNKNOWN: unknown, TRUNC: trunc, BADJSON: bad };
    const r = webift(['logits', ...Object.entries(args).flatMap(([k, v]) => [k, sub[v] ?? v])]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    expect(existsSync(path.join(tmp, 'never.safetensors'))).toBe(false);
  });
});
