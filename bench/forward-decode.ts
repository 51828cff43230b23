/**
 * Forward (prefill) and decode throughput of a random model of SmolLM2-135M shape on every backend available,
 * side by side in one run. Prints one JSON line per measurement, then one line of ratios against wasm.
 * Usage: node --import ./bin/node-env.mjs bench/forward-decode.ts [--prefill 32] [--decode 8] [--backends webgpu,wasm,cpu]
 * On machines without a GPU, webgpu is SwiftShader (a CPU emulation): its number is a correctness smoke, not speed.
 */
import { parseArgs } from 'node:util';
import { tf } from '../src/kernels/tf';
import { initBackend, type BackendName } from '../src/platform/backend';
import { SMOLLM2_135M_CONFIG, randomModel } from '../src/model/random';
import { forward } from '../src/model/transformer';
import { createCache, disposeCache } from '../src/model/kv-cache';

const { values } = parseArgs({ options: { prefill: { type: 'string' }, decode: { type: 'string' }, backends: { type: 'string' } } });
const T = Number(values.prefill ?? 32);
const N = Number(values.decode ?? 8);
const backends = (values.backends ?? 'webgpu,wasm,cpu').split(',') as BackendName[];

async function sync(t: tf.Tensor): Promise<number> {
  const d = await t.data();
  return d[0];
}

const results: Record<string, { prefill: number; decode: number }> = {};
for (const b of backends) {
  let choice;
  try {
    choice = await initBackend({ prefer: [b] });
  } catch (e) {
    console.log(JSON.stringify({ bench: 'forward-decode', backend: b, skipped: (e as Error).message }));
    continue;
  }
  const model = randomModel(SMOLLM2_135M_CONFIG, 1);
  const ids = Int32Array.from({ length: T }, (_, i) => (i * 7919) % 49152);
  // Warm-up: shader compilation and wasm allocation are not throughput.
  const warm = forward(model, { ids: ids.slice(0, 4), B: 1, T: 4 }, { lastOnly: true });
  await sync(warm.logits!);
  warm.logits!.dispose();

  const cache = createCache(model.config.layers);
  let t0 = performance.now();
  const pre = forward(model, { ids, B: 1, T }, { cache, lastOnly: true });
  await sync(pre.logits!);
  const prefillMs = performance.now() - t0;
  pre.logits!.dispose();
  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const o = forward(model, { ids: Int32Array.of((i * 31) % 49152), B: 1, T: 1 }, { cache, lastOnly: true });
    await sync(o.logits!);
    o.logits!.dispose();
  }
  const decodeMs = performance.now() - t0;
  disposeCache(cache);
  model.dispose();
  const r = { prefill: (T / prefillMs) * 1000, decode: (N / decodeMs) * 1000 };
  results[b] = r;
  console.log(JSON.stringify({
    bench: 'forward-decode', model: 'random SmolLM2-135M shape', backend: b, device: choice.reason, prefill_tokens: T, decode_tokens: N,
    prefill_tokens_per_s: +r.prefill.toFixed(2), decode_tokens_per_s: +r.decode.toFixed(2), prefill_ms: +prefillMs.toFixed(1), decode_ms_per_token: +(decodeMs / N).toFixed(1),
  }));
}
if (results.wasm) {
  const ratios: Record<string, unknown> = { bench: 'forward-decode-ratio', peer: 'wasm' };
  for (const [b, r] of Object.entries(results)) ratios[b] = { prefill_x: +(r.prefill / results.wasm.prefill).toFixed(3), decode_x: +(r.decode / results.wasm.decode).toFixed(3) };
  console.log(JSON.stringify(ratios));
}
process.exit(0);
