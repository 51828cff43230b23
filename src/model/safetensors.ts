/**
 * safetensors: header parsing with validation, byte-range reads through a ByteReader (whole tensors or row ranges),
 * F32/F16/BF16 to f32, and a writer (sorted names, compact JSON, header space-padded to 8 bytes, as the reference writer does).
 * Never fetches: callers pass bytes or a reader. Not handled: F64/F8 to f32, big-endian hosts.
 * Format: github.com/huggingface/safetensors (8-byte LE header length, JSON header, raw little-endian data).
 */

export type Dtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'I8' | 'F64' | 'BOOL' | 'I16' | 'U16' | 'U32' | 'U64';

const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, I8: 1, F64: 8, BOOL: 1, I16: 2, U16: 2, U32: 4, U64: 8 };

export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  /** Size of the 8-byte prefix plus the JSON header: where the data section starts in the file. */
  dataStart: number;
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string>;
}

export type { ByteReader } from '../util/byte-reader';
export { bytesReader } from '../util/byte-reader';
import type { ByteReader } from '../util/byte-reader';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}


/** Parses and validates the header: every range inside the file, sizes matching shapes, no overlaps. */
export async function readHeader(reader: ByteReader, label = 'safetensors file'): Promise<SafetensorsHeader> {
  const size = await reader.size();
  if (size < 8) throw new SafetensorsError(`${label} is ${size} bytes, too short to hold a safetensors header`);
  const prefix = await reader.read(0, 8);
  const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (n <= 0 || 8 + n > size) throw new SafetensorsError(`${label}: header length ${n} does not fit in a ${size}-byte file (truncated or not safetensors)`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(await reader.read(8, n)));
  } catch {
    throw new SafetensorsError(`${label}: the header is not valid JSON (corrupt file)`);
  }
  const dataStart = 8 + n;
  const dataLen = size - dataStart;
  const tensors: Record<string, TensorEntry> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    const e = raw as TensorEntry;
    if (!e || !(e.dtype in DTYPE_BYTES) || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets)) {
      throw new SafetensorsError(`${label}: tensor '${name}' has a malformed entry`);
    }
    const [b, end] = e.data_offsets;
    const want = e.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[e.dtype];
    if (end - b !== want) throw new SafetensorsError(`${label}: tensor '${name}' ${e.dtype}[${e.shape}] needs ${want} bytes but its range holds ${end - b}`);
    if (b < 0 || end > dataLen) throw new SafetensorsError(`${label}: tensor '${name}' ends at byte ${end} but the data section has ${dataLen} bytes (truncated file)`);
    tensors[name] = e;
    ranges.push([b, end, name]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) throw new SafetensorsError(`${label}: tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return { dataStart, tensors, metadata: (json.__metadata__ as Record<string, string>) ?? {} };
}

/** The value of IEEE binary16 bits h (subnormals, ±inf and NaN included). */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Converts raw little-endian bytes of a float dtype to a fresh (aligned) Float32Array. */
export function toFloat32(dtype: Dtype, bytes: Uint8Array): Float32Array {
  // Copy first: Node buffers may be unaligned for a Float32Array view (ENVIRONMENT.md pitfall 9). Not
  // bytes.slice(): on a Node Buffer that is a view, not a copy.
  const copy = new Uint8Array(bytes);
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
    case 'F16': {
      const u = new Uint16Array(copy.buffer, 0, copy.byteLength / 2);
      const out = new Float32Array(u.length);
      for (let i = 0; i < u.length; i++) out[i] = f16ToF32(u[i]);
      return out;
    }
    case 'BF16': {
      const u = new Uint16Array(copy.buffer, 0, copy.byteLength / 2);
      const out = new Uint32Array(u.length);
      for (let i = 0; i < u.length; i++) out[i] = u[i] << 16;
      return new Float32Array(out.buffer);
    }
    case 'F64':
      return Float32Array.from(new Float64Array(copy.buffer, 0, copy.byteLength / 8));
    default:
      throw new SafetensorsError(`dtype ${dtype} is not a float type`);
  }
}

export interface LoadedTensor {
  shape: number[];
  data: Float32Array;
}

/** An opened safetensors file: header now, tensor bytes on demand through byte-range reads. */
export class SafetensorsFile {
  private constructor(private readonly reader: ByteReader, readonly header: SafetensorsHeader, readonly label: string) {}

  static async open(reader: ByteReader, label = 'safetensors file'): Promise<SafetensorsFile> {
    return new SafetensorsFile(reader, await readHeader(reader, label), label);
  }

  names(): string[] {
    return Object.keys(this.header.tensors);
  }

  has(name: string): boolean {
    return name in this.header.tensors;
  }

  async raw(name: string): Promise<{ entry: TensorEntry; bytes: Uint8Array }> {
    const entry = this.header.tensors[name];
    if (!entry) throw new SafetensorsError(`${this.label}: no tensor named '${name}'`);
    const [b, e] = entry.data_offsets;
    return { entry, bytes: await this.reader.read(this.header.dataStart + b, e - b) };
  }

  /**
   * Rows [r0, r1) of a float tensor (first axis) as f32: one byte-range read, so the rest of the tensor stays on disk.
   * The loader streams big matrices this way.
   */
  async rows(name: string, r0: number, r1: number): Promise<Float32Array> {
    const entry = this.header.tensors[name];
    if (!entry) throw new SafetensorsError(`${this.label}: no tensor named '${name}'`);
    const [R, ...rest] = entry.shape;
    if (!(0 <= r0 && r0 <= r1 && r1 <= R)) throw new SafetensorsError(`${this.label}: rows [${r0}, ${r1}) are outside '${name}' [${entry.shape}]`);
    const rowBytes = rest.reduce((a, d) => a * d, 1) * DTYPE_BYTES[entry.dtype];
    const start = this.header.dataStart + entry.data_offsets[0] + r0 * rowBytes;
    return toFloat32(entry.dtype, await this.reader.read(start, (r1 - r0) * rowBytes));
  }

  /** Reads one float tensor as f32. */
  async float32(name: string): Promise<LoadedTensor> {
    const { entry, bytes } = await this.raw(name);
    return { shape: entry.shape, data: toFloat32(entry.dtype, bytes) };
  }
}

export interface WritableTensor {
  /** Default F32 / I32 from the array type; BF16 and F16 take their raw 16-bit patterns in a Uint16Array. */
  dtype?: 'F32' | 'I32' | 'BF16' | 'F16';
  shape: number[];
  data: Float32Array | Int32Array | Uint16Array;
}

/** Serialises tensors (sorted by name) with `{"__metadata__": {...}}` first, header padded with spaces to 8 bytes. */
export function writeSafetensors(tensors: Record<string, WritableTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (n !== t.data.length) throw new SafetensorsError(`tensor '${name}': shape [${t.shape}] holds ${n} values but data has ${t.data.length}`);
    const bytes = t.data.byteLength;
    if ((t.data instanceof Uint16Array) !== (t.dtype === 'BF16' || t.dtype === 'F16')) throw new SafetensorsError(`tensor '${name}': 16-bit data needs dtype BF16 or F16, and only they take it`);
    header[name] = { dtype: t.dtype ?? (t.data instanceof Int32Array ? 'I32' : 'F32'), shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.byteLength % 8)) % 8;
  json += ' '.repeat(pad);
  hb = enc.encode(json);
  const out = new Uint8Array(8 + hb.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.byteLength), true);
  out.set(hb, 8);
  let pos = 8 + hb.byteLength;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}
