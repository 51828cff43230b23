/**
 * GGUF v3 writer: a tiny file checked byte by byte against hand-written bytes, every KV value type read back by the
 * independent reader in gguf-reader.ts, non-default alignment, F16 rounding, and refusals.
 */
import { describe, expect, it } from 'vitest';
import { GgufExportError, f32ToF16, writeGguf } from '../../src/peft/gguf';
import { toFloat32 } from '../../src/model/safetensors';
import { readGguf } from './gguf-reader';

const u64 = (n: number) => [n & 0xff, (n >> 8) & 0xff, 0, 0, 0, 0, 0, 0];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, 0, 0];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const f32le = (v: number) => [...new Uint8Array(Float32Array.of(v).buffer)];

describe('GGUF writer', () => {
  it('writes a tiny file (one KV, one tensor) byte for byte', () => {
    const bytes = writeGguf([['general.name', { type: 'string', value: 'ab' }]], [{ name: 't', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }]);
    const expected = [
      ...ascii('GGUF'), // magic
      ...u32(3), // version 3
      ...u64(1), // tensor count (u64)
      ...u64(1), // kv count (u64)
      ...u64(12), ...ascii('general.name'), // key: u64 length + bytes, no NUL
      ...u32(8), // value type STRING
      ...u64(2), ...ascii('ab'), // value
      ...u64(1), ...ascii('t'), // tensor name
      ...u32(2), // n_dims
      ...u64(3), ...u64(2), // ne: numpy shape [2, 3] reversed -> ne0 = 3 (row length), ne1 = 2
      ...u32(0), // ggml type F32
      ...u64(0), // offset within the data section
    ]; // 99 bytes so far
    expect(expected.length).toBe(99);
    const padded = [...expected, ...new Array(128 - 99).fill(0)]; // data section starts at the next multiple of 32
    const data = [1, 2, 3, 4, 5, 6].flatMap(f32le); // 24 bytes, row-major
    const file = [...padded, ...data, ...new Array(8).fill(0)]; // last tensor padded to 32 too: 160 bytes
    expect(Array.from(bytes)).toEqual(file);
  });

  it('round-trips every KV value type and arrays', () => {
    const bytes = writeGguf(
      [
        ['k.u8', { type: 'u8', value: 200 }], ['k.i8', { type: 'i8', value: -5 }],
        ['k.u16', { type: 'u16', value: 65000 }], ['k.i16', { type: 'i16', value: -300 }],
        ['k.u32', { type: 'u32', value: 4_000_000_000 }], ['k.i32', { type: 'i32', value: -7 }],
        ['k.f32', { type: 'f32', value: 0.25 }], ['k.bool', { type: 'bool', value: true }],
        ['k.str', { type: 'string', value: 'héllo' }], ['k.u64', { type: 'u64', value: 2n ** 40n }],
        ['k.i64', { type: 'i64', value: -(2n ** 40n) }], ['k.f64', { type: 'f64', value: Math.PI }],
        ['k.arr_u32', { type: 'array', itemType: 'u32', value: [1, 2, 3] }],
        ['k.arr_str', { type: 'array', itemType: 'string', value: ['a', 'bc'] }],
        ['k.arr_empty', { type: 'array', itemType: 'f32', value: [] }],
      ],
      [],
    );
    const g = readGguf(bytes);
    const v = (k: string) => g.kv.get(k)!.value;
    expect([v('k.u8'), v('k.i8'), v('k.u16'), v('k.i16'), v('k.u32'), v('k.i32')]).toEqual([200, -5, 65000, -300, 4_000_000_000, -7]);
    expect([v('k.f32'), v('k.bool'), v('k.str'), v('k.u64'), v('k.i64'), v('k.f64')]).toEqual([0.25, true, 'héllo', 2n ** 40n, -(2n ** 40n), Math.PI]);
    expect(g.kv.get('k.arr_u32')).toEqual({ type: 9, itemType: 4, value: [1, 2, 3] });
    expect(g.kv.get('k.arr_str')).toEqual({ type: 9, itemType: 8, value: ['a', 'bc'] });
    expect(v('k.arr_empty')).toEqual([]);
    expect(g.kv.has('general.alignment')).toBe(false); // default 32 is implied
    expect(g.tensors).toEqual([]);
  });

  it('honours a non-default alignment: general.alignment u32, aligned offsets, consistent size', () => {
    const t = (name: string, n: number) => ({ name, shape: [n], data: Float32Array.from({ length: n }, (_, i) => i - n / 2) });
    const bytes = writeGguf([['general.name', { type: 'string', value: 'x' }]], [t('a', 5), t('b', 17), t('c', 1)], 64);
    const g = readGguf(bytes);
    expect(g.kv.get('general.alignment')).toEqual({ type: 4, value: 64 });
    expect(g.dataStart % 64).toBe(0);
    expect(g.tensors.map((x) => x.offset)).toEqual([0, 64, 192]); // padded sizes: 20 B -> 64, 68 B -> 128, 4 B -> 64
    expect(bytes.length).toBe(g.dataStart + 256);
    expect(Array.from(g.f32('b'))).toEqual(Array.from(t('b', 17).data));
  });

  it('rounds f32 to f16 to nearest even, and writes F16 tensors', () => {
    // Hand-derived: 1 = 0x3C00; -2 = 0xC000; 65504 (max half) = 0x7BFF; 65520 rounds up to inf 0x7C00;
    // 2^-24 (smallest subnormal) = 0x0001; 2^-25 is a tie between 0 and 2^-24 -> even 0; 0.1 -> 0x2E66;
    // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 -> even 0x3C00; 1 + 3*2^-11 ties up to 0x3C02.
    const cases: [number, number][] = [[1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [2 ** -24, 0x0001], [2 ** -25, 0], [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000], [Infinity, 0x7c00]];
    for (const [x, h] of cases) expect(f32ToF16(x), `${x}`).toBe(h);
    expect(f32ToF16(NaN) & 0x7c00).toBe(0x7c00);
    const data = Float32Array.from({ length: 33 }, (_, i) => Math.sin(i) * 3);
    const g = readGguf(writeGguf([], [{ name: 'h', shape: [3, 11], data, dtype: 'F16' }]));
    expect(g.tensors[0]).toMatchObject({ type: 1, ne: [11, 3], nbytes: 66 });
    const back = g.f32('h');
    const viaSafetensors = toFloat32('F16', new Uint8Array(Uint16Array.from(data, f32ToF16).buffer)); // a second decoder
    expect(Array.from(back)).toEqual(Array.from(viaSafetensors));
    for (let i = 0; i < data.length; i++) expect(Math.abs(back[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11 + 2 ** -25);
  });

  it('refuses what llama.cpp would refuse', () => {
    const one = { name: 'w', shape: [2], data: new Float32Array(2) };
    expect(() => writeGguf([], [one, one])).toThrow(/duplicated/);
    expect(() => writeGguf([], [{ ...one, name: 'x'.repeat(64) }])).toThrow(GgufExportError);
    expect(() => writeGguf([], [{ ...one, shape: [3] }])).toThrow(/does not hold 2 values/);
    expect(() => writeGguf([['a', { type: 'u32', value: 1 }], ['a', { type: 'u32', value: 2 }]], [])).toThrow(/duplicated/);
    expect(() => writeGguf([], [], 48)).toThrow(/power of 2/);
  });
});
