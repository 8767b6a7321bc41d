import type { Graph, Op, TileShape } from "@kpu/ir";
import type { ConvFault } from "./exec-gemm.js";
import { randomGraphInputs } from "./graph-data.js";
import { executeGraph } from "./graph-executor.js";
import { referenceGraph } from "./graph-reference.js";

/** fp32's unit roundoff, 2^-24. */
export const FP32_UNIT_ROUNDOFF = 2 ** -24;
/** Margin of the tolerance over the typical fp32 error u sqrt(L) of a sum of L terms. */
export const TOLERANCE_FACTOR = 16;
/** The absolute floor of every tolerance: fp32's smallest normal number, 2^-126 (all-zero tensors compare equal). */
export const TOLERANCE_FLOOR = 2 ** -126;

export interface GraphVerifyOptions {
  /** Seed of the random inputs (randomGraphInputs), default 1. */
  readonly seed?: number;
  readonly tile?: TileShape;
  /** Test-only: a fault in the executor's conv addressing. */
  readonly fault?: ConvFault;
  readonly onOp?: (done: number, total: number, op: Op) => void;
}

/** One op's output, executed (fp32) against the reference (float64). */
export interface OpCheck {
  readonly op: string;
  readonly kind: Op["kind"];
  readonly tensor: string;
  readonly shape: readonly number[];
  /** max |executed - reference| over the elements (Infinity where one is finite and the other not, or NaN). */
  readonly maxAbsError: number;
  readonly maxAbsReference: number;
  /** maxAbsError / maxAbsReference: the error relative to the tensor's scale. */
  readonly maxRelError: number;
  /** The relative error budget accumulated along the graph up to this tensor. */
  readonly toleranceRel: number;
  /** toleranceRel * maxAbsReference + TOLERANCE_FLOOR. */
  readonly toleranceAbs: number;
  /** Reference elements that are NaN or infinite (they match only the same value). */
  readonly nonFinite: number;
  readonly ok: boolean;
}

export interface GraphVerifyResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly tile: TileShape;
  /** Multiply-accumulates of the graph's matmuls and convs. */
  readonly macs: number;
  /** Every op's output, in execution order. */
  readonly ops: readonly OpCheck[];
  /** The checks of the graph outputs. */
  readonly outputs: readonly OpCheck[];
  /** The first op whose output is off: where a fault starts. */
  readonly firstFailure?: { readonly op: string; readonly kind: Op["kind"] };
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Multiply-accumulates of an op on the fabric (matmuls, batched matmuls, convs), 0 for the others. */
export function opMacs(op: Op, shape: (name: string) => readonly number[]): number {
  const out = shape(op.outputs[0]!);
  if (op.kind === "matmul" || op.kind === "fused_matmul" || op.kind === "batch_matmul") return size(out) * shape(op.inputs[0]!).at(-1)!;
  if (op.kind === "conv2d") return size(out) * size(shape(op.inputs[1]!).slice(1));
  return 0;
}

export function graphMacs(graph: Graph): number {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  return graph.ops.reduce((sum, op) => sum + opMacs(op, (n) => shapes.get(n)!), 0);
}

/**
 * Terms an op adds up per output element (L) and its elementwise steps: its own error budget is
 * TOLERANCE_FACTOR * u * (sqrt(L) + steps); data moves are exact (0).
 */
function localBudget(op: Op, shape: (name: string) => readonly number[], value: (name: string) => ArrayLike<number>): number {
  const x = shape(op.inputs[0]!);
  const axisSize = (axis: number): number => size(x.slice(axis < 0 ? axis + x.length : axis));
  let terms = 1;
  let steps = 0;
  switch (op.kind) {
    case "matmul":
    case "fused_matmul":
    case "batch_matmul":
    case "conv2d":
      terms = opMacs(op, shape) / size(shape(op.outputs[0]!));
      steps = op.kind === "matmul" ? 0 : op.epilogue.length;
      break;
    case "softmax":
      terms = x[op.axis < 0 ? op.axis + x.length : op.axis]!;
      break;
    case "layer_norm":
      terms = axisSize(op.axis);
      steps = layerNormConditioning(value(op.inputs[0]!), terms, op.epsilon);
      break;
    case "rms_norm":
      terms = axisSize(op.axis);
      break;
    case "reduce_mean":
    case "reduce_sum":
      terms = size(x) / size(shape(op.outputs[0]!));
      break;
    case "avg_pool":
      terms = op.kernel[0] * op.kernel[1];
      break;
    case "global_avg_pool":
      terms = size(x.slice(2));
      break;
    case "fused_elementwise":
      steps = op.steps.length;
      break;
    case "reshape":
    case "transpose":
    case "flatten":
    case "concat":
    case "slice":
    case "pad":
    case "gather":
    case "max_pool":
      return 0;
    default:
      break;
  }
  return TOLERANCE_FACTOR * FP32_UNIT_ROUNDOFF * (Math.sqrt(terms) + steps);
}

/**
 * A layer norm subtracts the row's mean: fp32 rounds x and the mean to about u max|x|, and the division by the row's
 * deviation sqrt(var + epsilon) scales that by max|x| / sqrt(var + epsilon), which is large for a short row of close
 * values (two elements 0.01 apart: about 100). The largest such ratio over the rows, from the reference input.
 */
function layerNormConditioning(x: ArrayLike<number>, row: number, epsilon: number): number {
  let worst = 0;
  for (let r = 0; r + row <= x.length; r += row) {
    let mean = 0;
    let max = 0;
    for (let i = r; i < r + row; i++) {
      mean += x[i]!;
      max = Math.max(max, Math.abs(x[i]!));
    }
    mean /= row;
    let variance = 0;
    for (let i = r; i < r + row; i++) variance += (x[i]! - mean) ** 2;
    worst = Math.max(worst, max / Math.sqrt(variance / row + epsilon));
  }
  return worst;
}

/** max |got - want| and max |want| over the elements; a non-finite pair matches only itself. */
function compare(got: Float32Array, want: Float64Array): { maxAbsError: number; maxAbsReference: number; nonFinite: number } {
  let maxAbsError = got.length === want.length ? 0 : Infinity;
  let maxAbsReference = 0;
  let nonFinite = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (!Number.isFinite(w)) {
      nonFinite++;
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) maxAbsError = Infinity;
      continue;
    }
    maxAbsReference = Math.max(maxAbsReference, Math.abs(w));
    const e = Math.abs(g - w);
    maxAbsError = Number.isNaN(e) ? Infinity : Math.max(maxAbsError, e);
  }
  return { maxAbsError, maxAbsReference, nonFinite };
}

/**
 * Runs `graph` on seeded random inputs through the fp32 graph executor and the float64 reference, and checks every
 * op's output: |executed - reference| <= toleranceRel * max |reference| + 2^-126, where toleranceRel adds up along the
 * graph (the largest budget of an op's inputs plus the op's own, graph inputs 0).
 */
export function verifyGraph(graph: Graph, options: GraphVerifyOptions = {}): GraphVerifyResult {
  const seed = options.seed ?? 1;
  const tile = options.tile ?? { m: 32, n: 32, k: 32 };
  const inputs = randomGraphInputs(graph, seed);
  const got = executeGraph(graph, inputs, { tile, ...(options.fault === undefined ? {} : { fault: options.fault }), ...(options.onOp === undefined ? {} : { onOp: options.onOp }) });
  const want = referenceGraph(graph, inputs);
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  const shape = (n: string): readonly number[] => shapes.get(n)!;
  const budget = new Map<string, number>(graph.inputs.map((n) => [n, 0]));
  const ops = graph.ops.map((op): OpCheck => {
    const tensor = op.outputs[0]!;
    const toleranceRel = Math.max(0, ...op.inputs.map((n) => budget.get(n) ?? 0)) + localBudget(op, shape, (n) => want.get(n) ?? inputs.get(n)!);
    budget.set(tensor, toleranceRel);
    const c = compare(got.get(tensor)!, want.get(tensor)!);
    const toleranceAbs = toleranceRel * c.maxAbsReference + TOLERANCE_FLOOR;
    const maxRelError = c.maxAbsReference > 0 ? c.maxAbsError / c.maxAbsReference : c.maxAbsError === 0 ? 0 : Infinity;
    return { op: op.id, kind: op.kind, tensor, shape: shape(tensor), ...c, maxRelError, toleranceRel, toleranceAbs, ok: c.maxAbsError <= toleranceAbs };
  });
  const failed = ops.find((o) => !o.ok);
  return {
    ok: failed === undefined,
    seed,
    tile,
    macs: graphMacs(graph),
    ops,
    outputs: ops.filter((o) => graph.outputs.includes(o.tensor)),
    ...(failed === undefined ? {} : { firstFailure: { op: failed.op, kind: failed.kind } }),
  };
}
