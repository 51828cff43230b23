/**
 * A minimal GGUF v3 reader for tests, written from the format description (ggml docs/gguf.md, gguf.cpp), sharing no
 * code with src/peft/gguf.ts: header, typed KVs (arrays included), tensor infos, alignment, F32/F16 data.
 * It checks what llama.cpp's gguf_init checks: magic, version, offsets = running padded sums, data inside the file.
 */

export interface ReadKv {
  type: number;
  /** For arrays: the element type. */
  itemType?: number;
  value: unknown;
}

export interface ReadTensor {
  name: string;
  /** ggml order: ne[0] is the fastest axis. */
  ne: number[];
  type: number;
  offset: number;
  nbytes: number;
}

export interface ReadGguf {
  version: number;
  kv: Map<string, ReadKv>;
  tensors: ReadTensor[];
  alignment: number;
  dataStart: number;
  /** Sum of tensor sizes, each padded to the alignment. */
  dataSize: number;
  f32(name: string): Float32Array;
}

export function readGguf(bytes: Uint8Array): ReadGguf {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = dv.getBigUint64(p, true); p += 8; return Number(v); };
  const str = () => { const n = u64(); const s = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; return s; };
  const value = (t: number): unknown => {
    switch (t) {
      case 0: return dv.getUint8(p++);
      case 1: return dv.getInt8(p++);
      case 2: { const v = dv.getUint16(p, true); p += 2; return v; }
      case 3: { const v = dv.getInt16(p, true); p += 2; return v; }
      case 4: return u32();
      case 5: { const v = dv.getInt32(p, true); p += 4; return v; }
      case 6: { const v = dv.getFloat32(p, true); p += 4; return v; }
      case 7: { const v = dv.getUint8(p++); if (v > 1) throw new Error(`bool byte ${v}`); return v === 1; }
      case 8: return str();
      case 10: { const v = dv.getBigUint64(p, true); p += 8; return v; }
      case 11: { const v = dv.getBigInt64(p, true); p += 8; return v; }
      case 12: { const v = dv.getFloat64(p, true); p += 8; return v; }
      default: throw new Error(`unknown GGUF value type ${t} at byte ${p}`);
    }
  };

  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== 'GGUF') throw new Error(`bad magic '${magic}'`);
  p = 4;
  const version = u32();
  if (version !== 3) throw new Error(`version ${version}`);
  const nTensors = u64();
  const nKv = u64();
  const kv = new Map<string, ReadKv>();
  for (let i = 0; i < nKv; i++) {
    const key = str();
    if (kv.has(key)) throw new Error(`duplicate key ${key}`);
    const type = u32();
    if (type === 9) {
      const itemType = u32();
      const n = u64();
      const items: unknown[] = [];
      for (let j = 0; j < n; j++) items.push(value(itemType));
      kv.set(key, { type, itemType, value: items });
    } else kv.set(key, { type, value: value(type) });
  }
  const al = kv.get('general.alignment');
  if (al && al.type !== 4) throw new Error('general.alignment must be u32');
  const alignment = al ? (al.value as number) : 32;

  const tensors: ReadTensor[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nDims = u32();
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(u64());
    const type = u32();
    const offset = u64();
    const elems = ne.reduce((a, b) => a * b, 1);
    const nbytes = elems * (type === 0 ? 4 : type === 1 ? 2 : NaN);
    if (!Number.isFinite(nbytes)) throw new Error(`tensor ${name}: type ${type} not handled by this reader`);
    tensors.push({ name, ne, type, offset, nbytes });
  }
  const dataStart = Math.ceil(p / alignment) * alignment;
  let dataSize = 0;
  for (const t of tensors) {
    if (t.offset !== dataSize) throw new Error(`tensor ${t.name}: offset ${t.offset}, expected ${dataSize}`);
    dataSize += Math.ceil(t.nbytes / alignment) * alignment;
  }
  if (dataStart + dataSize > bytes.length) throw new Error(`data section ends at ${dataStart + dataSize} > file ${bytes.length}`);

  const f32 = (name: string): Float32Array => {
    const t = tensors.find((x) => x.name === name);
    if (!t) throw new Error(`no tensor ${name}`);
    const at = dataStart + t.offset;
    const n = t.nbytes / (t.type === 0 ? 4 : 2);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = t.type === 0 ? dv.getFloat32(at + 4 * i, true) : halfToFloat(dv.getUint16(at + 2 * i, true));
    return out;
  };
  return { version, kv, tensors, alignment, dataStart, dataSize, f32 };
}

function halfToFloat(h: number): number {
  const s = h >> 15 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
