/**
 * Shard checksums as the hub lists them: the sha256 of the content for LFS files (`lfs.oid`), and git's blob id for
 * the others (`oid` = sha1 over "blob <size>\0" + content, as `git hash-object` computes it). Web Crypto through
 * platform/, so the same code runs in a browser, a worker and Node. Not handled: streaming digests (bytes in memory).
 */
import { subtleCrypto } from '../../platform/env';

function hex(buf: ArrayBuffer): string {
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function subtle(): SubtleCrypto {
  const s = subtleCrypto();
  if (!s) throw new Error('Web Crypto is not available here (an insecure http: page?): cannot check shard checksums');
  return s;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await subtle().digest('SHA-256', bytes.slice()));
}

export async function gitBlobSha1Hex(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.byteLength}\0`);
  const all = new Uint8Array(head.byteLength + bytes.byteLength);
  all.set(head);
  all.set(bytes, head.byteLength);
  return hex(await subtle().digest('SHA-1', all));
}
