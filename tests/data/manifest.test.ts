// The catalogue: datasets-manifest.json validates, holds every dataset of the Alpaca-CoT collection table (the
// issue's list), the AlpaGasus and evaluation sets, and the ten Alpaca-CoT data-type names as mixes; a broken
// manifest fails with an error naming the bad field.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { datasetsWithTag, findDataset, hubFileRefs, validateManifest, type Manifest } from '../../src/data/manifest';
import { resolveUrl } from '../../src/data/hub/url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const raw = () => JSON.parse(readFileSync(path.join(root, 'datasets-manifest.json'), 'utf8'));

describe('datasets-manifest.json', () => {
  const m: Manifest = validateManifest(raw());

  it('has one entry per collection-table dataset, the AlpaGasus sets and the eval sets', () => {
    const collections = new Set(m.datasets.map((d) => d.collection));
    // The Alpaca-CoT README table rows named in the issue.
    for (const c of ['Chain of Thought', 'GPT4all', 'GPTeacher', 'Guanaco', 'HC3', 'alpaca', 'Natural Instructions', 'belle_cn', 'instinwild', 'prosocial dialog', 'finance_en', 'xP3', 'firefly', 'instruct', 'Code Alpaca', 'Alpaca_GPT4', 'webGPT', 'dolly 2.0', 'baize', 'hh-rlhf', 'OIG', 'GAOKAO', 'camel', 'FLAN-Muffin', 'COIG', 'GPT4Tools', 'ShareGPT', 'Auto CoT', 'MOSS', 'ultrachat', 'AlpaGasus', 'eval']) {
      expect(collections.has(c), c).toBe(true);
    }
    for (const id of ['cot-en', 'cot-cn', 'alpaca', 'alpaca-cleaned', 'belle-0.5m', 'belle-1m', 'belle-1.5m', 'belle-math', 'belle-chat', 'alpaca-gpt4-en', 'alpaca-gpt4-zh', 'alpagasus-chatgpt-9k', 'alpagasus-claude-t45', 'alpagasus-dolly-3k', 'gsm8k-test', 'koala-test', 'vicuna-test', 'wizardlm-test', 'self-instruct-test']) {
      expect(findDataset(m, id), id).toBeDefined();
    }
  });

  it("tags as the Alpaca-CoT table gives them (e.g. HC3 EN/CN TS MIX, ultrachat with Task and Gen blank)", () => {
    expect(findDataset(m, 'hc3')!.tags).toEqual({ lang: ['EN', 'CN'], task: ['TS'], gen: ['MIX'] });
    expect(findDataset(m, 'ultrachat')!.tags).toEqual({ lang: ['EN'], task: [], gen: [] });
    expect(findDataset(m, 'guanaco')!.records).toBe(534610);
    expect(datasetsWithTag(m, 'cn').map((d) => d.id)).toContain('belle-1.5m');
    expect(datasetsWithTag(m, 'CN').every((d) => d.tags.lang.includes('CN'))).toBe(true);
  });

  it("Alpaca-CoT's data types are mixes of manifest ids", () => {
    const names = m.mixes.map((x) => x.name);
    expect(names).toEqual(['alpaca', 'belle', 'cot', 'alpaca-cot', 'alpaca-belle', 'alpaca-belle-cot', 'belle1.5m', 'finance', 'multiturn_chat', 'CoT_Chinese_data']);
    expect(m.mixes.find((x) => x.name === 'alpaca-belle-cot')!.sources.map((s) => s.id)).toEqual(['alpaca-cleaned', 'belle-0.5m', 'cot-en']);
  });

  it('every entry says whether its path was verified; hub refs resolve to dataset URLs', () => {
    for (const d of m.datasets) for (const loc of [d.hub, d.github]) if (loc) expect(typeof loc.verified).toBe('boolean');
    const unverified = m.datasets.filter((d) => d.hub && !d.hub.verified).map((d) => d.id);
    expect(unverified).toContain('code-alpaca');
    const [ref] = hubFileRefs(findDataset(m, 'cot-en')!);
    expect(resolveUrl(ref)).toBe('https://huggingface.co/datasets/QingyiSi/Alpaca-CoT/resolve/main/Chain-of-Thought/CoT_data.json');
  });
});

describe('a broken manifest gives a clear error', () => {
  const broken = (edit: (m: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = raw();
    edit(m);
    return () => validateManifest(m);
  };
  it('names the field and the entry', () => {
    expect(broken((m) => (m.datasets[3].tags.lang = ['EM']))).toThrow('datasets-manifest: datasets[3] ("gpt4all").tags.lang[0]: "EM" is not one of EN, CN, ML');
    expect(broken((m) => delete m.datasets[0].hub.verified)).toThrow('datasets[0] ("cot-en").hub.verified: missing');
    expect(broken((m) => (m.datasets[1].id = 'cot-en'))).toThrow('datasets[1].id: "cot-en" is used twice');
    expect(broken((m) => (m.datasets[0].format = 'yaml'))).toThrow(/datasets\[0\] \("cot-en"\)\.format: "yaml" is not one of alpaca, jsonl/);
    expect(broken((m) => (m.mixes[5].sources[1].id = 'belle-9m'))).toThrow('mixes[5] ("alpaca-belle-cot").sources[1].id: "belle-9m" is not a dataset id in this manifest');
    expect(broken((m) => (m.datasets[2].records = -1))).toThrow('records: expected a non-negative integer or null, got -1');
    expect(broken((m) => (m.version = 2))).toThrow('datasets-manifest: version: expected 1, got 2');
    expect(() => validateManifest([])).toThrow('datasets-manifest: (root): expected an object, got an array');
  });
});
