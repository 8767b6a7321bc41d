import { GraphBuilder, KpuError, type DType, type TensorRef } from "@kpu/ir";
import { kpuDtype, readConst, tensorDims, type Const } from "./constants.js";
import { toNumber, type OnnxAttribute, type OnnxNode, type OnnxTensor } from "./schema.js";

/** What an ONNX value is to the importer: a tensor of the kpu graph, or a constant it knows the value of. */
export type Value = { readonly kind: "tensor"; readonly ref: TensorRef } | { readonly kind: "const"; readonly c: Const };

/** Float initializers with at most this many elements may be read as constants where an op needs one. */
const SMALL_FLOAT_ELEMENTS = 16;

/** The state of one import: the graph being built, the ONNX values seen so far, and who reads each value. */
export class ImportContext {
  readonly b: GraphBuilder;
  private readonly values = new Map<string, Value>();
  private readonly materialised = new Map<string, TensorRef>();
  private readonly ids = new Set<string>();
  private readonly aliases = new Map<string, string>();
  /** Nodes that a handler consumed into an earlier op (a folded BatchNormalization, a pattern's inner nodes). */
  readonly claimed = new Set<OnnxNode>();
  /** Zero padding of a Pad node left for the conv or pool that reads it: [top, left, bottom, right]. */
  readonly pendingPads = new Map<string, { readonly ref: TensorRef; readonly pads: readonly [number, number, number, number] }>();

  constructor(
    readonly file: string,
    readonly opset: number,
    name: string,
    /** Float initializers (and large float Constant nodes), declared as weights when first read. */
    private readonly weights: Map<string, OnnxTensor>,
    /** The nodes that read each value. */
    readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>,
    /** The graph's outputs (a value that is one is never folded into its reader). */
    readonly graphOutputs: ReadonlySet<string>,
  ) {
    this.b = new GraphBuilder(name);
  }

  has(name: string): boolean {
    return this.values.has(name) || this.weights.has(name);
  }

  /** Another name for an undeclared weight (an Identity of an initializer): declared once, in the first user's layout. */
  alias(name: string, weight: string): void {
    this.weights.set(name, this.weights.get(weight)!);
    this.aliases.set(name, weight);
  }

  set(name: string, value: Value): void {
    this.values.set(name, value);
  }

  setTensor(name: string, ref: TensorRef): void {
    this.values.set(name, { kind: "tensor", ref });
  }

  /** The constant behind a name, if it is one (Constant nodes, folded shape logic, non-float initializers). */
  constOf(name: string): Const | undefined {
    const v = this.values.get(name);
    return v?.kind === "const" ? v.c : undefined;
  }

  /** True for a float initializer (a weight). */
  isWeight(name: string): boolean {
    return this.weights.has(name) && !this.values.has(name);
  }

  /** A float tensor too large to be a constant (a Constant node holding weights) is a weight. */
  addWeight(name: string, t: OnnxTensor): void {
    this.weights.set(name, t);
  }

  /** A weight's shape, for handlers that declare it in another layout. */
  weightShape(name: string): number[] | undefined {
    const t = this.weights.get(name);
    return t === undefined ? undefined : tensorDims(t);
  }

  /** Declares a float initializer as a weight (in the file's layout, or `shape` with the same elements). */
  declareWeight(name: string, shape?: readonly number[]): TensorRef {
    const t = this.weights.get(name)!;
    const dims = tensorDims(t);
    const real = this.aliases.get(name) ?? name;
    const ref = this.b.weight(real, shape ?? (dims.length === 0 ? [1] : dims), kpuDtype(t.data_type));
    this.setTensor(real, ref);
    for (const [alias, target] of this.aliases) if (target === real) this.setTensor(alias, ref);
    return ref;
  }

  /** The graph tensor for a name: a weight is declared on first use, a constant becomes a non-weight graph input. */
  tensor(name: string, node: OnnxNode, dtype?: DType): TensorRef {
    const v = this.values.get(name);
    if (v?.kind === "tensor") return v.ref;
    if (v === undefined && this.weights.has(name)) return this.declareWeight(name);
    if (v === undefined) throw this.fail(node, `input "${name}" is not produced by any earlier node, initializer or graph input`);
    const cached = this.materialised.get(name);
    if (cached !== undefined) return cached;
    const ref = this.b.input(name, v.c.shape.length === 0 ? [1] : v.c.shape, v.c.int ? "int64" : (dtype ?? "fp32"));
    this.materialised.set(name, ref);
    return ref;
  }

  /** A scalar constant of a node (an epsilon, Gemm's alpha) as a tensor of `like`'s dtype. */
  scalar(node: OnnxNode, suffix: string, value: number, like: TensorRef): TensorRef {
    const name = `${node.output[0]!}.${suffix}`;
    this.set(name, { kind: "const", c: { int: false, shape: [], data: [value] } });
    return this.tensor(name, node, like.dtype);
  }

  /** The value of an input that must be constant once the input shapes are known. */
  requireConst(node: OnnxNode, index: number, what: string): Const {
    const name = node.input[index] ?? "";
    const c = this.constOf(name) ?? this.smallFloat(name);
    if (c === undefined) throw this.fail(node, `${what} (input ${index}, "${name}") is not a constant once the input shapes are known`);
    return c;
  }

  /** A float initializer of a few elements used as a constant (a Clip bound), read as one; never a weight. */
  private smallFloat(name: string): Const | undefined {
    const t = this.weights.get(name);
    if (t === undefined || this.values.has(name) || tensorDims(t).reduce((p, d) => p * d, 1) > SMALL_FLOAT_ELEMENTS) return undefined;
    return readConst(t);
  }

  /** The shape of any value. */
  shapeOf(name: string, node: OnnxNode): readonly number[] {
    const v = this.values.get(name);
    if (v?.kind === "const") return v.c.shape;
    return this.tensor(name, node).shape;
  }

  /** A unique op id for a node (its name, else its type and first output), with an optional suffix. */
  opId(node: OnnxNode, suffix = ""): string {
    const base = (node.name || `${node.op_type}:${node.output[0] ?? ""}`) + suffix;
    let id = base;
    for (let k = 2; this.ids.has(id); k++) id = `${base}#${k}`;
    this.ids.add(id);
    return id;
  }

  /** Options for the op that writes a node's output `index` (named as in the file). */
  out(node: OnnxNode, index = 0, suffix = ""): { name: string; id: string } {
    return { name: node.output[index]! + suffix, id: this.opId(node, suffix) };
  }

  /** An intermediate of a node that becomes several ops. */
  temp(node: OnnxNode, suffix: string): { name: string; id: string } {
    return this.out(node, 0, `.${suffix}`);
  }

  /** The one node that reads a value, when exactly one does. */
  soleConsumer(name: string): OnnxNode | undefined {
    const readers = this.consumers.get(name) ?? [];
    return readers.length === 1 && !this.graphOutputs.has(name) ? readers[0] : undefined;
  }

  fail(node: OnnxNode, message: string, hint?: string): KpuError {
    return new KpuError("KPU_ONNX_BAD_NODE", message, { where: `${this.file}: node "${node.name}" (${node.op_type})`, ...(hint === undefined ? {} : { hint }) });
  }
}

/** A node's attribute by name. */
export function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a === undefined ? fallback : toNumber(a.i);
}

export function floatAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a === undefined ? fallback : a.f;
}

export function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  return a === undefined ? undefined : a.ints.map(toNumber);
}

export function stringAttr(node: OnnxNode, name: string, fallback: string): string {
  const a = attr(node, name);
  return a === undefined ? fallback : new TextDecoder().decode(a.s);
}

/** The value of a Constant node (value, value_float(s), value_int(s)), or undefined when it is not readable. */
export function constantNodeValue(node: OnnxNode): Const | undefined {
  const a = node.attribute[0];
  if (a === undefined) return undefined;
  switch (a.name) {
    case "value":
      return a.t ? readConst(a.t) : undefined;
    case "value_float":
      return { int: false, shape: [], data: [a.f] };
    case "value_int":
      return { int: true, shape: [], data: [toNumber(a.i)] };
    case "value_floats":
      return { int: false, shape: [a.floats.length], data: [...a.floats] };
    case "value_ints":
      return { int: true, shape: [a.ints.length], data: a.ints.map(toNumber) };
    default:
      return undefined;
  }
}

/** Thrown by a handler for a node it does not model (an op variant, a mode); the importer reports or refuses it. */
export class UnsupportedNode extends Error {}
