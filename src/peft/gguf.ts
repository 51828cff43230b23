/**
 * GGUF v3 writer (little-endian: header, typed KV metadata, tensor infos, aligned data) and a PEFT LoRA -> GGUF LoRA
 * adapter export that llama.cpp (and wllama, Ollama, which load it through llama.cpp) accept.
 * Not handled: quantized tensor types, big-endian files, DoRA/embedding/bias adapters, per-module ranks.
 * Source: llama.cpp ggml/src/gguf.cpp (reader checks), gguf-py/gguf/gguf_writer.py, convert_lora_to_gguf.py,
 * src/llama-adapter.cpp (adapter checks, scale = alpha / r with r = lora_b.ne[0]).
 */
import type { Family } from '../model/config';
import { GGUF_ARCH, GgufExportError, ggufTarget, rowSource } from './gguf-names';

export { GgufExportError } from './gguf-names';

export type GgufScalar = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';
export type GgufValue =
  | { type: Exclude<GgufScalar, 'u64' | 'i64' | 'bool' | 'string'>; value: number }
  | { type: 'u64' | 'i64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: GgufScalar; value: (number | bigint | boolean | string)[] };

/** GGUF value type ids (gguf.h enum gguf_type). 9 is ARRAY. */
export const GGUF_TYPE: Record<GgufScalar | 'array', number> = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
};
/** ggml_type ids of the tensor types written here. */
export const GGML_TYPE = { F32: 0, F16: 1 } as const;

export interface GgufTensor {
  /** < 64 bytes (GGML_MAX_NAME). */
  name: string;
  /** numpy/torch order, row-major, e.g. A [r, in]. Written reversed (ggml ne[0] is the fastest axis). */
  shape: number[];
  data: Float32Array;
  dtype?: 'F32' | 'F16';
}

export const GGUF_DEFAULT_ALIGNMENT = 32;

class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(v: number) { this.view.setUint8(this.room(1), v); }
  u32(v: number) { this.view.setUint32(this.room(4), v, true); }
  u64(v: number | bigint) { this.view.setBigUint64(this.room(8), BigInt(v), true); }
  raw(b: Uint8Array) { this.buf.set(b, this.room(b.length)); }
  str(s: string) { const b = new TextEncoder().encode(s); this.u64(b.length); this.raw(b); }
  pad(align: number) { const n = (align - (this.length % align)) % align; this.room(n); }
  scalar(type: GgufScalar, v: number | bigint | boolean | string) {
    if (type === 'string') return this.str(String(v));
    const size = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 }[type];
    const at = this.room(size), dv = this.view;
    switch (type) {
      case 'u8': dv.setUint8(at, Number(v)); break;
      case 'i8': dv.setInt8(at, Number(v)); break;
      case 'bool': dv.setUint8(at, v ? 1 : 0); break;
      case 'u16': dv.setUint16(at, Number(v), true); break;
      case 'i16': dv.setInt16(at, Number(v), true); break;
      case 'u32': dv.setUint32(at, Number(v), true); break;
      case 'i32': dv.setInt32(at, Number(v), true); break;
      case 'f32': dv.setFloat32(at, Number(v), true); break;
      case 'u64': dv.setBigUint64(at, BigInt(v as bigint | number), true); break;
      case 'i64': dv.setBigInt64(at, BigInt(v as bigint | number), true); break;
      case 'f64': dv.setFloat64(at, Number(v), true); break;
    }
  }
  bytes(): Uint8Array { return this.buf.slice(0, this.length); }
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** IEEE binary16 bits of v, round to nearest even (as numpy's astype(float16)); overflow gives +-inf. */
export function f32ToF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000; // subnormal half: value / 2^-24 = mant * 2^(e-14)
    const shift = 14 - e, mid = 1 << (shift - 1), rem = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rem > mid || (rem === mid && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the correct rounding
  return sign | h;
}

/**
 * Serialises a GGUF v3 file; every tensor starts aligned. Readers assume alignment 32 unless `general.alignment`
 * (u32) says otherwise, so that key is added only for another alignment, as gguf_writer.py does.
 */
export function writeGguf(kv: [string, GgufValue][], tensors: GgufTensor[], alignment = GGUF_DEFAULT_ALIGNMENT): Uint8Array {
  if (!(alignment > 0) || (alignment & (alignment - 1)) !== 0) throw new GgufExportError(`alignment ${alignment} is not a power of 2`);
  const given = kv.some(([k]) => k === 'general.alignment');
  const entries: [string, GgufValue][] = given || alignment === GGUF_DEFAULT_ALIGNMENT ? kv : [...kv, ['general.alignment', { type: 'u32', value: alignment }]];
  const keys = new Set<string>();
  for (const [k, v] of entries) {
    if (!k || keys.has(k)) throw new GgufExportError(`GGUF key '${k}' is empty or duplicated`);
    if (k === 'general.alignment' && (v.type !== 'u32' || v.value !== alignment)) throw new GgufExportError(`general.alignment must be u32 ${alignment}`);
    keys.add(k);
  }
  const names = new Set<string>();
  const sizes = tensors.map((t) => {
    const n = t.shape.reduce((a, d) => a * d, 1);
    if (names.has(t.name) || new TextEncoder().encode(t.name).length >= 64) throw new GgufExportError(`tensor name '${t.name}' is duplicated or >= 64 bytes`);
    if (t.shape.length < 1 || t.shape.length > 4 || n !== t.data.length) throw new GgufExportError(`tensor '${t.name}': shape [${t.shape}] does not hold ${t.data.length} values (1-4 dims)`);
    names.add(t.name);
    return n * (t.dtype === 'F16' ? 2 : 4);
  });

  const out = new Bytes();
  out.raw(new Uint8Array([0x47, 0x47, 0x55, 0x46])); // "GGUF"
  out.u32(3);
  out.u64(tensors.length);
  out.u64(entries.length);
  for (const [k, v] of entries) {
    out.str(k);
    out.u32(GGUF_TYPE[v.type]);
    if (v.type === 'array') {
      out.u32(GGUF_TYPE[v.itemType]);
      out.u64(v.value.length);
      for (const x of v.value) out.scalar(v.itemType, x);
    } else out.scalar(v.type, v.value);
  }
  let offset = 0; // relative to the data section; gguf.cpp requires exactly the running padded sum
  tensors.forEach((t, i) => {
    out.str(t.name);
    out.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) out.u64(t.shape[d]);
    out.u32(t.dtype === 'F16' ? GGML_TYPE.F16 : GGML_TYPE.F32);
    out.u64(offset);
    offset += Math.ceil(sizes[i] / alignment) * alignment;
  });
  out.pad(alignment);
  for (const t of tensors) {
    if (t.dtype === 'F16') {
      const h = new Uint16Array(t.data.length);
      for (let i = 0; i < h.length; i++) h[i] = f32ToF16(t.data[i]);
      out.raw(new Uint8Array(h.buffer));
    } else out.raw(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.pad(alignment); // the last tensor too, as gguf_writer.py does: data size = sum of padded sizes
  }
  return out.bytes();
}

export interface LoraGgufInput {
  family: Family;
  /** lora_alpha of adapter_config.json, e.g. 8 (with r 4: scale 2). */
  alpha: number;
  /** r: the rank of every A/B pair, e.g. 4. */
  r: number;
  /** rsLoRA scales by alpha/sqrt(r); llama.cpp always uses alpha/r, so alpha*sqrt(r) is written. */
  useRslora: boolean;
  /** H: needed for llama q/k (RoPE row order) and bloom qkv (head regrouping). */
  heads?: number;
  /** Hkv: needed for llama k_proj. */
  kvHeads?: number;
  tiedEmbeddings?: boolean;
  /** HF PEFT keys, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`; A [r, in], B [out, r]. */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** `general.name`, e.g. 'my-adapter'. */
  name?: string;
  dtype?: 'F32' | 'F16';
  alignment?: number;
}

const PEFT_KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/** PEFT LoRA -> GGUF LoRA adapter bytes: `<llama.cpp tensor>.lora_a` [r, in] and `.lora_b` [out, r] per module. */
export function exportLoraGguf(input: LoraGgufInput): Uint8Array {
  const { family, alpha, r } = input;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new GgufExportError(`lora_alpha ${alpha} must be a positive number (llama.cpp reads alpha 0 as "no scaling", i.e. scale 1)`);
  if (!Number.isInteger(r) || r < 1) throw new GgufExportError(`rank r=${r} must be a positive integer`);
  const pairs = new Map<string, { A?: { shape: number[]; data: Float32Array }; B?: { shape: number[]; data: Float32Array } }>();
  for (const [key, t] of input.tensors) {
    const m = PEFT_KEY.exec(key);
    if (!m) {
      const why = /lora_embedding_[AB]/.test(key) ? 'embedding LoRA is not exported' : /lora_magnitude_vector/.test(key) ? 'DoRA magnitudes have no llama.cpp equivalent' : 'not a PEFT base_model.model.<module>.lora_{A,B}.weight key';
      throw new GgufExportError(`${key}: ${why}`);
    }
    const p = pairs.get(m[1]) ?? {};
    p[m[2] as 'A' | 'B'] = t;
    pairs.set(m[1], p);
  }
  if (pairs.size === 0) throw new GgufExportError('the adapter has no LoRA tensors');
  const tensors: GgufTensor[] = [];
  const seen = new Map<string, string>();
  const paths = [...pairs.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const path of paths) {
    const { A, B } = pairs.get(path)!;
    if (!A || !B) throw new GgufExportError(`${path}: lora_${A ? 'B' : 'A'} is missing`);
    if (A.shape.length !== 2 || B.shape.length !== 2 || A.shape[0] !== r || B.shape[1] !== r) {
      throw new GgufExportError(`${path}: expected A [r=${r}, in] and B [out, r=${r}], got A [${A.shape}] and B [${B.shape}] (per-module ranks are not supported)`);
    }
    const target = ggufTarget(family, path, { tiedEmbeddings: input.tiedEmbeddings });
    if (seen.has(target.name)) throw new GgufExportError(`${path} and ${seen.get(target.name)} both map to ${target.name}`);
    seen.set(target.name, path);
    const heads = target.rows === 'rope-k' ? input.kvHeads : input.heads;
    if (target.rows !== 'none' && !heads) throw new GgufExportError(`${path}: ${target.rows} row order needs ${target.rows === 'rope-k' ? 'kvHeads' : 'heads'}`);
    const [out] = B.shape;
    const src = rowSource(target.rows, out, heads);
    const b = new Float32Array(B.data.length); // B [out, r]: row i of the GGUF copy is HF row src[i]
    for (let i = 0; i < out; i++) b.set(B.data.subarray(src[i] * r, src[i] * r + r), i * r);
    tensors.push({ name: `${target.name}.lora_a`, shape: A.shape, data: A.data, dtype: input.dtype });
    tensors.push({ name: `${target.name}.lora_b`, shape: B.shape, data: b, dtype: input.dtype });
  }
  const kv: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: GGUF_ARCH[family]! }], // ggufTarget refused a family without one
    ['general.type', { type: 'string', value: 'adapter' }],
    ['general.name', { type: 'string', value: input.name ?? 'webift-lora' }],
    ['adapter.type', { type: 'string', value: 'lora' }],
    ['adapter.lora.alpha', { type: 'f32', value: input.useRslora ? alpha * Math.sqrt(r) : alpha }],
  ];
  return writeGguf(kv, tensors, input.alignment);
}
