import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/**
 * The decoded ONNX messages, as protobufjs gives them for `onnx.proto` (beside this package's dist) converted to plain
 * objects: unset fields hold their defaults, int64 fields numbers, and the tensor data fields zero-copy views.
 */
export type Int64 = number | { toNumber(): number };

export interface OnnxTensor {
  readonly dims: readonly Int64[];
  readonly data_type: number;
  readonly float_data: Uint8Array;
  readonly int32_data: Uint8Array;
  readonly int64_data: Uint8Array;
  readonly name: string;
  readonly raw_data: Uint8Array;
  readonly double_data: Uint8Array;
  readonly uint64_data: Uint8Array;
  readonly data_location: number;
}

export interface OnnxAttribute {
  readonly name: string;
  readonly type: number;
  readonly f: number;
  readonly i: Int64;
  readonly s: Uint8Array;
  readonly t?: OnnxTensor | null;
  readonly floats: readonly number[];
  readonly ints: readonly Int64[];
  readonly strings: readonly Uint8Array[];
}

export interface OnnxNode {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly op_type: string;
  readonly attribute: readonly OnnxAttribute[];
  readonly domain: string;
}

export interface OnnxDim {
  readonly value?: "dim_value" | "dim_param";
  readonly dim_value: Int64;
  readonly dim_param: string;
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly type?: { readonly tensor_type?: { readonly elem_type: number; readonly shape?: { readonly dim: readonly OnnxDim[] } | null } | null } | null;
}

export interface OnnxGraph {
  readonly node: readonly OnnxNode[];
  readonly name: string;
  readonly initializer: readonly OnnxTensor[];
  readonly input: readonly OnnxValueInfo[];
  readonly output: readonly OnnxValueInfo[];
  readonly value_info: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly ir_version: Int64;
  readonly producer_name: string;
  readonly graph?: OnnxGraph | null;
  readonly opset_import: readonly { readonly domain: string; readonly version: Int64 }[];
}

export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

let root: protobuf.Root | undefined;

/** The schema's root, parsed once (tests use it to write ONNX files with the same library). */
export function onnxSchema(): protobuf.Root {
  // keepCase: the field names of the schema (raw_data), not protobufjs's camelCase
  root ??= new protobuf.Root().loadSync(fileURLToPath(new URL("../onnx.proto", import.meta.url)), { keepCase: true });
  return root;
}

export function toNumber(v: Int64): number {
  return typeof v === "number" ? v : v.toNumber();
}
