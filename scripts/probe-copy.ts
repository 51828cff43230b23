/**
 * `node --import ./bin/node-env.mjs scripts/probe-copy.ts [MODEL_DIR]`: does a base model copy a clause from its
 * context? 48 seeded prompts "First, Leo buys 6 more. Then Leo gets 4 more. Again: First, Leo", greedy, 16 new
 * tokens; prints the first four continuations and one JSON line with the share that repeats the first clause and the
 * share that repeats both. The model card quotes it for webift-tiny. Not a test: a probe for pretraining choices.
 */
import { initBackend } from '../src/platform/backend';
import { generateAll } from '../src/generate/generate';
import { Rng } from '../src/data/rng';
import { MODEL_DIR, openTiny } from './lib/lora-run';
import { NAMES_EN, between, pick } from '../src/data/synthetic/vocab';

const dir = process.argv[2] ?? MODEL_DIR;
await initBackend({ prefer: ['wasm'] });
const { model, tok } = await openTiny(dir);
const rng = new Rng(99), N = 48;
const event = () => (rng.int(2) ? `${pick(rng, ['gets', 'buys', 'finds'])} ${between(rng, 2, 9)} more` : `${pick(rng, ['gives away', 'loses', 'sells'])} ${between(rng, 2, 9)}`);
const items = Array.from({ length: N }, () => {
  const n = pick(rng, NAMES_EN), e1 = event(), e2 = event();
  return { prompt: `First, ${n} ${e1}. Then ${n} ${e2}. Again: First, ${n}`, first: ` ${e1}.`, both: ` ${e1}. Then ${n} ${e2}.` };
});
const prompts = items.map((x) => tok.encode(x.prompt));
const S = Math.max(...prompts.map((p) => p.length)), pad = tok.padTokenId ?? 0;
const r = await generateAll(
  model,
  { ids: prompts.map((p) => [...Array(S - p.length).fill(pad), ...p]), attentionMask: prompts.map((p) => [...Array(S - p.length).fill(0), ...p.map(() => 1)]) },
  { maxNewTokens: 16, doSample: false, eosTokenIds: [], padTokenId: pad },
  { decode: (g: number[]) => tok.decode(g, { skipSpecialTokens: true }) },
);
let first = 0, both = 0;
items.forEach((x, i) => {
  const t = ' ' + r.texts[i].trimStart();
  if (t.startsWith(x.first)) first++;
  if (t.startsWith(x.both)) both++;
  if (i < 4) console.log(`${JSON.stringify(x.prompt)} -> ${JSON.stringify(r.texts[i])}`);
});
console.log(JSON.stringify({ model: dir, n: N, copiesFirstClause: first / N, copiesBoth: both / N }));
