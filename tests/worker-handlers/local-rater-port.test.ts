/**
 * "This tab's model" as the AlpaGasus rater: the session worker's serveRater (the embedded tiny model, cpu) answers
 * on a MessagePort that the page hands to the ingest worker's filter, both through comlink (the real protocol layer). The raw
 * answers saved with the scores are exactly what eval/local-rater.ts gives in-process for the same prompts (greedy,
 * 12 new tokens, prompt cut to 256 - 12 tokens), every record is rated once, and the kept set follows the scores.
 */
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/platform/backend';
import { createClient, type Client } from '../../src/protocol/client';
import { serveHandlers } from '../../src/protocol/serve';
import type { Endpoint } from '../../src/protocol/wire';
import type { IngestApi } from '../../src/protocol/ingest-api';
import type { TrainApi } from '../../src/protocol/train-api';
import { memoryCheckpointStore } from '../../src/train/checkpoint';
import { memoryShardStore } from '../../src/data/store/memory-shard-store';
import { readShard } from '../../src/data/store/shard-store';
import { parseScore, parseScoresJsonl, ratingPrompt } from '../../src/data/filter';
import { decodeText } from '../../src/data/converters/rows';
import { localRater } from '../../src/eval/local-rater';
import { createTrainHandlers } from '../../src/worker-handlers/train-handlers';
import { createIngestHandlers } from '../../src/worker-handlers/ingest-handlers';
import { readFileSync } from 'node:fs';
import { tinyFiles, tinyInProcess } from './tiny-session';

const RECORDS = [
  { instruction: 'What is 2 plus 3?', input: '', output: 'Tom has 2 apples and gets 3 more, so 2 + 3 = 5. The answer is 5.' },
  { instruction: 'Name a colour.', input: '', output: 'Blue.' },
  { instruction: 'Translate to French', input: 'cat', output: 'chat' },
];

function pair<A extends Record<string, { params: unknown; result: unknown; progress: unknown }>>(serve: (e: Endpoint) => void): Client<A> {
  const ch = new MessageChannel();
  ch.port1.start();
  ch.port2.start();
  serve(ch.port2 as unknown as Endpoint);
  return createClient<A>(ch.port1 as unknown as Endpoint);
}

describe("the AlpaGasus filter rated by this tab's model", () => {
  it('rates every record through the port with the same answers as the in-process local rater', async () => {
    const backend = initBackend({ prefer: ['cpu'] });
    const session = pair<TrainApi>((e) => serveHandlers<TrainApi>(e, createTrainHandlers(backend, memoryCheckpointStore())));
    const store = memoryShardStore();
    const manifest = JSON.parse(readFileSync('datasets-manifest.json', 'utf8')) as unknown;
    const ingest = pair<IngestApi>((e) => serveHandlers<IngestApi>(e, createIngestHandlers({ manifest, store, fetch: () => Promise.reject(new Error('offline')) })));

    const ctx = new AbortController();
    const rc = new MessageChannel();
    // Before a model is loaded the session says so (and the page never hands the port over).
    await expect(session.call('serveRater', { port: rc.port1 }, { transfer: [rc.port1] })).rejects.toThrow(/model/i);
    await session.call('loadModel', { files: tinyFiles(), label: 'tiny' });
    const ch = new MessageChannel();
    const serving = session.call('serveRater', { port: ch.port1 }, { transfer: [ch.port1], signal: ctx.signal, onProgress: (p) => labels.push(p.label) }).catch((e: Error) => e.name);
    const labels: string[] = [];
    while (!labels.length) await new Promise((r) => setTimeout(r, 5));
    expect(labels).toEqual(["this tab's model (tiny)"]);

    const text = RECORDS.map((r) => JSON.stringify(r)).join('\n');
    const r = await ingest.call('filter', { source: { kind: 'text', name: 'three.jsonl', text }, endpoint: { baseUrl: '', model: '', apiKey: '' }, raterPort: ch.port2, threshold: 4.5, limit: 0, batchSize: 2 }, { transfer: [ch.port2] });
    ctx.abort();
    expect(await serving).toBe('AbortError');
    expect(r).toMatchObject({ name: 'three-alpagasus4.5.jsonl', total: 3, rated: 3, reused: 0 });

    // The golden answers: the same rater in-process on the same model files.
    const { model, tok } = await tinyInProcess();
    const expected = await localRater({ model, tokenizer: tok, maxNewTokens: 12, maxPromptTokens: 256 - 12 }).rate(RECORDS.map(ratingPrompt));
    const scoresKey = (await store.list()).find((s) => s.key.startsWith('scores/three.jsonl/'))!;
    expect(scoresKey.meta.source).toBe("AlpaGasus scores of three.jsonl by this tab's model (tiny)");
    const lines = parseScoresJsonl(decodeText((await readShard(store, scoresKey.key))!)).lines;
    expect(lines.map((l) => l.raw)).toEqual(expected);
    expect(lines.map((l) => l.score)).toEqual(expected.map(parseScore));
    expect(r.kept).toBe(expected.map(parseScore).filter((s) => s >= 4.5).length);
    expect(r.kept + r.rejected).toBe(3);
    session.close();
    ingest.close();
  }, 120_000);
});
