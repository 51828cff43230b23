/**
 * The transformers.js judge (src/eval/judge-transformers.ts) on a real ONNX model: a tiny Gather "language model"
 * written by tests/eval/onnx-tiny.ts, with a WordLevel tokenizer and a chat template, served from a local hub route
 * (tests/data/hub-server.ts) and run by @huggingface/transformers on onnxruntime-node (cpu). Its table makes every
 * token but "8" and "3" continue with "8", "8" with "3", and "3" with </s>, so greedy decoding answers "8 3" to any
 * prompt: the judge reads [8, 3] in both orders, i.e. A wins one order and loses the other, a tie.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgePairs, pairPrompt } from '../../src/eval/judge-pairwise';
import { transformersJudge } from '../../src/eval/judge-transformers';
import { startHubServer, type HubServer } from '../data/hub-server';
import { gatherLmOnnx } from './onnx-tiny';

const VOCAB = ['<unk>', '<s>', '</s>', '8', '3', '[', ']', 'Question'];
const V = VOCAB.length, EIGHT = 3, THREE = 4, EOS = 2;

function writeRepo(dir: string): void {
  const table = new Float32Array(V * V).fill(-10);
  for (let r = 0; r < V; r++) table[r * V + (r === EIGHT ? THREE : r === THREE ? EOS : EIGHT)] = 10;
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'onnx/model_q4.onnx'), gatherLmOnnx(table, V));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: V, hidden_size: 4, num_hidden_layers: 1,
    num_attention_heads: 1, num_key_value_heads: 1, max_position_embeddings: 4096, bos_token_id: 1, eos_token_id: EOS, pad_token_id: 0,
  }));
  const special = (id: number) => ({ id, content: VOCAB[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [special(0), special(1), special(2)], normalizer: null,
    pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])), unk_token: '<unk>' },
  }));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', model_max_length: 4096,
    chat_template: "{% for m in messages %}{{ m['content'] }}\n{% endfor %}",
  }));
}

describe('transformersJudge on a tiny ONNX model from a local hub route', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'webift-onnx-'));
  let hub: HubServer;
  beforeAll(async () => {
    writeRepo(path.join(root, 'repo'));
    hub = await startHubServer({ repos: { 'test/tiny-judge': path.join(root, 'repo') } });
  });
  afterAll(() => hub?.close());

  it('downloads, runs greedy decoding through the chat template, and judges both orders', async () => {
    const judge = transformersJudge({ repo: 'test/tiny-judge', device: 'cpu', dtype: 'q4', remoteHost: hub.host, cacheDir: path.join(root, 'cache'), maxNewTokens: 8 });
    try {
      expect(await judge.rate([pairPrompt('Question', 'a', 'b')])).toEqual(['8 3']);
      expect(hub.requests.map((r) => r.file)).toContain('onnx/model_q4.onnx');
      const { judgements, summary } = await judgePairs({ items: [{ id: '1', question: 'Q', a: 'x', b: 'y', set: 'koala' }], judge });
      expect(judgements[0]).toMatchObject({ scoresAB: [8, 3], scoresBA: [3, 8], verdict: 'tie' });
      expect(summary).toMatchObject({ n: 1, tie: 1, winningScore: 1 });
    } finally {
      await judge.dispose!();
    }
  });
});
