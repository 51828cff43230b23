/**
 * WebGPU parity in the browser worker: for each HF golden case, the checkpoint goes into the page, the model worker
 * (production build, WebGPU on SwiftShader) computes logits, and they must match HF transformers' within
 * atol 1e-4 + rtol 1e-4 at real (unpadded) tokens. Skipped when ../shared is absent (see tests/helpers/fixtures.ts).
 */
import { expect, test } from '@playwright/test';
import { CASES, compareClose, missingShared } from '../helpers/fixtures';
import { readCase, realTokens } from './fixture-files';

const ATOL = 1e-4;
const RTOL = 1e-4;

const missing = missingShared('WebGPU parity with HF in the browser');
test.skip(missing !== null, missing ?? '');

for (const name of CASES) {
  test(`${name}: logits on WebGPU match HF`, async ({ page }) => {
    const c = await readCase(name);
    const [B, T, V] = c.shape;
    await page.goto('/');
    await page.waitForFunction(() => window.__webift !== undefined);
    const backend = await page.evaluate(() => window.__webift!.backend());
    expect(backend.name, backend.reason).toBe('webgpu');

    const summary = await page.evaluate(([files, label]) => window.__webift!.loadModel(files, label), [c.files, name] as const);
    expect(summary.vocabSize).toBe(V);

    const runs: { label: string; positionIds?: number[]; want: Float32Array }[] = [{ label: 'logits', want: c.logits }];
    if (c.logitsPosFromMask) runs.push({ label: 'logits_position_ids_from_mask', positionIds: c.inputs.position_ids_from_mask.flat(), want: c.logitsPosFromMask });

    for (const run of runs) {
      const got = await page.evaluate((p) => window.__webift!.logits(p), {
        ids: c.inputs.input_ids.flat(),
        attentionMask: c.inputs.attention_mask.flat(),
        positionIds: run.positionIds,
        B,
        T,
      });
      expect(got.backend).toBe('webgpu');
      expect(got.shape).toEqual([B, T, V]);
      // Padded query rows are skipped below, but must stay finite: a NaN there spreads to real tokens (pitfall 1).
      expect(got.logits.every(Number.isFinite)).toBe(true);
      const r = compareClose(got.logits, run.want, ATOL, RTOL, realTokens(c.inputs.attention_mask, T, V));
      test.info().annotations.push({ type: `${run.label} max|Δ|`, description: `${r.maxAbs.toExponential(2)} (${got.ms.toFixed(0)} ms in the worker)` });
      console.log(`[parity] ${name} ${run.label}: max|Δ| = ${r.maxAbs.toExponential(3)}, worst excess over tolerance = ${r.worst.toExponential(2)}, ${got.ms.toFixed(0)} ms`);
      expect(r.worst, `${run.label}: worst |Δ| beyond tolerance at flat index ${r.at}`).toBeLessThanOrEqual(0);
    }
  });
}
