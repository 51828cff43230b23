/**
 * MOSS logits on webgpu (Dawn; SwiftShader on CI, so kept to one forward): the fixture's `logits` at unmasked
 * positions, atol 1e-4 + rtol 1e-4. The full MOSS parity (hidden states, loss, generation, LoRA) runs on cpu and
 * wasm in moss-parity.test.ts; this pins the same kernels' WebGPU programs (interleaved partial rotary, fused qkv).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { folderSource } from '../../src/node/fs-source';
import { haveShared, caseDir, compareClose, flat, inputs, tensors } from '../helpers/fixtures';

describe.skipIf(!haveShared('MOSS parity on webgpu'))('MOSS parity on webgpu', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  it('logits at unmasked positions equal the remote code\'s', async () => {
    const model = await loadModel(folderSource(path.join(caseDir('moss'), 'model')));
    const inp = inputs('moss');
    const mask = flat(inp.attention_mask);
    const out = forward(model, { ids: flat(inp.input_ids), B: 2, T: 12, attentionMask: mask });
    const got = (await out.logits!.data()) as Float32Array;
    out.logits!.dispose();
    model.dispose();
    const want = await (await tensors(path.join(caseDir('moss'), 'base_outputs.safetensors'))).float32('logits');
    const d = compareClose(got, want.data, 1e-4, 1e-4, (i) => mask[Math.floor(i / 320)] === 1);
    console.log(`[moss] webgpu logits max |Δ| ${d.maxAbs.toExponential(2)}`);
    expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
  });
});
