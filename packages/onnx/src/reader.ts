import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import protobuf from "protobufjs";
import { onnxSchema, toNumber, type Int64, type OnnxGraph, type OnnxModel, type OnnxTensor } from "./schema.js";

/**
 * Reads an ONNX file in bounded memory: the file is never loaded whole. The two outer messages (ModelProto and its
 * GraphProto) are split into their fields with protobufjs's Reader over small windows of the file; each field the
 * schema knows is then decoded by protobufjs, except that an initializer's data fields larger than `MAX_DATA_BYTES` are
 * stepped over on disk (their tensors are weights, whose data kpu never reads). Memory is the window, the graph's
 * nodes and the small constants, whatever the size of the weights.
 */

/** Data fields of a TensorProto: float_data, int32_data, int64_data, raw_data, double_data, uint64_data. */
const DATA_FIELDS: ReadonlySet<number> = new Set([4, 5, 7, 9, 10, 11]);
/** Larger data fields are skipped: constants that shape logic reads are far smaller (at most 64 Ki int64s). */
const MAX_DATA_BYTES = 1 << 20;
/** ModelProto fields the schema decodes (the rest, such as training info and functions, are skipped unread). */
const MODEL_FIELDS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 8]);
const GRAPH_FIELD = 7;
const GRAPH_FIELDS: ReadonlySet<number> = new Set([1, 2, 11, 12, 13]);
const INITIALIZER_FIELD = 5;
const WINDOW_BYTES = 1 << 16;

/** A corrupt or truncated file: the message names the byte offset. */
export class MalformedOnnx extends Error {}

/** Positioned reads of a file through one cached window. */
class FileWindow {
  private cache = Buffer.alloc(0);
  private cacheStart = 0;
  readonly size: number;

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  bytes(pos: number, len: number): Buffer {
    if (pos + len > this.size) throw new MalformedOnnx(`the file ends at byte ${this.size}, inside a field that runs to byte ${pos + len} (truncated?)`);
    if (pos >= this.cacheStart && pos + len <= this.cacheStart + this.cache.length) return this.cache.subarray(pos - this.cacheStart, pos - this.cacheStart + len);
    const size = Math.min(Math.max(len, WINDOW_BYTES), this.size - pos);
    const buf = Buffer.allocUnsafe(size);
    const read = readSync(this.fd, buf, 0, size, pos);
    if (read < len) throw new MalformedOnnx(`could read only ${read} of ${len} bytes at byte ${pos}`);
    if (size <= WINDOW_BYTES) [this.cache, this.cacheStart] = [buf, pos];
    return buf.subarray(0, len);
  }

  /** A varint at `pos` (protobufjs decodes it), and the position after it. */
  varint(pos: number, end: number): [number, number] {
    const r = protobuf.Reader.create(this.bytes(pos, Math.min(10, end - pos)));
    const value = toNumber(r.uint64() as unknown as Int64);
    return [value, pos + r.pos];
  }
}

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Where the field's tag starts, where its value starts and where it ends. */
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The fields of the message in [start, end) of the file, in order, without reading their values. */
function* fields(file: FileWindow, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = file.varint(pos, end);
    const [field, wire] = [Math.floor(tag / 8), tag % 8];
    let valueStart = afterTag;
    let valueEnd: number;
    if (wire === 0) valueEnd = file.varint(afterTag, end)[1];
    else if (wire === 1) valueEnd = afterTag + 8;
    else if (wire === 5) valueEnd = afterTag + 4;
    else if (wire === 2) {
      const [len, afterLen] = file.varint(afterTag, end);
      [valueStart, valueEnd] = [afterLen, afterLen + len];
    } else throw new MalformedOnnx(`invalid wire type ${wire} at byte ${pos}`);
    if (field === 0 || valueEnd > end) throw new MalformedOnnx(`a field at byte ${pos} runs past the end of its message at byte ${end} (truncated?)`);
    yield { field, wire, start: pos, valueStart, end: valueEnd };
    pos = valueEnd;
  }
}

/** The bytes of the listed fields of a message, ready for protobufjs (skipped fields are never read). */
function keep(file: FileWindow, list: Field[]): Buffer {
  return Buffer.concat(list.map((f) => file.bytes(f.start, f.end - f.start)));
}

/** A message as a plain object: defaults for unset fields, int64 as numbers, bytes as views (no copy). */
function decode(name: "TensorProto" | "GraphProto" | "ModelProto", bytes: Uint8Array): unknown {
  const type = onnxSchema().lookupType(`onnx.${name}`);
  return type.toObject(type.decode(bytes), { defaults: true, arrays: true, longs: Number, oneofs: true });
}

function readInitializer(file: FileWindow, f: Field): OnnxTensor {
  const kept = [...fields(file, f.valueStart, f.end)].filter((sub) => !(DATA_FIELDS.has(sub.field) && sub.end - sub.valueStart > MAX_DATA_BYTES));
  return decode("TensorProto", keep(file, kept)) as OnnxTensor;
}

function readGraph(file: FileWindow, f: Field): OnnxGraph {
  const known: Field[] = [];
  const initializer: OnnxTensor[] = [];
  for (const sub of fields(file, f.valueStart, f.end)) {
    if (sub.field === INITIALIZER_FIELD && sub.wire === 2) initializer.push(readInitializer(file, sub));
    else if (GRAPH_FIELDS.has(sub.field)) known.push(sub);
  }
  return { ...(decode("GraphProto", keep(file, known)) as OnnxGraph), initializer };
}

/** Reads the ModelProto of an ONNX file; throws MalformedOnnx (or protobufjs's error) on a corrupt or truncated file. */
export function readOnnxFile(path: string): OnnxModel {
  const fd = openSync(path, "r");
  try {
    const file = new FileWindow(fd);
    const known: Field[] = [];
    let graph: OnnxGraph | undefined;
    for (const f of fields(file, 0, file.size)) {
      if (f.field === GRAPH_FIELD && f.wire === 2) graph = readGraph(file, f);
      else if (MODEL_FIELDS.has(f.field)) known.push(f);
    }
    return { ...(decode("ModelProto", keep(file, known)) as OnnxModel), graph: graph ?? null };
  } finally {
    closeSync(fd);
  }
}
