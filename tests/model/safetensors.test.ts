/**
 * safetensors reader/writer: round trip, F16/BF16 decoding checked against hand-computed bit patterns, and clear
 * errors for truncated, corrupt and inconsistent files.
 */
import { describe, expect, it } from 'vitest';
import { SafetensorsError, SafetensorsFile, bytesReader, toFloat32, writeSafetensors } from '../../src/model/safetensors';

describe('safetensors', () => {
  it('round-trips F32 and I32 tensors, sorted, header padded to 8 bytes', async () => {
    const bytes = writeSafetensors({
      b: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) },
      a: { shape: [2], data: Int32Array.from([7, -8]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const f = await SafetensorsFile.open(bytesReader(bytes));
    expect(f.names()).toEqual(['a', 'b']);
    expect(f.header.metadata).toEqual({ format: 'pt' });
    expect(f.header.tensors.a.data_offsets).toEqual([0, 8]); // sorted: 'a' first
    expect(Array.from((await f.float32('b')).data)).toEqual([1, 2, 3, 4, 5, -6.5]);
  });

  it('decodes F16 and BF16 by hand-derived bit patterns', () => {
    // F16: 0x3C00 = 1.0; 0xC000 = -2.0; 0x3555 = 0.333251953125 (1 + 341/1024) * 2^-2; 0x0001 = 2^-24 (subnormal); 0x7C00 = +inf.
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]);
    expect(Array.from(toFloat32('F16', new Uint8Array(f16.buffer)))).toEqual([1, -2, 0.333251953125, 2 ** -24, Infinity]);
    // BF16 is the top half of an f32: 0x3F80 -> 0x3F800000 = 1.0; 0xC040 -> 0xC0400000 = -3.0; 0x3EAB -> 0x3EAB0000 = 0.333984375.
    const bf16 = new Uint16Array([0x3f80, 0xc040, 0x3eab]);
    expect(Array.from(toFloat32('BF16', new Uint8Array(bf16.buffer)))).toEqual([1, -3, 0.333984375]);
  });

  it('refuses a truncated file with a clear message', async () => {
    const bytes = writeSafetensors({ w: { shape: [4, 4], data: new Float32Array(16) } });
    await expect(SafetensorsFile.open(bytesReader(bytes.subarray(0, bytes.length - 10)))).rejects.toThrow(/truncated/);
    await expect(SafetensorsFile.open(bytesReader(bytes.subarray(0, 5)))).rejects.toThrow(/too short/);
  });

  it('refuses a corrupt header and inconsistent entries', async () => {
    const bytes = writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(4) } });
    const bad = bytes.slice();
    bad[9] = 0x7b; // '{' where '"' was: not JSON anymore
    await expect(SafetensorsFile.open(bytesReader(bad))).rejects.toThrow(SafetensorsError);
    const lie = new TextEncoder().encode(JSON.stringify({ w: { dtype: 'F32', shape: [3, 3], data_offsets: [0, 16] } }));
    const file = new Uint8Array(8 + lie.length + 16);
    new DataView(file.buffer).setBigUint64(0, BigInt(lie.length), true);
    file.set(lie, 8);
    await expect(SafetensorsFile.open(bytesReader(file))).rejects.toThrow(/needs 36 bytes/);
  });
});
