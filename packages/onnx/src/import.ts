import { basename } from "node:path";
import { KpuError, elementCount, isKpuError, readErrorCode, type Graph, type TensorRef } from "@kpu/ir";
import { elements, isFloatType, kpuDtype, readConst, tensorDims } from "./constants.js";
import { constantNodeValue, ImportContext, UnsupportedNode } from "./context.js";
import { inputShape, type DimOptions } from "./dims.js";
import { foldElementwise, FOLDABLE_ELEMENTWISE } from "./fold.js";
import { HANDLERS, SUPPORTED_OPS } from "./ops/index.js";
import { fusePatterns, isSynthetic } from "./patterns.js";
import { readOnnxFile } from "./reader.js";
import { toNumber, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from "./schema.js";

/** The ai.onnx opsets whose operator definitions the importer follows. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 23;

export interface OnnxImportOptions extends DimOptions {
  /** Keep going past nodes kpu does not model, cutting the graph there (see `UnmodelledNode`). */
  readonly allowUnsupported?: boolean | undefined;
}

/** A node kept out of the graph: its inputs became graph outputs and its outputs graph inputs (shapes from value_info). */
export interface UnmodelledNode {
  readonly node: string;
  readonly opType: string;
  readonly reason: string;
  readonly outputs: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

export interface OnnxImportReport {
  readonly file: string;
  readonly producer: string;
  readonly opset: number;
  readonly nodes: number;
  /** Elements of every float initializer in the file (what the model holds), counted from their dims. */
  readonly initializerParams: number;
  /** Elements of the graph's weights (equal to the above unless some initializer is unused or unmodelled). */
  readonly graphParams: number;
  readonly folded: { readonly constantNodes: number; readonly layerNorms: number; readonly gelus: number; readonly batchNorms: number; readonly pads: number };
  readonly unmodelled: readonly UnmodelledNode[];
}

export interface OnnxImport {
  readonly graph: Graph;
  readonly report: OnnxImportReport;
}

function readModel(path: string): OnnxModel {
  let model: OnnxModel;
  try {
    model = readOnnxFile(path);
  } catch (cause) {
    const errno = (cause as { code?: unknown }).code;
    if (typeof errno === "string" && errno.startsWith("E")) {
      throw new KpuError(readErrorCode(cause), `cannot read the ONNX file (${errno})`, { where: path, cause });
    }
    throw new KpuError("KPU_ONNX_CORRUPT", `${basename(path)} is not a readable ONNX model (${(cause as Error).message})`, { where: path, cause });
  }
  if (model.graph == null || toNumber(model.ir_version) <= 0) {
    throw new KpuError("KPU_ONNX_CORRUPT", `${basename(path)} is not an ONNX model (no ${model.graph == null ? "graph" : "IR version"})`, { where: path });
  }
  return model;
}

function defaultOpset(model: OnnxModel, path: string): number {
  const entry = model.opset_import.find((o) => o.domain === "" || o.domain === "ai.onnx");
  const version = entry === undefined ? undefined : toNumber(entry.version);
  if (version === undefined || version < MIN_OPSET || version > MAX_OPSET) {
    const what = version === undefined ? "imports no ai.onnx opset" : `imports ai.onnx opset ${version}`;
    throw new KpuError("KPU_ONNX_OPSET", `the model ${what}; kpu reads opsets ${MIN_OPSET} to ${MAX_OPSET}`, { where: path });
  }
  return version;
}

function consumersOf(nodes: readonly OnnxNode[]): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>();
  for (const node of nodes) for (const input of new Set(node.input)) if (input !== "") map.set(input, [...(map.get(input) ?? []), node]);
  return map;
}

/** Scalars the pattern pass may read: Constant nodes and initializers of at most one element (never a weight). */
function scalarReader(graph: OnnxGraph): (name: string) => number | undefined {
  const tensors = new Map<string, OnnxTensor>(graph.initializer.filter((t) => elements(tensorDims(t)) === 1).map((t) => [t.name, t]));
  const constants = new Map(graph.node.filter((n) => n.op_type === "Constant").map((n) => [n.output[0]!, n]));
  return (name) => {
    const t = tensors.get(name);
    const c = t !== undefined ? readConst(t) : constants.has(name) ? constantNodeValue(constants.get(name)!) : undefined;
    return c?.data.length === 1 ? c.data[0] : undefined;
  };
}

/** Imports an ONNX file into a validated kpu graph and a report of what was folded and what was not modelled. */
export function importOnnxModel(path: string, options: OnnxImportOptions = {}): OnnxImport {
  const model = readModel(path);
  const opset = defaultOpset(model, path);
  const g = model.graph!;
  const floats = g.initializer.filter((t) => isFloatType(t.data_type));
  const weights = new Map(floats.map((t) => [t.name, t]));
  const producer = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const outputs = new Set(g.output.map((o) => o.name));
  const fused = fusePatterns(g.node, { producer, consumers: consumersOf(g.node), outputs, scalar: scalarReader(g) });
  const ctx = new ImportContext(path, opset, g.name || basename(path, ".onnx"), weights, consumersOf(fused.nodes), outputs);
  for (const t of g.initializer) {
    if (isFloatType(t.data_type)) continue;
    const c = readConst(t);
    if (c !== undefined) ctx.set(t.name, { kind: "const", c });
    else ctx.setTensor(t.name, ctx.b.input(t.name, tensorDims(t), kpuDtype(t.data_type)));
  }
  for (const input of g.input) {
    if (ctx.has(input.name)) continue; // IR < 4 lists initializers as inputs too
    ctx.setTensor(input.name, ctx.b.input(input.name, inputShape(input, options, path), kpuDtype(input.type?.tensor_type?.elem_type ?? 1)));
  }
  const shapes = declaredShapes(g);
  const unmodelled: UnmodelledNode[] = [];
  const cut = new Cut(ctx);
  let constantNodes = 0;
  const run = (node: OnnxNode): void => {
    if (ctx.claimed.has(node)) return;
    try {
      if (node.op_type === "Constant") constantNodes++;
      convert(node, ctx);
    } catch (e) {
      if (isSynthetic(node) && e instanceof UnsupportedNode) { node.fused.forEach(run); return; }
      if (!(e instanceof UnsupportedNode)) throw rethrow(e, node, path);
      if (options.allowUnsupported !== true) throw unsupported(node, path, e);
      unmodelled.push(cutAt(node, ctx, shapes, cut, e));
    }
  };
  fused.nodes.forEach(run);
  for (const o of g.output) {
    if (!ctx.has(o.name)) throw new KpuError("KPU_ONNX_CORRUPT", `graph output "${o.name}" is not produced by any node`, { where: path });
    if (ctx.constOf(o.name) === undefined) cut.output(ctx.tensor(o.name, OUTPUTS));
  }
  const graph = ctx.b.build({ prune: true });
  const graphParams = graph.tensors.filter((t) => t.weight === true).reduce((s, t) => s + elementCount(t.shape), 0);
  const report: OnnxImportReport = {
    file: path,
    producer: model.producer_name.trim(),
    opset,
    nodes: g.node.length,
    initializerParams: floats.reduce((s, t) => s + elements(tensorDims(t)), 0),
    graphParams,
    folded: { constantNodes, layerNorms: fused.layerNorms, gelus: fused.gelus, batchNorms: ctx.claimed.size, pads: ctx.pendingPads.size },
    unmodelled,
  };
  return { graph, report };
}

/** `importOnnxModel` without the report. */
export function importOnnx(path: string, options: OnnxImportOptions = {}): Graph {
  return importOnnxModel(path, options).graph;
}

/** One node: constants fold, a known op type goes to its handler, anything else is unsupported. */
function convert(node: OnnxNode, ctx: ImportContext): void {
  if (node.domain !== "" && node.domain !== "ai.onnx") throw new UnsupportedNode(`an operator of domain "${node.domain}"`);
  const inputs = node.input.filter((n) => n !== "");
  const consts = inputs.map((n) => ctx.constOf(n));
  if (FOLDABLE_ELEMENTWISE.includes(node.op_type) && inputs.length > 0 && consts.every((c) => c !== undefined)) {
    const c = foldElementwise(node.op_type, consts);
    if (c === undefined) throw ctx.fail(node, "its constant inputs do not broadcast");
    ctx.set(node.output[0]!, { kind: "const", c });
    return;
  }
  const handler = HANDLERS[node.op_type];
  if (handler === undefined) throw new UnsupportedNode(`the operator ${node.op_type}`);
  handler(node, ctx);
}

function where(node: OnnxNode, path: string): string {
  return `${path}: node "${node.name}" (${node.op_type})`;
}

function unsupported(node: OnnxNode, path: string, e: unknown): KpuError {
  const reason = e instanceof Error ? e.message : String(e);
  return new KpuError("KPU_ONNX_UNSUPPORTED_OP", `node "${node.name}" is ${reason}, which kpu does not model; supported operators: ${SUPPORTED_OPS.join(", ")}`, {
    where: where(node, path),
    hint: "Pass --allow-unsupported (allowUnsupported) to keep going and report it as an unmodelled layer.",
  });
}

/** An IR error raised while converting a node names the file and node too. */
function rethrow(e: unknown, node: OnnxNode, path: string): unknown {
  if (!isKpuError(e) || e.where?.startsWith(path) === true) return e;
  return new KpuError(e.code, `${e.where === undefined ? "" : `${e.where}: `}${e.message}`, { where: where(node, path), ...(e.hint === undefined ? {} : { hint: e.hint }), cause: e });
}

/** Shapes the file declares for values (value_info and graph outputs), for the outputs of unmodelled nodes. */
function declaredShapes(g: OnnxGraph): Map<string, { shape: number[] | undefined; elemType: number }> {
  const map = new Map<string, { shape: number[] | undefined; elemType: number }>();
  for (const v of [...g.value_info, ...g.output]) {
    const t = v.type?.tensor_type;
    const dims = t?.shape?.dim.map((d) => (d.value === "dim_value" ? toNumber(d.dim_value) : 0));
    map.set(v.name, { shape: dims?.every((d) => d > 0) === true ? dims : undefined, elemType: t?.elem_type ?? 1 });
  }
  return map;
}

/** A stand-in node for errors about the graph's outputs. */
const OUTPUTS: OnnxNode = { input: [], output: [], name: "graph outputs", op_type: "output", attribute: [], domain: "" };

/** The graph's outputs: the file's, and the tensors an unmodelled node reads (each once; a graph input never). */
class Cut {
  private readonly names = new Set<string>();
  private readonly inputs = new Set<string>();
  constructor(private readonly ctx: ImportContext) {}

  output(ref: TensorRef): void {
    if (this.names.has(ref.name) || this.inputs.has(ref.name)) return;
    this.names.add(ref.name);
    this.ctx.b.output(ref);
  }

  input(ref: TensorRef): void {
    this.inputs.add(ref.name);
  }
}

/** Cuts the graph at an unmodelled node: its tensor inputs leave as graph outputs, its outputs enter as graph inputs. */
function cutAt(node: OnnxNode, ctx: ImportContext, shapes: ReturnType<typeof declaredShapes>, cut: Cut, e: unknown): UnmodelledNode {
  const outs = node.output.filter((o) => o !== "").map((name) => {
    const declared = shapes.get(name);
    if (declared?.shape === undefined) {
      throw new KpuError("KPU_ONNX_UNSUPPORTED_OP", `node "${node.name}" (${node.op_type}) is not modelled and the file declares no static shape for its output "${name}"`, {
        where: where(node, ctx.file),
        hint: "Run onnx.shape_inference.infer_shapes on the model first, so value_info gives the output's shape.",
      });
    }
    return { name, shape: declared.shape, elemType: declared.elemType };
  });
  for (const input of node.input) {
    if (input === "" || ctx.constOf(input) !== undefined || ctx.isWeight(input) || !ctx.has(input)) continue;
    cut.output(ctx.tensor(input, node));
  }
  for (const o of outs) {
    const ref = ctx.b.input(o.name, o.shape, kpuDtype(o.elemType));
    ctx.setTensor(o.name, ref);
    cut.input(ref);
  }
  return { node: node.name, opType: node.op_type, reason: e instanceof Error ? e.message : String(e), outputs: outs.map(({ name, shape }) => ({ name, shape })) };
}
