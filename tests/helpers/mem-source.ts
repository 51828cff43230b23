/** A ModelSource over files in memory (text for JSON files, bytes for safetensors), for checkpoint tests. */
import type { ModelSource } from '../../src/model/load';
import { bytesReader } from '../../src/model/safetensors';

export function memSource(files: Record<string, string | Uint8Array>): ModelSource {
  return {
    label: 'mem',
    readText: async (n) => (typeof files[n] === 'string' ? (files[n] as string) : null),
    reader: async (n) => (files[n] instanceof Uint8Array ? bytesReader(files[n] as Uint8Array) : null),
  };
}
