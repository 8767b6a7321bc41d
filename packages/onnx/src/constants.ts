import protobuf from "protobufjs";
import type { DType } from "@kpu/ir";
import { toNumber, type Int64, type OnnxTensor } from "./schema.js";

/**
 * A constant the importer knows the value of: shapes, indices, Slice bounds, scalars such as a norm's epsilon. Values
 * are float64 (int64 beyond 2^53 loses its low bits, which only matters for INT64_MAX as "to the end": still huge).
 */
export interface Const {
  readonly int: boolean;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

/** ONNX TensorProto.DataType codes. */
export const DATA_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16 } as const;

const FLOAT_TYPES: ReadonlySet<number> = new Set([DATA_TYPE.FLOAT, DATA_TYPE.FLOAT16, DATA_TYPE.DOUBLE, DATA_TYPE.BFLOAT16, 17, 18, 19, 20]);

/** True for the float element types: an initializer of one of these is a weight. */
export function isFloatType(dataType: number): boolean {
  return FLOAT_TYPES.has(dataType);
}

/** The kpu dtype of an ONNX element type (double is modelled as fp32, the float8 types and bool as int8 bytes). */
export function kpuDtype(dataType: number): DType {
  switch (dataType) {
    case DATA_TYPE.FLOAT16:
      return "fp16";
    case DATA_TYPE.BFLOAT16:
      return "bf16";
    case DATA_TYPE.INT64:
    case DATA_TYPE.UINT64:
      return "int64";
    case DATA_TYPE.INT32:
    case DATA_TYPE.UINT32:
    case DATA_TYPE.INT16:
    case DATA_TYPE.UINT16:
      return "int32";
    case DATA_TYPE.INT8:
    case DATA_TYPE.UINT8:
    case DATA_TYPE.BOOL:
    case 17:
    case 18:
    case 19:
    case 20:
      return "int8";
    default:
      return "fp32";
  }
}

export function tensorDims(t: OnnxTensor): number[] {
  return t.dims.map(toNumber);
}

export function elements(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** IEEE half and bfloat16 to a number. */
function half(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fromRaw(type: number, bytes: Uint8Array, count: number): number[] | undefined {
  const v = view(bytes);
  const read: Record<number, [number, (at: number) => number]> = {
    [DATA_TYPE.FLOAT]: [4, (at) => v.getFloat32(at, true)],
    [DATA_TYPE.DOUBLE]: [8, (at) => v.getFloat64(at, true)],
    [DATA_TYPE.INT64]: [8, (at) => Number(v.getBigInt64(at, true))],
    [DATA_TYPE.UINT64]: [8, (at) => Number(v.getBigUint64(at, true))],
    [DATA_TYPE.INT32]: [4, (at) => v.getInt32(at, true)],
    [DATA_TYPE.UINT32]: [4, (at) => v.getUint32(at, true)],
    [DATA_TYPE.INT16]: [2, (at) => v.getInt16(at, true)],
    [DATA_TYPE.UINT16]: [2, (at) => v.getUint16(at, true)],
    [DATA_TYPE.INT8]: [1, (at) => v.getInt8(at)],
    [DATA_TYPE.UINT8]: [1, (at) => v.getUint8(at)],
    [DATA_TYPE.BOOL]: [1, (at) => v.getUint8(at)],
    [DATA_TYPE.FLOAT16]: [2, (at) => half(v.getUint16(at, true))],
    [DATA_TYPE.BFLOAT16]: [2, (at) => new Float32Array(new Uint32Array([v.getUint16(at, true) << 16]).buffer)[0]!],
  };
  const entry = read[type];
  if (entry === undefined || bytes.byteLength < entry[0] * count) return undefined;
  return Array.from({ length: count }, (_, i) => entry[1](i * entry[0]));
}

/** Packed varints (int32_data, int64_data, uint64_data), read with protobufjs's reader. */
function varints(bytes: Uint8Array, unsigned: boolean): number[] {
  const r = protobuf.Reader.create(bytes);
  const out: number[] = [];
  while (r.pos < r.len) out.push(toNumber((unsigned ? r.uint64() : r.int64()) as unknown as Int64));
  return out;
}

/** Typed fields: float_data, double_data and the packed varint fields, by element type. */
function fromTyped(t: OnnxTensor, count: number): number[] | undefined {
  const type = t.data_type;
  if (t.float_data.byteLength > 0) return fromRaw(DATA_TYPE.FLOAT, t.float_data, count);
  if (t.double_data.byteLength > 0) return fromRaw(DATA_TYPE.DOUBLE, t.double_data, count);
  if (t.int64_data.byteLength > 0) return varints(t.int64_data, false);
  if (t.uint64_data.byteLength > 0) return varints(t.uint64_data, true);
  if (t.int32_data.byteLength > 0) {
    const raw = varints(t.int32_data, false);
    if (type === DATA_TYPE.FLOAT16) return raw.map(half);
    if (type === DATA_TYPE.BFLOAT16) return raw.map((b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!);
    return raw;
  }
  return count === 0 ? [] : undefined;
}

/** The largest constant read: shape logic needs small tensors (a position-id table of a few thousand entries at most). */
export const MAX_CONST_ELEMENTS = 1 << 16;

/**
 * The value of a small tensor, or undefined when it has more than `MAX_CONST_ELEMENTS` elements, lives in an external
 * file, or holds no data of a type read here. Only non-float initializers and Constant nodes come here: weights never.
 */
export function readConst(t: OnnxTensor): Const | undefined {
  const shape = tensorDims(t);
  const count = elements(shape);
  if (count > MAX_CONST_ELEMENTS || t.data_location === 1) return undefined;
  const data = t.raw_data.byteLength > 0 ? fromRaw(t.data_type, t.raw_data, count) : fromTyped(t, count);
  if (data?.length !== count) return undefined;
  return { int: !isFloatType(t.data_type), shape, data };
}
