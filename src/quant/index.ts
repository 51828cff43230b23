/**
 * quant/: group-wise int8 / int4 quantization of frozen weights in plain TypeScript (no tfjs): pack, reference
 * dequant, error report, and the streaming quantizer the loader uses. The device side is kernels/qtensor.ts.
 */
export * from './quantize';
export * from './dequant';
export * from './report';
export * from './quantizer';
export { QuantSpecError, packedBytes, type PackedMatrix, type QuantSpec, type QuantBits } from '../kernels/packed';
