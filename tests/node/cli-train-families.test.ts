/**
 * `webift train` with the seeds' other switches: Alpaca-CoT's `--model_type` (also spelled --model-type) checked
 * against the loaded config.json, a LoRA run on a random tiny MOSS checkpoint (qkv_proj, PEFT's key names), and the
 * p-tuning the `--peft p-tuning --encoder lstm` flags configure, trained in process (falling loss; the saved adapter
 * holds only prompt_embeddings, as PEFT saves it, and reloads to the same logits). The MOSS checkpoint borrows webift-tiny's tokenizer (928 ids), so its
 * vocab_size is 928. Decoding from a loaded P-tuning adapter is checked in tests/peft/p-tuning-parity.test.ts.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_MODEL_DIR, compareClose } from '../helpers/fixtures';
import { webift } from '../helpers/cli';
import { parse } from '../../src/node/args';
import { TRAIN_FLAGS, checkModelType, peftConfig, trainOptions } from '../../src/node/train-flags';
import { UsageError } from '../../src/node/errors';
import { bytesReader, SafetensorsFile } from '../../src/model/safetensors';
import { tinyCheckpoint } from '../quant/tiny-checkpoint';
import { initBackend } from '../../src/platform/backend';
import { randomModel } from '../../src/model/random';
import { adapterForward, attachAdapter, loadAdapter, saveAdapter } from '../../src/peft';
import { objective } from '../../src/train/objective';
import { AdamW } from '../../src/train/optimizer';
import { Rng } from '../../src/train/rng';
import { trainStep } from '../../src/train/step';

const tmp = mkdtempSync(path.join(tmpdir(), 'webift-families-'));
const data = path.join(tmp, 'data.jsonl');
const moss = path.join(tmp, 'moss-tiny');
const RECORDS = Array.from({ length: 16 }, (_, i) => ({ instruction: `Say the number ${i}.`, input: '', output: `The number is ${i}.` }));
const MOSS_CONFIG = {
  model_type: 'moss', architectures: ['MossForCausalLM'], vocab_size: 928, n_embd: 64, n_layer: 2, n_head: 4, rotary_dim: 8, n_inner: 128,
  n_positions: 256, n_ctx: 256, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, tie_word_embeddings: false, wbits: 32,
  bos_token_id: 1, eos_token_id: 2, pad_token_id: 3,
};

const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));
const errorLines = (stderr: string) => stderr.trim().split('\n').filter((l) => l.startsWith('webift: error'));
const run = (model: string, out: string, extra: string[]) => webift(['train', '--model', model, '--data', data, '--out', out, '--batch-size', '4', '--grad-accum', '1',
  '--cutoff-len', '64', '--warmup-steps', '0', '--eval-split', '0', '--checkpoint-every', '0', '--json', ...extra], { WEBIFT_BACKEND: 'wasm' });

describe('--model-type, MOSS LoRA and p-tuning through `webift train`', () => {
  beforeAll(() => {
    writeFileSync(data, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
    mkdirSync(moss);
    for (const [name, body] of Object.entries(tinyCheckpoint(MOSS_CONFIG, { seed: 5 }))) writeFileSync(path.join(moss, name), body);
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(EMBEDDED_MODEL_DIR, f), path.join(moss, f));
  });

  it('--model_type is read as --model-type; a matching family passes, another or an unknown name is one UsageError naming both', () => {
    const o = trainOptions(parse(['--model_type', 'moss', '--lora_target_modules', 'qkv_proj'], TRAIN_FLAGS));
    expect([o['model-type'], o['lora-target-modules']]).toEqual(['moss', 'qkv_proj']);
    expect(() => checkModelType(o, 'moss', 'm')).not.toThrow();
    expect(() => checkModelType({}, 'moss', 'm')).not.toThrow();
    expect(() => checkModelType({ 'model-type': 'chatglm' }, 'chatglm2', 'm')).not.toThrow(); // ChatGLM2/3 configs say chatglm
    expect(() => checkModelType({ 'model-type': 'chatglm2' }, 'chatglm2', 'm')).not.toThrow();
    expect(() => checkModelType({ 'model-type': 'llama' }, 'moss', 'dir')).toThrow(new UsageError("--model-type llama does not match the model: dir's config.json says model_type 'moss'"));
    expect(() => checkModelType({ 'model-type': 'chatglm2' }, 'chatglm', 'dir')).toThrow(/does not match.*'chatglm'/);
    expect(() => checkModelType({ 'model-type': 'baichuan' }, 'llama', 'dir')).toThrow(/--model-type must be one of .*moss.*got 'baichuan'/);
  });

  it('--peft p-tuning maps --encoder, --encoder-hidden-size, --encoder-num-layers; the encoder flags need p-tuning', () => {
    const cfg = peftConfig({ peft: 'p-tuning', encoder: 'lstm', 'encoder-hidden-size': '32', 'num-virtual-tokens': '4' });
    expect(cfg).toMatchObject({ peft_type: 'P_TUNING', encoder_reparameterization_type: 'LSTM', encoder_hidden_size: 32, encoder_num_layers: 2, num_virtual_tokens: 4 });
    expect(peftConfig({ peft: 'p-tuning' })).toMatchObject({ encoder_reparameterization_type: 'MLP', encoder_hidden_size: null });
    expect(() => peftConfig({ peft: 'p-tuning', encoder: 'gru' })).toThrow(/--encoder must be mlp or lstm, got 'gru'/);
    expect(() => peftConfig({ peft: 'lora', encoder: 'lstm' })).toThrow(/--encoder goes with --peft p-tuning/);
  });

  it('a mismatched --model_type stops before training: exit 2, one line naming both, no adapter', () => {
    const out = path.join(tmp, 'mismatch');
    const r = run(moss, out, ['--max-steps', '1', '--model_type', 'chatglm']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/--model-type chatglm does not match the model: .*model_type 'moss'/);
    expect(existsSync(path.join(out, 'adapter'))).toBe(false);
  });

  it('LoRA on a random tiny MOSS (--model_type moss, qkv_proj) lowers the loss and writes PEFT\'s key names', async () => {
    const out = path.join(tmp, 'moss-lora');
    const r = run(moss, out, ['--max-steps', '4', '--lr', '2e-2', '--model_type', 'moss', '--lora-target-modules', 'qkv_proj']);
    expect(r.code, r.stderr).toBe(0);
    const steps = events(r.stdout).filter((e) => e.kind === 'step');
    expect(steps).toHaveLength(4);
    expect(steps[3].loss).toBeLessThan(steps[0].loss);
    const st = await SafetensorsFile.open(bytesReader(new Uint8Array(readFileSync(path.join(out, 'adapter', 'adapter_model.safetensors')))), 'a');
    expect(st.names().sort()).toEqual([0, 1].flatMap((l) => ['A', 'B'].map((m) => `base_model.model.transformer.h.${l}.attn.qkv_proj.lora_${m}.weight`)).sort());
    expect(st.header.tensors['base_model.model.transformer.h.0.attn.qkv_proj.lora_B.weight'].shape).toEqual([192, 8]);
    expect(JSON.parse(readFileSync(path.join(out, 'adapter', 'adapter_config.json'), 'utf8')).target_modules).toEqual(['qkv_proj']);
  });

  it('p-tuning (LSTM) trains in process: AdamW steps lower the loss; the saved prompt_embeddings reload to the same logits', async () => {
    await initBackend({ prefer: ['wasm'] });
    const model = randomModel(MOSS_CONFIG, 2);
    const adapter = attachAdapter(model, peftConfig({ peft: 'p-tuning', encoder: 'lstm', 'encoder-hidden-size': '16', 'num-virtual-tokens': '4' })!, { seed: 3 });
    const optimizer = new AdamW(adapter.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    const loss = objective(model, adapter);
    const B = 2, T = 16;
    const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 928);
    const microBatches = [{ ids, labels: ids.slice(), attentionMask: new Int32Array(B * T).fill(1), B, T }];
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await trainStep({ params: adapter.params, optimizer, loss, microBatches, lr: 2e-2, maxGradNorm: 1, rng: new Rng(i) })).loss);
    expect(losses[5]).toBeLessThan(losses[0]);
    const saved = await saveAdapter(adapter);
    const st = await SafetensorsFile.open(bytesReader(saved.weights), 'a');
    expect([st.names(), st.header.tensors.prompt_embeddings.shape]).toEqual([['prompt_embeddings'], [4, 64]]);
    expect(JSON.parse(saved.config)).toMatchObject({ peft_type: 'P_TUNING', encoder_reparameterization_type: 'LSTM', encoder_hidden_size: 16, encoder_num_layers: 2, token_dim: 64 });
    const loaded = await loadAdapter(model, saved);
    const logits = async (a: typeof adapter) => {
      const out = adapterForward(model, a, { ids, B, T });
      const d = (await out.logits!.data()) as Float32Array;
      out.logits!.dispose();
      return d;
    };
    const d = compareClose(await logits(loaded), await logits(adapter), 1e-5, 1e-5);
    expect(d.worst, `max |Δ| ${d.maxAbs}`).toBeLessThanOrEqual(0);
    for (const x of [loaded, adapter, optimizer, model]) x.dispose();
  });
});
