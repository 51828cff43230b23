/**
 * `node --import ./bin/node-env.mjs scripts/make-synthetic.ts`: writes public/data/synthetic/ (the corpus and every
 * instruction set as JSONL, index.json with counts) from src/data/synthetic at seed 1234. Same seed, same bytes;
 * the files are committed, and tests check that they match what the generators make now.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSynthetic } from '../src/data/synthetic/datasets';
import { syntheticIndex, SYNTHETIC_SEED } from '../src/data/synthetic/index-file';

const out = path.join(import.meta.dirname, '..', 'public', 'data', 'synthetic');
mkdirSync(out, { recursive: true });
const data = buildSynthetic(SYNTHETIC_SEED);
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(path.join(out, 'corpus.jsonl'), jsonl(data.corpus.map((text) => ({ text }))));
for (const [name, rows] of Object.entries(data.sets)) writeFileSync(path.join(out, `${name}.jsonl`), jsonl(rows));
writeFileSync(path.join(out, 'index.json'), JSON.stringify(syntheticIndex(data), null, 2) + '\n');
console.log(`wrote ${Object.keys(data.sets).length + 1} datasets to ${out}`);
