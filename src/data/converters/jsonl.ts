/**
 * JSON Lines of unified records, whatever the file extension says (`.json` files of BELLE and ShareGPT exports are
 * JSONL): each line `{instruction, input?, output}` or `{messages: [{role, content}]}`, checked by validateRecord. A
 * JSON array of the same records is read too. `fields` renames keys for other spellings (`prompt`/`completion`).
 */
import { jsonRowsConverter } from './rows';
import type { Converter } from './types';

export const jsonlConverter: Converter = {
  shape: 'jsonl',
  describe: 'JSON Lines (any extension) of {instruction, input, output} or {messages}',
  convert: jsonRowsConverter('jsonl', (o, f) => {
    if (!Object.keys(f).length) return o;
    const out: Record<string, unknown> = {};
    for (const k of ['instruction', 'input', 'output', 'messages']) {
      const src = f[k] ?? k;
      if (src in o) out[k] = o[src];
    }
    return out;
  }),
};
