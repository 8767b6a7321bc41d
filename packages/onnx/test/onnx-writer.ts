// Writes ONNX files for the tests with protobufjs and a schema of its own (the standard ONNX field numbers and packed
// repeated data fields, written apart from the importer's onnx.proto), so the tests need no binary fixtures.
import { writeFileSync } from "node:fs";
import protobuf from "protobufjs";

const SCHEMA = `
syntax = "proto3";
package onnxw;
message ModelProto { int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; string producer_name = 2; GraphProto graph = 7; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message GraphProto { repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5; string doc_string = 10;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13; }
message NodeProto { repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; string domain = 7;
  repeated AttributeProto attribute = 5; string doc_string = 6; }
message AttributeProto { string name = 1; float f = 2; int64 i = 3; bytes s = 4; TensorProto t = 5; repeated float floats = 7;
  repeated int64 ints = 8; int32 type = 20; string doc_string = 13; }
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message TypeProto { message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; } Tensor tensor_type = 1; string denotation = 6; }
message TensorShapeProto { message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } string denotation = 3; } repeated Dimension dim = 1; }
message TensorProto { repeated int64 dims = 1; int32 data_type = 2; repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true]; repeated int64 int64_data = 7 [packed = true]; string name = 8; string doc_string = 12;
  bytes raw_data = 9; repeated double double_data = 10 [packed = true]; }
`;
const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const ModelProto = root.lookupType("onnxw.ModelProto");

export const FLOAT = 1;
export const INT64 = 7;

export type Attr = Record<string, unknown>;
export const attr = {
  i: (name: string, i: number): Attr => ({ name, i, type: 2 }),
  f: (name: string, f: number): Attr => ({ name, f, type: 1 }),
  ints: (name: string, ints: number[]): Attr => ({ name, ints, type: 7 }),
  floats: (name: string, floats: number[]): Attr => ({ name, floats, type: 6 }),
  s: (name: string, s: string): Attr => ({ name, s: new TextEncoder().encode(s), type: 3 }),
  t: (name: string, t: Record<string, unknown>): Attr => ({ name, t, type: 4 }),
};

export function node(opType: string, input: string[], output: string[], attribute: Attr[] = [], name = output[0] ?? opType): Record<string, unknown> {
  return { op_type: opType, input, output, attribute, name };
}

/** A float weight: dims only, with raw_data of the right length unless `raw` says otherwise (the importer never reads it). */
export function weight(name: string, dims: number[], raw?: Uint8Array): Record<string, unknown> {
  const count = dims.reduce((p, d) => p * d, 1);
  return { name, dims, data_type: FLOAT, raw_data: raw ?? new Uint8Array(count * 4) };
}

export function int64s(name: string, dims: number[], values: number[]): Record<string, unknown> {
  return { name, dims, data_type: INT64, int64_data: values };
}

export function floats(name: string, dims: number[], values: number[]): Record<string, unknown> {
  return { name, dims, data_type: FLOAT, float_data: values };
}

/** A Constant node holding `t`. */
export function constant(out: string, t: Record<string, unknown>): Record<string, unknown> {
  return node("Constant", [], [out], [attr.t("value", { ...t, name: out })]);
}

export function scalar(out: string, value: number): Record<string, unknown> {
  return constant(out, { dims: [], data_type: FLOAT, float_data: [value] });
}

export function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT): Record<string, unknown> {
  const dim = dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

export interface ModelSpec {
  nodes: Record<string, unknown>[];
  inputs: Record<string, unknown>[];
  outputs: Record<string, unknown>[];
  initializers?: Record<string, unknown>[];
  valueInfo?: Record<string, unknown>[];
  opset?: number;
  name?: string;
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: 8,
    producer_name: "kpu-test",
    opset_import: [{ domain: "", version: spec.opset ?? 17 }],
    graph: {
      name: spec.name ?? "test",
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
      value_info: spec.valueInfo ?? [],
    },
  });
  return ModelProto.encode(message).finish();
}

export function writeModel(path: string, spec: ModelSpec): string {
  writeFileSync(path, encodeModel(spec));
  return path;
}
