/**
 * Reads a PEFT adapter from files the user picked: adapter_config.json + adapter_model.safetensors, or a zip
 * holding both (as "Export adapter" writes it). Bytes only: where they go (chat comparison) is the caller's business.
 * Not handled: GGUF adapters or merged models.
 */
import { strFromU8, unzipSync } from 'fflate';
import type { AdapterBytes } from '../../protocol/generate-api';

/** The adapter's two files from `files`; a missing one is one clear error, whose message ends with `missingNote`. */
export async function readAdapterFiles(files: File[], missingNote = ''): Promise<AdapterBytes> {
  let config: string | null = null, weights: Uint8Array | null = null;
  for (const f of files) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    if (/\.zip$/i.test(f.name)) {
      for (const [name, b] of Object.entries(unzipSync(bytes))) {
        if (name.endsWith('adapter_config.json')) config = strFromU8(b);
        if (name.endsWith('adapter_model.safetensors')) weights = b;
      }
    } else if (f.name.endsWith('adapter_config.json')) config = new TextDecoder().decode(bytes);
    else if (f.name.endsWith('.safetensors')) weights = bytes;
  }
  if (!config || !weights) throw Object.assign(new Error(`A PEFT adapter needs adapter_config.json and adapter_model.safetensors (or a zip holding both).${missingNote}`), { details: files.map((f) => f.name).join(', ') });
  return { config, weights };
}
