/**
 * `npm run pretrain-tiny [-- --steps N --out DIR]`: pretrains webift-tiny from scratch, seeded and reproducible:
 * a BPE tokenizer trained on the synthetic corpus (src/tokenizer/byte-level.ts), a llama-family model from
 * randomModel, and full training with src/train (makeWeightsTrainable + train(), AdamW, cosine) on corpus documents
 * packed into rows of 128 tokens. Writes public/models/webift-tiny/ (config, safetensors, tokenizer, train_log.jsonl).
 * The embedding is looked up as a one-hot product, because tfjs-wasm has no gather gradient (ENVIRONMENT.md pitfall 2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tf } from '../src/kernels/tf';
import { mm } from '../src/kernels/ops';
import { initBackend } from '../src/platform/backend';
import { randomModel } from '../src/model/random';
import { forward } from '../src/model/transformer';
import { writeSafetensors } from '../src/model/safetensors';
import { mergedHfWeights } from '../src/peft';
import { bpeTokenizerConfig, bpeTokenizerJson, trainBpe } from '../src/tokenizer/byte-level';
import { loadTokenizer } from '../src/tokenizer/tokenizer';
import { BatchSource } from '../src/data/batches';
import { buildSynthetic } from '../src/data/synthetic/datasets';
import { SYNTHETIC_SEED } from '../src/data/synthetic/index-file';
import { alpacaPrompt } from '../src/tokenizer/alpaca';
import { causalLmLoss } from '../src/train/loss';
import { makeWeightsTrainable } from '../src/train/objective';
import { resolveTrainConfig } from '../src/train/config';
import { train } from '../src/train/trainer';
import type { LossFn } from '../src/train/step';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const OUT = arg('out', path.join(import.meta.dirname, '..', 'public', 'models', 'webift-tiny'));
const STEPS = Number(arg('steps', '720'));
const SEED = 7, T = 128, B = 16, MERGES = 480;

await initBackend({ prefer: ['wasm'] });
const t0 = Date.now();
const data = buildSynthetic(SYNTHETIC_SEED);
// The tokenizer sees the corpus and the instruction texts (prompt + answer), so the Alpaca frame is a few tokens.
const instructionTexts = Object.entries(data.sets).filter(([n]) => !n.startsWith('test') && !n.startsWith('demo')).flatMap(([, rs]) => rs.map((r) => alpacaPrompt(r.instruction, r.input) + r.output));
const vocab = trainBpe([...data.corpus, ...instructionTexts], { numMerges: MERGES, minCharCount: 2 });
const tokJson = bpeTokenizerJson(vocab), tokCfg = bpeTokenizerConfig(256);
const tok = loadTokenizer(tokJson, tokCfg);
const V = vocab.pieces.length;

const config = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: V, hidden_size: 128, intermediate_size: 352, num_hidden_layers: 4,
  num_attention_heads: 4, num_key_value_heads: 4, head_dim: 32, hidden_act: 'silu', rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 256,
  tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, pad_token_id: 3, torch_dtype: 'float32',
};
const model = randomModel(config, SEED);
const params = makeWeightsTrainable(model);

// Documents -> one token stream (<s> doc </s> ...), cut into rows of T tokens; every token is learned.
const stream: number[] = [];
for (const doc of data.corpus) stream.push(...tok.encode(doc), tok.eosTokenId!);
const rows = [];
for (let i = 0; i + T <= stream.length; i += T) {
  const ids = Int32Array.from(stream.slice(i, i + T));
  rows.push({ ids, labels: ids });
}
console.error(`tokenizer: ${V} ids; corpus: ${stream.length} tokens in ${rows.length} rows of ${T}; params: ${[...params.values()].reduce((a, v) => a + v.size, 0)}`);

const loss: LossFn = (batch) => {
  const oh = tf.cast(tf.oneHot(tf.tensor1d(batch.ids, 'int32'), V), 'float32'); // (B*T, V), int32 then cast (pitfall 3)
  const emb = tf.reshape(mm(oh, params.get('embed')!), [batch.B, batch.T, 128]); // (B, T, C)
  const out = forward(model, { ids: batch.ids, B: batch.B, T: batch.T, attentionMask: batch.attentionMask, inputsEmbeds: emb });
  return causalLmLoss(out.logits!, batch.labels);
};
const cfg = resolveTrainConfig({ lr: 3e-3, maxSteps: STEPS, batchSize: B, gradAccum: 1, cutoffLen: T, warmupSteps: 30, scheduler: 'cosine', weightDecay: 0.01, evalSplit: 0, evalEvery: 0, checkpointEvery: 0, seed: SEED });
const log: string[] = [];
for await (const e of train({ config: cfg, params, loss, data: new BatchSource(rows, { batchSize: B, padId: 3, seed: SEED }) })) {
  if (e.kind === 'step') {
    log.push(JSON.stringify({ step: e.step, loss: +e.loss.toFixed(4), lr: +e.lr.toExponential(3), gradNorm: +e.gradNorm.toFixed(3), seconds: Math.round((Date.now() - t0) / 1000) }));
    if (e.step % 10 === 0) console.error(`step ${e.step}/${STEPS} loss ${e.loss.toFixed(3)} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  if (e.kind === 'error') throw new Error(e.message);
}

mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'config.json'), JSON.stringify(config, null, 2) + '\n');
writeFileSync(path.join(OUT, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 3, do_sample: false, max_new_tokens: 48 }, null, 2) + '\n');
writeFileSync(path.join(OUT, 'tokenizer.json'), JSON.stringify(tokJson));
writeFileSync(path.join(OUT, 'tokenizer_config.json'), JSON.stringify(tokCfg, null, 2) + '\n');
writeFileSync(path.join(OUT, 'model.safetensors'), writeSafetensors(await mergedHfWeights(model), { format: 'pt' }));
writeFileSync(path.join(OUT, 'train_log.jsonl'), log.join('\n') + '\n');
console.error(`wrote ${OUT} in ${Math.round((Date.now() - t0) / 1000)} s`);
