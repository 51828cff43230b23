/**
 * ByteReader: byte-range reads of one file, whatever holds it (a Node file handle, a Blob or cached Response, bytes
 * in memory). model/ reads safetensors through it; data/hub's caches hand it out. Plus the in-memory reader.
 */

export interface ByteReader {
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ByteReader over bytes in memory; a read past the end is a RangeError (a truncated file). */
export function bytesReader(bytes: Uint8Array): ByteReader {
  return {
    size: async () => bytes.byteLength,
    read: async (offset, length) => {
      if (offset < 0 || offset + length > bytes.byteLength) throw new RangeError(`read of bytes [${offset}, ${offset + length}) past the end of ${bytes.byteLength} bytes: the file is truncated`);
      return bytes.subarray(offset, offset + length);
    },
  };
}
