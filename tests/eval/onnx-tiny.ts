/**
 * Writes a tiny causal "language model" as an ONNX file, by hand (protobuf wire format, onnx.proto3 field numbers),
 * for the transformers.js judge test: one input `input_ids` (int64, [batch, sequence]), one Gather from a [V, V]
 * float table, output `logits` ([batch, sequence, V]). Row i of the table is the next-token logits after token i,
 * so the model's greedy continuation is fixed by the table alone. Test-only.
 */

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

const enc = new TextEncoder();
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, v: number) => [...key(field, 0), ...varint(v)];
const bytes = (field: number, b: ArrayLike<number>) => [...key(field, 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string) => bytes(field, enc.encode(s));

/** elemType 1 = FLOAT, 7 = INT64; dims are numbers or symbolic names. */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  const tensorType = [...int(1, elemType), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}

/** The ONNX bytes of logits[b, t, :] = table[input_ids[b, t], :]; `table` is V x V, row-major. */
export function gatherLmOnnx(table: Float32Array, V: number): Uint8Array {
  const raw = new Uint8Array(table.buffer, table.byteOffset, table.byteLength);
  const initializer = [...int(1, V), ...int(1, V), ...int(2, 1), ...str(8, 'table'), ...bytes(9, raw)];
  const node = [...str(1, 'table'), ...str(1, 'input_ids'), ...str(2, 'logits'), ...str(3, 'gather'), ...str(4, 'Gather'), ...bytes(5, [...str(1, 'axis'), ...int(3, 0), ...int(20, 2)])];
  const graph = [
    ...bytes(1, node), ...str(2, 'tiny-lm'), ...bytes(5, initializer),
    ...bytes(11, valueInfo('input_ids', 7, ['batch_size', 'sequence_length'])),
    ...bytes(12, valueInfo('logits', 1, ['batch_size', 'sequence_length', V])),
  ];
  const model = [...int(1, 8), ...str(2, 'webift-test'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 17)])];
  return Uint8Array.from(model);
}
