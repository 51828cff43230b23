/**
 * PEFT LoRA -> GGUF LoRA adapter on the 8 HF reference cases, read back with the independent reader: llama.cpp's
 * metadata and shape checks (src/llama-adapter.cpp), bit-exact A/B values, and the decisive one: the delta
 * (alpha/r)·B·A rebuilt from the file equals merge_and_unload()'s change to the base weight, laid out the way
 * convert_hf_to_gguf lays out that base weight (llama q/k RoPE permutation, bloom qkv regrouping, gpt2 transpose).
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { CASES, haveShared, caseDir, readJson, tensors as openTensors } from '../helpers/fixtures';
import { exportLoraGguf, type LoraGgufInput } from '../../src/peft/gguf';
import type { Family } from '../../src/model/config';
import { readGguf } from './gguf-reader';

const FAMILY: Record<string, Family> = {
  'llama-gqa': 'llama', 'llama3-tied-ropescaling': 'llama', qwen2: 'qwen2', gpt2: 'gpt2', bloom: 'bloom', phi3: 'phi3', gemma: 'gemma', gemma2: 'gemma2',
};

/** HF module (last two path parts) -> llama.cpp tensor, from gguf-py tensor_mapping.py, typed out independently. */
const EXPECT_NAME: Record<string, string> = {
  'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v', 'self_attn.o_proj': 'attn_output',
  'mlp.up_proj': 'ffn_up', 'self_attn.qkv_proj': 'attn_qkv', 'mlp.gate_up_proj': 'ffn_up',
  'attn.c_attn': 'attn_qkv', 'attn.c_proj': 'attn_output', 'mlp.c_fc': 'ffn_up',
  'self_attention.query_key_value': 'attn_qkv', 'self_attention.dense': 'attn_output', 'mlp.dense_h_to_4h': 'ffn_up',
};

function expectedStem(module: string): string {
  const parts = module.split('.');
  const name = EXPECT_NAME[parts.slice(-2).join('.')];
  if (!name) throw new Error(`test table lacks ${module}`);
  return `blk.${parts[parts.length - 3]}.${name}.weight`;
}

interface AdapterConfig { r: number; lora_alpha: number; use_rslora: boolean }
type Mat = { shape: number[]; data: Float32Array };

async function loadCase(c: string): Promise<{ input: LoraGgufInput; cfg: AdapterConfig; hf: Record<string, number> }> {
  const cfg = readJson<AdapterConfig>(path.join(caseDir(c), 'lora/adapter_config.json'));
  const hf = readJson<Record<string, number>>(path.join(caseDir(c), 'model/config.json'));
  const f = await openTensors(path.join(caseDir(c), 'lora/adapter_model.safetensors'));
  const tensors = new Map<string, Mat>();
  for (const n of f.names()) tensors.set(n, await f.float32(n));
  const heads = hf.num_attention_heads ?? hf.n_head;
  return { cfg, hf, input: { family: FAMILY[c], alpha: cfg.lora_alpha, r: cfg.r, useRslora: cfg.use_rslora, heads, kvHeads: hf.num_key_value_heads ?? heads, tensors } };
}

/** convert_hf_to_gguf's transform of a full base weight W [out, in] (HF Linear layout), written out independently. */
function baseLayout(family: Family, module: string, W: Float32Array, rows: number, cols: number, hf: Record<string, number>): Float32Array {
  const out = new Float32Array(W.length);
  const copyRow = (to: number, from: number) => out.set(W.subarray(from * cols, from * cols + cols), to * cols);
  if (family === 'llama' && /\.(q_proj|k_proj)$/.test(module)) {
    // LlamaModel.permute: reshape(n, 2, D/2, in).swapaxes(1, 2).reshape(rows, in)
    const n = module.endsWith('q_proj') ? hf.num_attention_heads : hf.num_key_value_heads;
    const half = rows / n / 2;
    let to = 0;
    for (let h = 0; h < n; h++) for (let j = 0; j < half; j++) for (let t = 0; t < 2; t++) copyRow(to++, (h * 2 + t) * half + j);
    return out;
  }
  if (family === 'bloom' && module.endsWith('query_key_value')) {
    // BloomModel: reshape(n_head, 3, D, in); cat([w[:, 0], w[:, 1], w[:, 2]])
    const n = hf.n_head, D = rows / 3 / n;
    let to = 0;
    for (let s = 0; s < 3; s++) for (let h = 0; h < n; h++) for (let d = 0; d < D; d++) copyRow(to++, (h * 3 + s) * D + d);
    return out;
  }
  return W.slice();
}

describe.skipIf(!haveShared('PEFT LoRA -> GGUF adapter on the HF reference cases'))('PEFT LoRA -> GGUF adapter on the HF reference cases', () => {
  for (const c of CASES) {
    it(`${c}: llama.cpp metadata, shapes, bit-exact A/B, and the merged delta`, async () => {
      const { input, cfg, hf } = await loadCase(c);
      const bytes = exportLoraGguf(input);
      const g = readGguf(bytes);
      const family = FAMILY[c];
      // Metadata llama_adapter_lora_init checks.
      expect(g.kv.get('general.type')?.value).toBe('adapter');
      expect(g.kv.get('adapter.type')?.value).toBe('lora');
      expect(g.kv.get('general.architecture')?.value).toBe(family);
      expect(g.kv.get('adapter.lora.alpha')).toEqual({ type: 6, value: cfg.lora_alpha });
      // File layout: aligned data start and offsets, size = data start + padded tensor sizes.
      expect(g.dataStart % 32).toBe(0);
      for (const t of g.tensors) expect(t.offset % 32).toBe(0);
      expect(bytes.length).toBe(g.dataStart + g.dataSize);
      expect(g.tensors.length).toBe(input.tensors.size);

      const base = await openTensors(path.join(caseDir(c), 'model/model.safetensors'));
      const merged = await openTensors(path.join(caseDir(c), 'lora_merged_weights.safetensors'));
      const scale = (g.kv.get('adapter.lora.alpha')!.value as number) / cfg.r; // llama.cpp: alpha / lora_b.ne[0]
      for (const [key, A] of input.tensors) {
        if (!key.endsWith('.lora_A.weight')) continue;
        const module = key.slice('base_model.model.'.length, -'.lora_A.weight'.length);
        const B = input.tensors.get(key.replace('lora_A', 'lora_B'))!;
        const stem = expectedStem(module);
        const pairA = g.tensors.find((t) => t.name === `${stem}.lora_a`);
        const tb = g.tensors.find((t) => t.name === `${stem}.lora_b`)!;
        expect(pairA && tb, `${module} -> ${stem}.lora_{a,b}`).toBeTruthy();
        expect(g.f32(pairA!.name).every((v, i) => Object.is(v, A.data[i])), `${module}: lora_a is PEFT A bit for bit`).toBe(true);
        expect(pairA!.ne).toEqual([A.shape[1], cfg.r]);
        const [out, inF] = [B.shape[0], A.shape[1]];
        // llama_adapter_lora_init: model ne[0] == a.ne[0], model ne[1] == b.ne[1], a.ne[1] == b.ne[0].
        const W = await base.float32(`${module}.weight`);
        const gpt2 = family === 'gpt2'; // Conv1D stores [in, out]; the converter transposes it to [out, in]
        const modelNe = gpt2 ? [W.shape[0], W.shape[1]] : [W.shape[1], W.shape[0]];
        expect([pairA!.ne[0], tb.ne[1], pairA!.ne[1]]).toEqual([modelNe[0], modelNe[1], tb.ne[0]]);
        expect(tb.ne).toEqual([cfg.r, out]);
        // Delta from the file vs (merged - base) in the converter's base layout.
        const M = await merged.float32(`${module}.weight`);
        let diff = new Float32Array(W.data.length);
        for (let i = 0; i < diff.length; i++) diff[i] = M.data[i] - W.data[i];
        if (gpt2) {
          const t = new Float32Array(diff.length);
          for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) t[o * inF + i] = diff[i * out + o];
          diff = t;
        }
        const want = baseLayout(family, module, diff, out, inF, hf);
        const a = g.f32(pairA!.name), b = g.f32(tb.name);
        let worst = 0;
        for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) {
          let s = 0;
          for (let k = 0; k < cfg.r; k++) s += b[o * cfg.r + k] * a[k * inF + i];
          worst = Math.max(worst, Math.abs(s * scale - want[o * inF + i]));
        }
        expect(worst, `${module}: |(alpha/r) B A - layout(merged - base)|`).toBeLessThan(2e-6);
        // B's rows are HF's rows, moved but bit-exact.
        const rowsOf = (m: Float32Array) => Array.from({ length: out }, (_, o) => Array.from(m.subarray(o * cfg.r, o * cfg.r + cfg.r)).join(',')).sort();
        expect(rowsOf(b)).toEqual(rowsOf(B.data));
      }
    });
  }

  it('bakes rsLoRA into alpha: llama.cpp scale alpha\'/r = alpha/sqrt(r)', async () => {
    const { input, cfg } = await loadCase('llama-gqa');
    const g = readGguf(exportLoraGguf({ ...input, useRslora: true }));
    const alpha = g.kv.get('adapter.lora.alpha')!.value as number;
    expect(alpha).toBe(Math.fround(cfg.lora_alpha * Math.sqrt(cfg.r))); // 8 * 2 = 16
    expect(alpha / cfg.r).toBeCloseTo(cfg.lora_alpha / Math.sqrt(cfg.r), 6);
  });

  it('writes F16 on request, within half-precision rounding', async () => {
    const { input } = await loadCase('qwen2');
    const g16 = readGguf(exportLoraGguf({ ...input, dtype: 'F16' }));
    const g32 = readGguf(exportLoraGguf(input));
    expect(g16.tensors.every((t) => t.type === 1)).toBe(true);
    for (const t of g32.tensors) {
      const x = g32.f32(t.name), y = g16.f32(t.name);
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11 + 2 ** -25);
    }
  });
});
