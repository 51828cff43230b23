/**
 * The model side of the metrics on the committed webift-tiny checkpoint: multiple-choice letters scored from
 * nextTokenLogits equal the argmax over generate()'s first-step logits (an independent path), and sequenceNll /
 * evaluatePerplexity equal train/loss.ts's causalLmLoss on the full logits times the learned-token count. No tensor
 * is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenizeExample } from '../../src/data/tokenize-example';
import type { McItem } from '../../src/eval/mc-items';
import { nextTokenLogits, sequenceNll } from '../../src/eval/model-scoring';
import { evaluateMultipleChoice, mcMessages, plainPrompt } from '../../src/eval/multiple-choice';
import { evaluatePerplexity, heldOutSplit } from '../../src/eval/perplexity';
import { generateAll } from '../../src/generate/generate';
import { tf } from '../../src/kernels/tf';
import { forward } from '../../src/model/transformer';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import { initBackend } from '../../src/platform/backend';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { causalLmLoss } from '../../src/train/loss';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

describe('metrics on webift-tiny', () => {
  let model: Model, tok: TextTokenizer;
  beforeAll(async () => {
    await initBackend({ prefer: ['wasm'] });
    model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    tok = (await tokenizerFrom(folderSource(EMBEDDED_MODEL_DIR)))!;
  });
  afterAll(() => model?.dispose());

  it("multiple choice predicts the argmax letter of generate()'s first-step logits", async () => {
    const items: McItem[] = [
      { id: 'g/1', subject: 'geo', question: 'Largest ocean?', options: ['Atlantic', 'Pacific', 'Indian', 'Arctic'], answer: 'B' },
      { id: 'm/1', subject: 'math', question: '2 + 2 = ?', options: ['3', '4', '5', '22'], answer: 'B' },
    ];
    const before = tf.memory().numTensors;
    const r = await evaluateMultipleChoice({ items, tokenizer: tok, logits: nextTokenLogits(model) });
    expect(tf.memory().numTensors).toBe(before);
    const letterId = (l: string) => tok.encode(l, { addSpecialTokens: false }).at(-1)!;
    for (const [i, it] of items.entries()) {
      const ids = tok.encode(plainPrompt(mcMessages(it, [])), { addSpecialTokens: true });
      let first: Float32Array | null = null;
      await generateAll(model, { ids: [ids] }, { maxNewTokens: 1, doSample: false }, { onLogits: (_s, l) => (first ??= l.slice()) });
      const z = ['A', 'B', 'C', 'D'].map((l) => first![letterId(l)]);
      expect(r.predictions[i].prediction).toBe('ABCD'[z.indexOf(Math.max(...z))]);
      expect(r.predictions[i].promptTokens).toBe(ids.length);
    }
  });

  it('perplexity: token-weighted NLL equal to causalLmLoss x learned tokens', async () => {
    const records = [
      { instruction: 'Name a color.', input: '', output: 'Blue.' },
      { instruction: 'Add the numbers.', input: '2 3', output: '2 + 3 = 5. The answer is 5.' },
    ];
    const examples = records.map((r) => tokenizeExample(r, tok, { cutoffLen: 200 }));
    const before = tf.memory().numTensors;
    const res = await evaluatePerplexity({ model, examples });
    expect(tf.memory().numTensors).toBe(before);
    let total = 0, count = 0;
    for (const [i, ex] of examples.entries()) {
      const ref = tf.tidy(() => causalLmLoss(forward(model, { ids: ex.ids, B: 1, T: ex.ids.length }).logits!, ex.labels));
      const mean = (await ref.data())[0];
      ref.dispose();
      const n = Array.from(ex.labels).slice(1).filter((y) => y !== -100).length;
      expect(res.items[i].tokens).toBe(n);
      expect(res.items[i].nll).toBeCloseTo(mean * n, 3);
      expect((await sequenceNll(model, null, ex.ids, ex.labels)).nll).toBeCloseTo(res.items[i].nll, 5);
      total += mean * n;
      count += n;
    }
    expect(res.tokens).toBe(count);
    expect(res.loss).toBeCloseTo(total / count, 4);
    expect(res.perplexity).toBeCloseTo(Math.exp(total / count), 3);
  });

  it("heldOutSplit takes train's held-out examples (a fraction, or a count capped at a tenth)", () => {
    const xs = Array.from({ length: 40 }, (_, i) => i);
    expect(heldOutSplit(xs, 0.1, 42)).toHaveLength(4);
    expect(heldOutSplit(xs, 10, 42)).toHaveLength(4);
    expect(heldOutSplit(xs, 0.1, 42)).toEqual(heldOutSplit(xs, 0.1, 42));
    expect(() => heldOutSplit(xs, 0, 42)).toThrow();
  });
});
