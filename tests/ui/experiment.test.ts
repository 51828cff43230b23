/**
 * The experiment schema and share links: the default validates; every bad field is named by its path; unknown
 * fields (where a key could ride along) are refused; a link round-trips exactly; damaged, oversized and invalid
 * links restore nothing and say why.
 */
import { describe, expect, it } from 'vitest';
import { deflateSync, strToU8 } from 'fflate';
import { defaultExperiment } from '../../src/experiment/experiment';
import { validateExperiment } from '../../src/experiment/validate';
import { decodeExperiment, encodeExperiment, experimentParam, shareUrl, toBase64Url, fromBase64Url } from '../../src/experiment/share-link';

describe('validateExperiment', () => {
  it('accepts the default and returns a copy', () => {
    const x = defaultExperiment();
    const v = validateExperiment(x);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.value).toEqual(x);
      expect(v.value).not.toBe(x);
    }
  });

  it('names each bad field by its path', () => {
    const x = defaultExperiment() as unknown as Record<string, Record<string, unknown>>;
    x.peft.r = 0;
    x.train.lr = -1;
    x.generation.topP = 'high';
    const v = validateExperiment(x);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.errors).toHaveLength(3);
      expect(v.errors[0]).toMatch(/^experiment\.peft\.r must be an integer >= 1/);
      expect(v.errors[1]).toMatch(/^experiment\.train\.lr must be a number > 0/);
      expect(v.errors[2]).toMatch(/^experiment\.generation\.topP must be a number/);
    }
  });

  it('refuses unknown fields, e.g. an API key, and missing ones', () => {
    const x = { ...defaultExperiment(), apiKey: 'sk-123' } as Record<string, unknown>;
    delete x.name;
    const v = validateExperiment(x);
    expect(!v.ok && v.errors).toEqual(['experiment.apiKey is not a known field', 'experiment.name is missing']);
  });

  it('refuses model URLs that are not http(s) or a path on this server', () => {
    const x = defaultExperiment();
    x.model = { kind: 'url', url: 'javascript:alert(1)', label: 'x' };
    const v = validateExperiment(x);
    expect(!v.ok && v.errors[0]).toMatch(/^experiment\.model\.url must be text like/);
  });

  it('takes evalSplit as a share below 1 or a whole count', () => {
    const x = defaultExperiment();
    x.train.evalSplit = 0.05;
    expect(validateExperiment(x).ok).toBe(true);
    x.train.evalSplit = 24;
    expect(validateExperiment(x).ok).toBe(true);
    x.train.evalSplit = 2.5;
    expect(validateExperiment(x).ok).toBe(false);
  });
});

describe('share links', () => {
  it('base64url round-trips every byte value without + / =', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const s = toBase64Url(all);
    expect(s).not.toMatch(/[+/=]/);
    expect(fromBase64Url(s)).toEqual(all);
  });

  it('round-trips an edited experiment through the URL hash', () => {
    const x = defaultExperiment();
    x.generation.temperature = 0.9;
    x.train.maxSteps = 20;
    x.data = [{ name: 'arith-en-cot', url: '/data/synthetic/arith-en-cot.jsonl', weight: 0.5 }];
    const url = shareUrl('http://localhost:4173/#old', x);
    expect(url.startsWith('http://localhost:4173/#x=')).toBe(true);
    expect(url.length).toBeLessThan(1200);
    const d = decodeExperiment(experimentParam(new URL(url).hash)!);
    expect(d).toEqual({ ok: true, value: x });
  });

  it('restores nothing from a damaged link', () => {
    const good = encodeExperiment(defaultExperiment());
    const d = decodeExperiment(good.slice(0, good.length - 10));
    expect(d.ok).toBe(false);
    expect(!d.ok && d.message).toMatch(/damaged|valid JSON/);
    expect(decodeExperiment('%%%').ok).toBe(false);
    expect(!decodeExperiment('A'.repeat(20_000)).ok && 'refused').toBe('refused');
  });

  it('restores nothing from a well-formed link whose experiment is invalid, and says which field', () => {
    const x = defaultExperiment() as unknown as Record<string, Record<string, unknown>>;
    x.train.batchSize = 0;
    const enc = toBase64Url(deflateSync(strToU8(JSON.stringify(x))));
    const d = decodeExperiment(enc);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.message).toContain('experiment.train.batchSize must be an integer >= 1');
  });

  it('finds the experiment among other hash parameters, and null when absent', () => {
    expect(experimentParam('#tab=chat&x=abc')).toBe('abc');
    expect(experimentParam('#tab=chat')).toBeNull();
    expect(experimentParam('')).toBeNull();
  });
});

describe('experiment.quantize', () => {
  it('defaults to none (g64 symmetric), may be absent (older links), and round-trips through a link', () => {
    const x = defaultExperiment();
    expect(x.quantize).toEqual({ mode: 'none', groupSize: 64, symmetric: true });
    const old = { ...x } as Record<string, unknown>;
    delete old.quantize;
    expect(validateExperiment(old).ok).toBe(true);
    x.quantize = { mode: 'int4', groupSize: 32, symmetric: false };
    expect(decodeExperiment(encodeExperiment(x))).toEqual({ ok: true, value: x });
  });

  it('names a bad mode, group size or flag by its path', () => {
    const x = defaultExperiment() as unknown as Record<string, Record<string, unknown>>;
    x.quantize = { mode: 'int3', groupSize: 12, symmetric: 'yes', bits: 4 };
    const v = validateExperiment(x);
    expect(!v.ok && v.errors).toEqual([
      'experiment.quantize.bits is not a known field',
      "experiment.quantize.mode must be one of 'none', 'int8', 'int4' (got \"int3\")",
      'experiment.quantize.symmetric must be true or false (got "yes")',
      'experiment.quantize.groupSize must be a multiple of 8 (got 12)',
    ]);
  });
});
