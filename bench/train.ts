/**
 * LoRA training throughput: r=8 on q,k,v,o,gate,up,down of a random SmolLM2-135M-shaped Llama (vocab 49152,
 * hidden 576, 9/3 heads), batch 4 x seq 256, AdamW, on every backend available, and in the same run a hand-written
 * PyTorch CPU baseline of the same step (bench/torch_lora_step.py, apt python3-torch) when python3 has torch.
 * Prints one JSON line per measurement and one line of ratios (ours / torch). Absolute numbers are only meaningful
 * on a real GPU; on a CPU-only machine compare the ratio.
 * Usage: node --import ./bin/node-env.mjs bench/train.ts [--layers 30] [--micro 4] [--steps 2] [--backends wasm,webgpu,cpu]
 *   [--no-torch] [--quick-torch (the tuned torch launch only)]
 *   --layers L  run L of the 30 layers (both sides) to keep slow backends bearable; reported with the result.
 *   --recompute on|off  per-block recomputation (default: as the CLI's memory plan picks for this shape, on a 4 GB
 *               wasm heap: off where the fused blocks run (wasm on the GEMM pool's threads), else on above 8 layers).
 *   --micro M   micro-batch rows (4 = the whole batch at once; 1 = 4 micro-batches accumulated).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf } from '../src/kernels/tf';
import { initBackend, type BackendName } from '../src/platform/backend';
import { SMOLLM2_135M_CONFIG, randomModel } from '../src/model/random';
import { attachLora, loraConfig } from '../src/peft';
import { AdamW } from '../src/train/optimizer';
import { Rng } from '../src/train/rng';
import { trainStep } from '../src/train/step';
import { objective } from '../src/train/objective';
import type { Batch } from '../src/train/batch';
import { planMemory, tensorBudget, type MethodSpec } from '../src/train/estimate';

const { values } = parseArgs({ options: { layers: { type: 'string' }, micro: { type: 'string' }, steps: { type: 'string' }, backends: { type: 'string' }, 'no-torch': { type: 'boolean' }, 'quick-torch': { type: 'boolean' }, recompute: { type: 'string' } } });
const L = Number(values.layers ?? 30), MICRO = Number(values.micro ?? 4), STEPS = Number(values.steps ?? 2);
const B = 4, T = 256;
const backends = (values.backends ?? 'wasm,webgpu,cpu').split(',') as BackendName[];
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

function microBatches(seed: number): Batch[] {
  const out: Batch[] = [];
  let s = seed;
  for (let m = 0; m < B / MICRO; m++) {
    const ids = Int32Array.from({ length: MICRO * T }, () => (s = (s * 1103515245 + 12345) >>> 0) % 49152);
    out.push({ ids, labels: ids.slice(), attentionMask: new Int32Array(MICRO * T).fill(1), B: MICRO, T });
  }
  return out;
}

const results: Record<string, number> = {};
for (const b of backends) {
  let choice;
  try {
    choice = await initBackend({ prefer: [b] });
  } catch (e) {
    console.log(JSON.stringify({ bench: 'train-lora', backend: b, skipped: (e as Error).message }));
    continue;
  }
  const model = randomModel({ ...SMOLLM2_135M_CONFIG, num_hidden_layers: L }, 1);
  const spec: MethodSpec = { kind: 'lora', r: 8, targets: TARGETS, plain: true };
  const transposeFree = b === 'wasm' && (choice.cpuThreads ?? 1) > 1;
  const RECOMPUTE = values.recompute ? values.recompute === 'on' : planMemory(model.config, spec, { batch: MICRO, gradAccum: B / MICRO, seqLen: T, recompute: 'auto', transposeFree }, choice.maxBufferBytes, tensorBudget(b, 4 * 2 ** 30)).recompute;
  const adapter = attachLora(model, loraConfig({ r: 8, lora_alpha: 16, lora_dropout: 0.05, target_modules: TARGETS as never }), { seed: 1 });
  const optimizer = new AdamW(adapter.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const loss = objective(model, adapter, { recompute: RECOMPUTE });
  const rng = new Rng(1);
  try {
    await trainStep({ params: adapter.params, optimizer, loss, microBatches: microBatches(0), lr: 1e-4, maxGradNorm: 1, rng }); // warm-up
    const t0 = performance.now();
    let last = 0;
    for (let i = 1; i <= STEPS; i++) last = (await trainStep({ params: adapter.params, optimizer, loss, microBatches: microBatches(i), lr: 1e-4, maxGradNorm: 1, rng })).loss;
    const s = (performance.now() - t0) / 1000 / STEPS;
    results[b] = (B * T) / s;
    console.log(JSON.stringify({ bench: 'train-lora', backend: b, device: choice.reason, layers: L, batch: B, seq: T, micro_batch: MICRO, recompute: RECOMPUTE, r: 8, targets: TARGETS.length, seconds_per_step: +s.toFixed(3), tokens_per_s: +results[b].toFixed(2), loss: +last.toFixed(4), tensors: tf.memory().numTensors }));
  } catch (e) {
    console.log(JSON.stringify({ bench: 'train-lora', backend: b, layers: L, failed: (e as Error).message.slice(0, 200) }));
  }
  optimizer.dispose();
  adapter.dispose();
  model.dispose();
}

if (!values['no-torch']) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_lora_step.py');
  const args = [script, '--layers', String(L), '--batch', '4', '--seq', '256', '--steps', String(STEPS), '--threads', '2'];
  // Debian's torch starts an OpenMP and an OpenBLAS pool that spin against each other on 2 cores (1.8x slower):
  // the tuned launch configures it as its users should; the default launch is reported beside it, not compared.
  const launches = [
    { name: 'tuned', env: { ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' } },
    { name: 'default', env: process.env },
  ];
  let tuned = 0;
  for (const l of launches) {
    if (l.name === 'default' && values['quick-torch']) continue;
    const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', env: l.env });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status === 0 && line.startsWith('{')) {
      const rec = { ...JSON.parse(line), launch: l.name === 'tuned' ? 'OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE' : "Debian's defaults" };
      console.log(JSON.stringify(rec));
      if (l.name === 'tuned') tuned = rec.tokens_per_s as number;
    } else {
      console.log(JSON.stringify({ bench: 'train-lora', backend: 'torch-cpu', launch: l.name, skipped: r.error?.message ?? (r.stderr.trim().split('\n').pop() || 'python3 with torch not found') }));
    }
  }
  if (tuned) {
    const ratio: Record<string, unknown> = { bench: 'train-lora-ratio', peer: 'torch-cpu tuned (apt python3-torch, 2 threads)', layers: L };
    for (const [k, v] of Object.entries(results)) ratio[k] = +(v / tuned).toFixed(3);
    console.log(JSON.stringify(ratio));
  }
}
process.exit(0);
