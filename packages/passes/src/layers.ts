import { KpuError, elementCount, tensorMap, type BatchMatmulOp, type Conv2dOp, type EpilogueStep, type Graph, type Op, type OpKind } from "@kpu/ir";
import { convGemm, type ConvGemm } from "./conv-gemm.js";
import { NO_VECTOR_OPS, stepsOps, vectorOps, type VectorOpCounts } from "./vector-ops.js";

/**
 * `batch` independent GEMMs C[m, n] = A[m, k] x B[k, n] of one shape. `aCount` (`bCount`) is how many distinct A (B)
 * matrices they read: 1 when one operand is shared by every batch element, `batch` when each has its own, in between
 * for grouped-query attention's K and V. Broadcast batch dimensions that can be stacked into m (B shared) or n (A
 * shared) already are, so a layer with aCount = bCount = batch has identical, independent elements.
 */
export interface GemmWorkload {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  readonly aCount: number;
  readonly bCount: number;
}

export type LayerUnit = "fabric" | "vector" | "none";

interface LayerBase {
  readonly id: string;
  readonly op: OpKind;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly macs: number;
  /** Elements the layer reads from and writes to memory (every layer's inputs and output live in DRAM). */
  readonly readElements: number;
  readonly writeElements: number;
}

/** A GEMM on the fabric: matmul, batch_matmul, conv2d (per group, through `conv`'s implicit-GEMM geometry). */
export interface FabricLayer extends LayerBase {
  readonly unit: "fabric";
  readonly gemm: GemmWorkload;
  readonly conv?: ConvGemm;
  /** The fused epilogue's steps and their vector-unit ops (applied to the output on its way out). */
  readonly epilogue: readonly EpilogueStep["kind"][];
  readonly vectorOps: VectorOpCounts;
  /** Elements of the tensors the epilogue reads (bias, residual, scale). */
  readonly epilogueElements: number;
}

/** Work for the vector unit: softmax, norms, pools, reductions, unfused activations and elementwise ops. */
export interface VectorLayer extends LayerBase {
  readonly unit: "vector";
  readonly vectorOps: VectorOpCounts;
}

/** Data movement: transpose, concat, pad, slice, gather move bytes; reshape and flatten are free (no bytes). */
export interface MoveLayer extends LayerBase {
  readonly unit: "none";
}

export type Layer = FabricLayer | VectorLayer | MoveLayer;

const FREE: ReadonlySet<OpKind> = new Set(["reshape", "flatten"]);
const MOVES: ReadonlySet<OpKind> = new Set(["transpose", "concat", "pad", "slice", "gather"]);

/** Batch dimensions of `shape` (all but the last two), left-padded with 1s to `rank`. */
function batchDims(shape: readonly number[], rank: number): number[] {
  const dims = shape.slice(0, -2);
  return [...Array<number>(rank - dims.length).fill(1), ...dims];
}

/**
 * batch_matmul's GEMMs: innermost batch dimensions over which B is broadcast stack A's rows (m grows), else those over
 * which A is broadcast stack B's columns (n grows); what is left is the batch.
 */
export function batchMatmulGemm(a: readonly number[], b: readonly number[], out: readonly number[]): GemmWorkload {
  let m = a[a.length - 2]!;
  let n = b[b.length - 1]!;
  const k = a[a.length - 1]!;
  const rank = out.length - 2;
  const ab = batchDims(a, rank);
  const bb = batchDims(b, rank);
  const ob = out.slice(0, rank);
  let keep = rank;
  while (keep > 0 && bb[keep - 1] === 1) m *= ob[--keep]!;
  if (keep === rank) while (keep > 0 && ab[keep - 1] === 1) n *= ob[--keep]!;
  const product = (d: readonly number[]) => d.slice(0, keep).reduce((p, v) => p * v, 1);
  return { m, n, k, batch: product(ob), aCount: product(ab), bCount: product(bb) };
}

function fabricLayer(op: BatchMatmulOp | Conv2dOp | Extract<Op, { kind: "matmul" | "fused_matmul" }>, shapes: number[][], out: readonly number[]): FabricLayer {
  const [a, b] = shapes as [number[], number[]];
  let gemm: GemmWorkload;
  let conv: ConvGemm | undefined;
  if (op.kind === "conv2d") {
    conv = convGemm(op, a, b, out);
    gemm = { m: conv.m, n: conv.n, k: conv.k, batch: conv.groups, aCount: conv.groups, bCount: conv.groups };
  } else if (op.kind === "batch_matmul") {
    gemm = batchMatmulGemm(a, b, out);
  } else {
    gemm = { m: a[0]!, n: b[1]!, k: a[1]!, batch: 1, aCount: 1, bCount: 1 };
  }
  const epilogue = op.kind === "matmul" ? [] : op.epilogue;
  const outElements = elementCount(out);
  const epilogueElements = shapes.slice(2).reduce((s, t) => s + elementCount(t), 0);
  return {
    id: op.id,
    op: op.kind,
    inputShapes: shapes,
    outputShape: out,
    macs: gemm.m * gemm.n * gemm.k * gemm.batch,
    readElements: elementCount(a) + elementCount(b) + epilogueElements,
    writeElements: outElements,
    unit: "fabric",
    gemm,
    ...(conv === undefined ? {} : { conv }),
    epilogue: epilogue.map((s) => s.kind),
    vectorOps: epilogue.length === 0 ? NO_VECTOR_OPS : stepsOps(epilogue, outElements),
    epilogueElements,
  };
}

/**
 * Lowers a (fused) graph into one layer workload per op, in graph order: fabric GEMMs, vector-unit work and data
 * movement, each with the element counts it reads and writes. MACs are those of the GEMM (conv: N x OC x OH x OW x
 * C/groups x KH x KW; batch_matmul: every batch element's M x N x K).
 */
export function lowerToLayers(graph: Graph): Layer[] {
  const tensors = tensorMap(graph);
  const shapeOf = (name: string, op: Op): number[] => {
    const t = tensors.get(name);
    if (t === undefined) throw new KpuError("KPU_IR_UNKNOWN_TENSOR", `op ${op.id} reads ${name}, which the graph does not declare`, { where: `ops.${op.id}`, hint: "Validate the graph first (validateGraph)." });
    return [...t.shape];
  };
  return graph.ops.map((op): Layer => {
    const shapes = op.inputs.map((i) => shapeOf(i, op));
    const out = shapeOf(op.outputs[0]!, op);
    if (op.kind === "matmul" || op.kind === "fused_matmul" || op.kind === "batch_matmul" || op.kind === "conv2d") return fabricLayer(op, shapes, out);
    const base = { id: op.id, op: op.kind, inputShapes: shapes, outputShape: out, macs: 0 };
    if (FREE.has(op.kind)) return { ...base, unit: "none", readElements: 0, writeElements: 0 };
    const outElements = elementCount(out);
    if (MOVES.has(op.kind)) {
      // gather reads only the rows it picks (and the indices), the others read their whole inputs
      const read = op.kind === "gather" ? outElements + elementCount(shapes[1]!) : shapes.reduce((s, t) => s + elementCount(t), 0);
      return { ...base, unit: "none", readElements: read, writeElements: outElements };
    }
    const ops = vectorOps(op, shapes, out);
    if (ops === undefined) throw new KpuError("KPU_INTERNAL", `op ${op.id} (${op.kind}) has no layer model`, { where: `ops.${op.id}`, hint: "Report this: every kpu.graph v2 op should lower to a layer." });
    const read = shapes.reduce((s, t) => s + elementCount(t), 0);
    return { ...base, unit: "vector", vectorOps: ops, readElements: read, writeElements: outElements };
  });
}
