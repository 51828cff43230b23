/**
 * The local-model rater (src/eval/local-rater.ts) on the committed webift-tiny checkpoint (public/models): the
 * prompt is rendered plainly (no chat template), cut from the left to the context, decoded greedily; its answers
 * equal a direct generateAll on the same ids, filterRecords parses them as AlpaGasus does, and no tensor leaks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterRecords, parseScore, ratingPrompt } from '../../src/data/filter';
import { localRater, renderRatingPrompt } from '../../src/eval/local-rater';
import { generateAll } from '../../src/generate/generate';
import { tf } from '../../src/kernels/tf';
import { loadModel } from '../../src/model/load';
import type { Model } from '../../src/model/types';
import { initBackend } from '../../src/platform/backend';
import { folderSource } from '../../src/node/fs-source';
import { tokenizerFrom } from '../../src/node/model-tokenizer';
import type { TextTokenizer } from '../../src/tokenizer/tokenizer';
import { EMBEDDED_MODEL_DIR } from '../helpers/fixtures';

describe('localRater on webift-tiny', () => {
  let model: Model, tok: TextTokenizer;
  beforeAll(async () => {
    await initBackend({ prefer: ['cpu'] });
    model = await loadModel(folderSource(EMBEDDED_MODEL_DIR));
    tok = (await tokenizerFrom(folderSource(EMBEDDED_MODEL_DIR)))!;
  });
  afterAll(() => {
    model?.dispose();
  });

  it('answers each prompt with greedy decoding of its last context tokens; filterRecords parses the answers', async () => {
    const records = [
      { instruction: 'Tell a story about a cat.', input: '', output: 'Once upon a time there was a cat.' },
      { instruction: 'Name a color.', input: 'sky', output: 'Blue.' },
    ];
    const p0 = ratingPrompt(records[0]);
    expect(tok.chatTemplate).toBeNull();
    expect(renderRatingPrompt(tok, p0)).toBe(`${p0.system}\n\n${p0.user}`);
    const before = tf.memory().numTensors;
    const rater = localRater({ model, tokenizer: tok, maxNewTokens: 6, maxPromptTokens: 64, label: 'local:webift-tiny' });
    const answers = await rater.rate(records.map(ratingPrompt));
    // The oracle: the same cut ids through generateAll directly.
    const ids = tok.encode(renderRatingPrompt(tok, p0), { addSpecialTokens: true });
    expect(ids.length).toBeGreaterThan(64); // so the cut really happens
    const direct = await generateAll(model, { ids: [ids.slice(-64)] }, { maxNewTokens: 6, doSample: false }, { decode: (g) => tok.decode(g, { skipSpecialTokens: true }) });
    expect(answers[0]).toBe(direct.texts[0]);
    const r = await filterRecords({ records, rater });
    expect(r.scores.map((s) => s.raw)).toEqual(answers);
    expect(r.scores.map((s) => s.score)).toEqual(answers.map(parseScore));
    expect(tf.memory().numTensors).toBe(before);
  });
});
