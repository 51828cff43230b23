/**
 * The experiment in a URL: JSON, deflated (fflate), base64url, in the hash as `#x=...` (the hash never reaches a
 * server). Decoding checks the size, inflates, parses and validates; any failure is one message and no experiment.
 * Nothing read from a link is executed: it only ever becomes data after validateExperiment.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { Experiment } from './experiment';
import { validateExperiment } from './validate';

export const HASH_KEY = 'x';
/** Links longer than this are refused before inflating (a small experiment is ~600 characters). */
const MAX_ENCODED = 16_000;
const MAX_JSON = 64_000;

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('the link holds characters that base64url does not use');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function encodeExperiment(x: Experiment): string {
  return toBase64Url(deflateSync(strToU8(JSON.stringify(x)), { level: 9 }));
}

export type Decoded = { ok: true; value: Experiment } | { ok: false; message: string; errors: string[] };

export function decodeExperiment(encoded: string): Decoded {
  const fail = (message: string, errors: string[] = []): Decoded => ({ ok: false, message, errors });
  if (encoded.length > MAX_ENCODED) return fail(`The link is too long (${encoded.length} characters) to be a webift experiment.`);
  let json: string;
  try {
    const raw = inflateSync(fromBase64Url(encoded));
    if (raw.length > MAX_JSON) return fail('The link unpacks to more data than an experiment holds.');
    json = strFromU8(raw);
  } catch (e) {
    return fail(`The link is damaged and could not be unpacked (${(e as Error).message}). Ask for a fresh link.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return fail('The link does not hold valid JSON. Ask for a fresh link.');
  }
  const v = validateExperiment(parsed);
  if (!v.ok) return fail(`The link's experiment is not valid, so nothing was restored: ${v.errors[0]}${v.errors.length > 1 ? ` (and ${v.errors.length - 1} more)` : ''}.`, v.errors);
  return { ok: true, value: v.value };
}

/** `#x=<encoded>` for a URL; `base` is the page URL without its hash. */
export function shareUrl(base: string, x: Experiment): string {
  return `${base.replace(/#.*$/, '')}#${HASH_KEY}=${encodeExperiment(x)}`;
}

/** The encoded experiment of a location hash, or null when the hash carries none. */
export function experimentParam(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  return params.get(HASH_KEY);
}
