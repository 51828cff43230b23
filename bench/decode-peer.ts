/**
 * Decode tokens/s of webift (wasm backend, its generate() loop with a KV cache) against transformers.js on the same
 * weights, in one run. The weights are a random model of SmolLM2-135M shape (model/random.ts, seeded); they go to
 * /usr/bin/python3 (Debian's torch) as an F32 safetensors file, and bench/export_llama_onnx.py writes them out as a
 * hand-written KV-cached Llama ONNX graph with the I/O names transformers.js expects. Each transformers.js device
 * runs in its own child process (this file with --child): onnxruntime-node for 'cpu', onnxruntime-web (set as the
 * runtime transformers.js picks up) for 'wasm'. Before any timing a child checks its logits against webift's on the
 * same prompt: the whole prompt's logits (first step, no cache) and the next step's through the cache; it refuses to
 * time when either max abs diff exceeds 1e-3.
 * Timing: greedy decoding of N new tokens after a P-token prompt (prefill included on both sides; eos cannot stop
 * either side early: min new tokens = N), after one short warm-up generation. One JSON line per side, then one ratio
 * line per peer: {"bench":"decode","peer":"transformers.js cpu","ratio_vs_peer": ours / peer, ...}.
 * Threads: webift's GEMM pool size; onnxruntime-node's intra-op default (physical cores) unless --cpu-threads;
 * onnxruntime-web's numThreads default (1 in Node) unless --wasm-threads.
 * Usage: node --import ./bin/node-env.mjs bench/decode-peer.ts [--quick] [--tokens 64] [--prompt 8] [--peers cpu,wasm]
 *   [--layers 30] [--seed 1] [--dir tmp/decode-peer] [--cpu-threads N] [--wasm-threads N]
 * The exported folder is kept (keyed by seed and depth) and reused by later runs; the logits check runs every time.
 * Exit 1 when a peer refused or failed; without torch the peers print `skipped` and webift's line still comes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  strict: false, // the bench suite (run-all.ts) passes its flags to every bench
  options: {
    quick: { type: 'boolean' }, tokens: { type: 'string' }, prompt: { type: 'string' }, peers: { type: 'string' }, layers: { type: 'string' },
    seed: { type: 'string' }, dir: { type: 'string' }, 'cpu-threads': { type: 'string' }, 'wasm-threads': { type: 'string' },
    child: { type: 'string' }, folder: { type: 'string' },
  },
});
const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
const N = Number(str('tokens') ?? (values.quick ? 8 : 64));
const P = Number(str('prompt') ?? 8);
const MAX_DIFF = 1e-3;

interface Reference {
  prompt: number[];
  /** Greedy next token after the prompt, fed as the cached step. */
  next: number;
  vocab: number;
}

/** Max |a - b| over equal-length arrays. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`logits lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

// ---------------------------------------------------------------- child: one transformers.js device

async function child(device: 'cpu' | 'wasm', folder: string): Promise<void> {
  const ref = JSON.parse(readFileSync(path.join(folder, 'reference.json'), 'utf8')) as Reference;
  const refBytes = readFileSync(path.join(folder, 'reference.f32'));
  const refLogits = new Float32Array(refBytes.buffer, refBytes.byteOffset, refBytes.byteLength / 4);
  const V = ref.vocab, T = ref.prompt.length;
  let ortWasm: { env: { wasm: { numThreads?: number } } } | null = null;
  if (device === 'wasm') {
    // transformers.js runs onnxruntime-node in Node; a runtime set under this symbol replaces it (backends/onnx.js).
    const ort = await import('onnxruntime-web');
    ort.env.wasm.wasmPaths = path.join(root, 'node_modules/onnxruntime-web/dist/');
    const wt = str('wasm-threads');
    if (wt) ort.env.wasm.numThreads = Number(wt);
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
    ortWasm = ort;
  }
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(folder) + path.sep;
  const cpuThreads = str('cpu-threads');
  const sessionOptions = device === 'wasm' ? { executionProviders: ['wasm'] } : cpuThreads ? { intraOpNumThreads: Number(cpuThreads) } : {};
  // With a replaced runtime transformers.js lists no devices of its own: 'auto' plus explicit providers.
  const model = await AutoModelForCausalLM.from_pretrained(path.basename(folder), { dtype: 'fp32', device: device === 'wasm' ? 'auto' : 'cpu', session_options: sessionOptions });
  const ids = (a: number[]) => new Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, a.length]);
  const ones = (n: number) => ids(new Array<number>(n).fill(1));
  const line = { bench: 'decode', side: 'transformers.js', device, runtime: device === 'wasm' ? 'onnxruntime-web' : 'onnxruntime-node' };

  // Logits check: the prompt without a cache, then one step through the cache it returned.
  type Out = Record<string, { data: Float32Array; dims: number[] }>;
  const first = (await model({ input_ids: ids(ref.prompt), attention_mask: ones(T), position_ids: ids(ref.prompt.map((_, i) => i)) })) as unknown as Out;
  const firstDiff = maxAbsDiff(first.logits.data, refLogits.subarray(0, T * V));
  const past: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(first)) if (k.startsWith('present.')) past[k.replace('present.', 'past_key_values.')] = v;
  const second = (await model({ input_ids: ids([ref.next]), attention_mask: ones(T + 1), position_ids: ids([T]), past_key_values: past })) as unknown as Out;
  const cachedDiff = maxAbsDiff(second.logits.data, refLogits.subarray(T * V));
  const check = { logits_max_abs_diff: +firstDiff.toExponential(3), cached_step_max_abs_diff: +cachedDiff.toExponential(3), logits_max_abs: +maxAbs(refLogits).toFixed(4) };
  if (!(firstDiff <= MAX_DIFF && cachedDiff <= MAX_DIFF)) {
    console.log(JSON.stringify({ ...line, ...check, refused: `logits differ from webift's by more than ${MAX_DIFF}: not timed` }));
    process.exit(2);
  }

  const gen = (n: number) => model.generate({ input_ids: ids(ref.prompt), attention_mask: ones(T), max_new_tokens: n, min_new_tokens: n, do_sample: false } as never) as Promise<{ tolist(): bigint[][] }>;
  await gen(2); // warm-up: session allocation is not throughput
  const t0 = performance.now();
  const out = await gen(N);
  const ms = performance.now() - t0;
  const tokens = out.tolist()[0].slice(T).map(Number);
  const threads = device === 'wasm' ? (ortWasm?.env.wasm.numThreads ?? null) : cpuThreads ? Number(cpuThreads) : 'onnxruntime default (physical cores)';
  console.log(JSON.stringify({ ...line, ...check, threads, prompt_tokens: T, new_tokens: tokens.length, tokens_per_s: +((tokens.length / ms) * 1000).toFixed(2), ms_per_token: +(ms / tokens.length).toFixed(1), tokens }));
  process.exit(0);
}

// ---------------------------------------------------------------- parent: webift, the export, the peers

/** The model folder transformers.js loads: config, generation config and onnx/model.onnx, exported once per key. */
async function exportFolder(folder: string, rawConfig: Record<string, unknown>, model: import('../src/model/types').Model, stamp: string): Promise<string | null> {
  const onnx = path.join(folder, 'onnx/model.onnx');
  const stampFile = path.join(folder, 'export-stamp.json');
  if (existsSync(onnx) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return null;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no torch for /usr/bin/python3 (apt install python3-torch): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  const { tf } = await import('../src/kernels/tf');
  const { expandTable } = await import('../src/model/weights');
  const { writeSafetensors } = await import('../src/model/safetensors');
  mkdirSync(path.join(folder, 'onnx'), { recursive: true });
  rmSync(stampFile, { force: true });
  // HF names and layouts: our linear weights are [in, out], nn.Linear's are [out, in]. A tied head is not written.
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const s of expandTable(model.config)) {
    const w = model.weights.get(s.ours);
    if (!w || (s.ours === 'lm_head.w' && model.config.tieEmbeddings)) continue;
    if (!(w instanceof tf.Tensor)) throw new Error(`${s.ours}: not a plain tensor`);
    const t = s.kind === 'linear' ? tf.transpose(w) : w;
    tensors[s.hf] = { shape: t.shape, data: t.dataSync() as Float32Array };
    if (t !== w) t.dispose();
  }
  const weightsFile = path.join(folder, 'weights.safetensors');
  writeFileSync(weightsFile, writeSafetensors(tensors));
  writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], head_dim: model.config.headDim, torch_dtype: 'float32', ...rawConfig }, null, 2));
  writeFileSync(path.join(folder, 'generation_config.json'), JSON.stringify({ bos_token_id: rawConfig.bos_token_id, eos_token_id: rawConfig.eos_token_id }, null, 2));
  const tmpOnnx = `${onnx}.tmp`;
  const r = spawnSync('/usr/bin/python3', [path.join(root, 'bench/export_llama_onnx.py'), '--weights', weightsFile, '--config', path.join(folder, 'config.json'), '--out', tmpOnnx], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  rmSync(weightsFile, { force: true });
  if (r.status !== 0) {
    rmSync(tmpOnnx, { force: true });
    throw new Error(`export_llama_onnx.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  renameSync(tmpOnnx, onnx);
  writeFileSync(stampFile, stamp);
  return null;
}

/** False when a peer refused (logits differ) or failed: the suite (run-all.ts) then counts this bench as failed. */
async function parent(): Promise<boolean> {
  // Imported here, not at the top: the children load transformers.js, and none of tfjs.
  const { initBackend } = await import('../src/platform/backend');
  const { gemmPool } = await import('../src/kernels/gemm/register');
  const { SMOLLM2_135M_CONFIG, randomModel } = await import('../src/model/random');
  const { forward } = await import('../src/model/transformer');
  const { createCache, disposeCache } = await import('../src/model/kv-cache');
  const { generateAll } = await import('../src/generate/generate');
  const layers = Number(str('layers') ?? SMOLLM2_135M_CONFIG.num_hidden_layers);
  const seed = Number(str('seed') ?? 1);
  const peers = (str('peers') ?? 'cpu,wasm').split(',').filter(Boolean);
  for (const p of peers) if (p !== 'cpu' && p !== 'wasm') throw new Error(`--peers: '${p}' is not cpu or wasm`);
  const rawConfig = { ...SMOLLM2_135M_CONFIG, num_hidden_layers: layers };
  const shape = `random SmolLM2-135M shape, ${layers} layers, seed ${seed}`;

  const choice = await initBackend({ prefer: ['wasm'] });
  const threads = gemmPool()?.threads ?? 1;
  const model = randomModel(rawConfig, seed);
  const V = model.config.vocabSize;
  const prompt = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % V);

  const folder = path.resolve(str('dir') ?? path.join(root, 'tmp/decode-peer'), `smollm2-135m-random-seed${seed}-L${layers}`);
  const stamp = JSON.stringify({ rawConfig, seed, exporter: createHash('sha256').update(readFileSync(path.join(root, 'bench/export_llama_onnx.py'))).digest('hex') });
  const exportSkipped = await exportFolder(folder, rawConfig, model, stamp);

  // webift's reference logits: the prompt (all positions, no cache before it), then the greedy next token through the cache.
  const cache = createCache(model.config.layers);
  const o1 = forward(model, { ids: Int32Array.from(prompt), B: 1, T: P }, { cache });
  const l1 = (await o1.logits!.data()) as Float32Array;
  o1.logits!.dispose();
  let next = 0;
  for (let v = 1; v < V; v++) if (l1[(P - 1) * V + v] > l1[(P - 1) * V + next]) next = v;
  const o2 = forward(model, { ids: Int32Array.of(next), B: 1, T: 1 }, { cache, lastOnly: true });
  const l2 = (await o2.logits!.data()) as Float32Array;
  o2.logits!.dispose();
  disposeCache(cache);
  const ref = new Float32Array(l1.length + l2.length);
  ref.set(l1);
  ref.set(l2, l1.length);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'reference.f32'), new Uint8Array(ref.buffer));
  writeFileSync(path.join(folder, 'reference.json'), JSON.stringify({ prompt, next, vocab: V } satisfies Reference));

  const options = { maxNewTokens: N, minNewTokens: N, doSample: false };
  await generateAll(model, { ids: [prompt] }, { ...options, maxNewTokens: 2, minNewTokens: 2 }); // warm-up
  const t0 = performance.now();
  const res = await generateAll(model, { ids: [prompt] }, options);
  const ms = performance.now() - t0;
  const ours = { tokens: res.tokens[0], tokensPerS: (res.tokens[0].length / ms) * 1000 };
  model.dispose();
  console.log(JSON.stringify({
    bench: 'decode', side: 'webift', backend: choice.name, device: choice.reason, threads, model: shape, prompt_tokens: P, new_tokens: ours.tokens.length,
    tokens_per_s: +ours.tokensPerS.toFixed(2), ms_per_token: +(ms / ours.tokens.length).toFixed(1), tokens: ours.tokens,
  }));

  let failed = false;
  for (const peer of peers) {
    if (exportSkipped) {
      console.log(JSON.stringify({ bench: 'decode', peer: `transformers.js ${peer}`, skipped: exportSkipped }));
      continue;
    }
    const pass = ['cpu-threads', 'wasm-threads'].flatMap((k) => (str(k) ? [`--${k}`, str(k)!] : []));
    const args = ['--import', path.join(root, 'bin/node-env.mjs'), fileURLToPath(import.meta.url), '--child', peer, '--folder', folder, '--tokens', String(N), ...pass];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    const lines = (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{'));
    for (const l of lines) console.log(l);
    const theirs = lines.map((l) => JSON.parse(l) as { tokens_per_s?: number; tokens?: number[]; refused?: string }).find((l) => l.tokens_per_s);
    if (!theirs) {
      if (!lines.length) console.log(JSON.stringify({ bench: 'decode', peer: `transformers.js ${peer}`, failed: `child exit ${r.status}` }));
      failed = true;
      continue;
    }
    let agree = 0;
    while (agree < ours.tokens.length && ours.tokens[agree] === theirs.tokens![agree]) agree++;
    console.log(JSON.stringify({
      bench: 'decode', peer: `transformers.js ${peer}`, ratio_vs_peer: +(ours.tokensPerS / theirs.tokens_per_s!).toFixed(3), ours_tokens_per_s: +ours.tokensPerS.toFixed(2),
      peer_tokens_per_s: theirs.tokens_per_s, ours_threads: threads, new_tokens: N, model: shape, greedy_tokens_agree: `${agree}/${ours.tokens.length}`,
    }));
  }
  return !failed;
}

const childDevice = str('child');
if (childDevice === 'cpu' || childDevice === 'wasm') await child(childDevice, path.resolve(str('folder')!));
else process.exit((await parent()) ? 0 : 1);
