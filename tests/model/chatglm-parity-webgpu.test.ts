/**
 * ChatGLM-6B and ChatGLM2 logits on webgpu (Dawn; SwiftShader on CI, so kept to one forward per case): the fixture's
 * `logits` of the left-padded batch at every position (pad rows included), atol 1e-4 + rtol 1e-4. The full parity
 * (hidden states, loss, generation, LoRA) runs on cpu and wasm in chatglm-parity.test.ts; this pins the WebGPU
 * programs of the same path: 2-D RoPE, the masked_fill scores (keep multiplier), multi-query groups, half-dim rotary.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { loadModel } from '../../src/model/load';
import { forward } from '../../src/model/transformer';
import { folderSource } from '../../src/node/fs-source';
import { haveShared, caseDir, compareClose, flat, inputs, tensors } from '../helpers/fixtures';

describe.skipIf(!haveShared('ChatGLM parity on webgpu'))('ChatGLM parity on webgpu', () => {
  beforeAll(async () => {
    expect((await initBackend({ prefer: ['webgpu'] })).name).toBe('webgpu');
  });

  for (const c of ['chatglm', 'chatglm2']) {
    it(`${c}: logits of the padded batch equal the remote code's`, async () => {
      const model = await loadModel(folderSource(path.join(caseDir(c), 'model')));
      const inp = inputs(c);
      const out = forward(model, { ids: flat(inp.input_ids), B: 2, T: 12, attentionMask: flat(inp.attention_mask) });
      const got = (await out.logits!.data()) as Float32Array;
      out.logits!.dispose();
      model.dispose();
      const want = await (await tensors(path.join(caseDir(c), 'base_outputs.safetensors'))).float32('logits');
      const d = compareClose(got, want.data, 1e-4, 1e-4);
      console.log(`[${c}] webgpu logits max |Δ| ${d.maxAbs.toExponential(2)}`);
      expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    });
  }
});
