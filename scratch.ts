import { initBackend } from './src/platform/backend';
import { folderSource } from './src/node/fs-source';
import { loadModel } from './src/model/load';
import { forward } from './src/model/transformer';
import { CASES, caseDir, inputs, tensors, flat, compareClose } from './tests/helpers/fixtures';
import * as path from 'node:path';
await initBackend({ prefer: [(process.argv[2] ?? 'cpu') as 'cpu'] });
for (const c of CASES) {
  const m = await loadModel(folderSource(path.join(caseDir(c), 'model')));
  const inp = inputs(c);
  const mask = flat(inp.attention_mask);
  const ref = await tensors(path.join(caseDir(c), 'base_outputs.safetensors'));
  const V = m.config.vocabSize;
  const keep = (i: number) => mask[Math.floor(i / V)] === 1;
  const o = forward(m, { ids: flat(inp.input_ids), B: 2, T: 12, attentionMask: mask }, { outputHidden: true });
  const r1 = compareClose(await o.logits!.data() as Float32Array, (await ref.float32('logits')).data, 1e-4, 1e-4, keep);
  let r2 = null;
  if (ref.has('logits_position_ids_from_mask')) {
    const o2 = forward(m, { ids: flat(inp.input_ids), B: 2, T: 12, attentionMask: mask, positionIds: flat(inp.position_ids_from_mask) });
    r2 = compareClose(await o2.logits!.data() as Float32Array, (await ref.float32('logits_position_ids_from_mask')).data, 1e-4, 1e-4, keep);
    o2.logits!.dispose();
  }
  const hs = (await ref.float32('hidden_states')).data;
  const mine = new Float32Array(hs.length);
  for (const [i,h] of o.hidden!.entries()) mine.set(await h.data() as Float32Array, i * h.size);
  const C = m.config.hidden;
  const rh = compareClose(mine, hs, 1e-4, 1e-4, (i) => mask[Math.floor((i % (24 * C)) / C)] === 1);
  console.log(c, 'logits', r1.maxAbs.toExponential(2), r1.worst <= 0, 'pos', r2 && r2.maxAbs.toExponential(2), 'hidden', rh.maxAbs.toExponential(2), rh.worst <= 0);
  o.logits!.dispose(); o.hidden!.forEach(h => h.dispose()); m.dispose();
}
