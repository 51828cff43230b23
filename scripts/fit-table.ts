/**
 * Prints the README's "which models fit where" table from the memory model (train/estimate.ts planMemory): LoRA r 8
 * on all seven projections, batch 4 × cutoff 256 (the planner may micro-batch and recompute), for each base
 * precision and device budget; on wasm with one thread and with the CPU path's threads (Node, or a cross-origin-isolated
 * page), where Llama-shaped blocks train fused (model/fused-block.ts). Predictions only; the README marks the points
 * the bench measured.
 * Usage: node --import ./bin/node-env.mjs scripts/fit-table.ts
 */
import { parseConfig } from '../src/model/config';
import { planMemory, tensorBudget } from '../src/train/estimate';

const MODELS: [string, Record<string, unknown>][] = [
  ['SmolLM2-135M', { model_type: 'llama', vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, tie_word_embeddings: true }],
  ['SmolLM2-360M', { model_type: 'llama', vocab_size: 49152, hidden_size: 960, num_hidden_layers: 32, num_attention_heads: 15, num_key_value_heads: 5, intermediate_size: 2560, tie_word_embeddings: true }],
  ['Qwen2.5-0.5B', { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, tie_word_embeddings: true }],
  ['Llama-3.2-1B', { model_type: 'llama', vocab_size: 128256, hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, intermediate_size: 8192, tie_word_embeddings: true }],
  ['Qwen2.5-1.5B', { model_type: 'qwen2', vocab_size: 151936, hidden_size: 1536, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, intermediate_size: 8960, tie_word_embeddings: true }],
];
/** Column name, tensor budget, and whether the CPU path's threads run (its GEMM, attention and fused blocks). */
const BUDGETS: [string, number, boolean][] = [
  ['wasm heap (4 GB), 1 thread', tensorBudget('wasm', 4 * 2 ** 30), false],
  ['wasm heap (4 GB), threads', tensorBudget('wasm', 4 * 2 ** 30), true],
  ['4 GB GPU', 4 * 2 ** 30 * 0.9, false],
  ['8 GB GPU', 8 * 2 ** 30 * 0.9, false],
];
const QUANTS: [string, { bits: 4 | 8; groupSize: number } | null][] = [['f32', null], ['int8', { bits: 8, groupSize: 64 }], ['int4', { bits: 4, groupSize: 64 }]];
const TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const rows = ['| model | base | ' + BUDGETS.map(([b]) => b).join(' | ') + ' |', '| --- | --- |' + BUDGETS.map(() => ' --- |').join('')];
for (const [name, raw] of MODELS) {
  const cfg = parseConfig({ rms_norm_eps: 1e-5, max_position_embeddings: 4096, ...raw });
  for (const [qName, quant] of QUANTS) {
    const cells = BUDGETS.map(([, budget, threads]) => {
      const p = planMemory(cfg, { kind: 'lora', r: 8, targets: TARGETS, plain: true }, { batch: 4, gradAccum: 1, seqLen: 256, recompute: 'auto', quant, transposeFree: threads }, 1 << 30, budget);
      const gb = (p.estimate.totalBytes / 2 ** 30).toFixed(2);
      if (!p.ok) return `no (${gb} GB at micro-batch 1)`;
      return `${gb} GB${p.batch < 4 ? `, micro-batch ${p.batch}` : ''}${p.recompute ? ', recompute' : ''}`;
    });
    rows.push(`| ${name} | ${qName} | ${cells.join(' | ')} |`);
  }
}
console.log(rows.join('\n'));
