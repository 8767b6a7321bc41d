import type { DType } from "./dtype.js";

/**
 * A named tensor. Shapes are row-major (NCHW for images); a scalar is [1]. `weight` marks a parameter held by the model
 * (an ONNX initializer, a layer's weight or bias): the parameter count of a model is the sum of its weights' elements.
 */
export interface Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly weight?: boolean;
}

/** Elementwise functions of one tensor that take no attributes. */
export const UNARY_KINDS = ["relu", "gelu", "silu", "sigmoid", "tanh", "exp", "sqrt", "erf"] as const;
export type UnaryKind = (typeof UNARY_KINDS)[number];
/** The activations a matmul or conv epilogue may apply (v1 had relu and gelu). */
export const ACTIVATIONS = ["relu", "gelu", "silu", "sigmoid", "tanh"] as const;
export type Activation = (typeof ACTIVATIONS)[number];
/** Elementwise functions of two tensors, with NumPy broadcasting. */
export const BINARY_KINDS = ["add", "sub", "mul", "div"] as const;
export type BinaryKind = (typeof BINARY_KINDS)[number];

/**
 * One step applied to an op's output on its way out (in order). `bias_add` adds a per-channel vector: over the last
 * dimension of a matmul, over dimension 1 (channels) of a conv. `add` and `mul` broadcast a tensor onto the output.
 */
export type EpilogueStep =
  | { readonly kind: "bias_add"; readonly tensor: string }
  | { readonly kind: "add" | "mul"; readonly tensor: string }
  | { readonly kind: Activation }
  | { readonly kind: "clip"; readonly min: number; readonly max: number };

export const OP_KINDS = [
  "matmul",
  "fused_matmul",
  "batch_matmul",
  "conv2d",
  "bias_add",
  ...BINARY_KINDS,
  ...UNARY_KINDS,
  "clip",
  "fused_elementwise",
  "softmax",
  "layer_norm",
  "rms_norm",
  "reduce_mean",
  "reduce_sum",
  "max_pool",
  "avg_pool",
  "global_avg_pool",
  "reshape",
  "transpose",
  "flatten",
  "concat",
  "slice",
  "pad",
  "gather",
] as const;
export type OpKind = (typeof OP_KINDS)[number];

interface OpBase {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** C[M,N] = A[M,K] x B[K,N]; inputs [A, B]. */
export interface MatmulOp extends OpBase {
  readonly kind: "matmul";
}
/** A matmul whose output passes through `epilogue`; inputs [A, B, ...tensors named by the epilogue, in order]. */
export interface FusedMatmulOp extends OpBase {
  readonly kind: "fused_matmul";
  readonly epilogue: readonly EpilogueStep[];
}
/**
 * C[..., M, N] = A[..., M, K] x B[..., K, N] with NumPy broadcasting of the batch dimensions (attention: per head, and
 * grouped-query attention's shared K and V broadcast over the query heads of a group); inputs [A, B, ...epilogue tensors].
 */
export interface BatchMatmulOp extends OpBase {
  readonly kind: "batch_matmul";
  readonly epilogue: readonly EpilogueStep[];
}
/**
 * 2-D convolution, NCHW: X[N, C, H, W] and W[OC, C/groups, KH, KW] give Y[N, OC, OH, OW] with
 * OH = floor((H + padTop + padBottom - dilationH * (KH - 1) - 1) / strideH) + 1 (OW likewise). groups = C is depthwise,
 * KH = KW = 1 pointwise. Inputs [X, W, ...epilogue tensors] (a `bias_add` step is the conv bias, [OC]).
 */
export interface Conv2dOp extends OpBase {
  readonly kind: "conv2d";
  /** [strideH, strideW]. */
  readonly stride: readonly [number, number];
  /** [top, left, bottom, right], zeros. */
  readonly padding: readonly [number, number, number, number];
  /** [dilationH, dilationW]. */
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly epilogue: readonly EpilogueStep[];
}
/** X[..., N] + bias[N] broadcast over rows; inputs [X, bias]. */
export interface BiasAddOp extends OpBase {
  readonly kind: "bias_add";
}
/** Elementwise X (op) Y with NumPy broadcasting; inputs [X, Y]. */
export interface BinaryOp extends OpBase {
  readonly kind: BinaryKind;
}
export interface UnaryOp extends OpBase {
  readonly kind: UnaryKind;
}
/** min(max(X, min), max); ReLU6 is clip(0, 6). */
export interface ClipOp extends OpBase {
  readonly kind: "clip";
  readonly min: number;
  readonly max: number;
}
/** A chain of elementwise steps on X done in one pass (the fusion pass makes these); inputs [X, ...step tensors]. */
export interface FusedElementwiseOp extends OpBase {
  readonly kind: "fused_elementwise";
  readonly steps: readonly EpilogueStep[];
}
/** exp(x - max) / sum(exp(x - max)) along `axis` (negative counts from the end). */
export interface SoftmaxOp extends OpBase {
  readonly kind: "softmax";
  readonly axis: number;
}
/**
 * (x - mean) / sqrt(var + epsilon) * scale + bias over the dimensions from `axis` to the last; inputs [X], [X, scale]
 * or [X, scale, bias], scale and bias shaped like those dimensions.
 */
export interface LayerNormOp extends OpBase {
  readonly kind: "layer_norm";
  readonly axis: number;
  readonly epsilon: number;
}
/** x / sqrt(mean(x^2) + epsilon) * scale over the dimensions from `axis` to the last; inputs [X] or [X, scale]. */
export interface RmsNormOp extends OpBase {
  readonly kind: "rms_norm";
  readonly axis: number;
  readonly epsilon: number;
}
/** Mean or sum over `axes`; `keepDims` keeps them as 1s. */
export interface ReduceOp extends OpBase {
  readonly kind: "reduce_mean" | "reduce_sum";
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}
/**
 * Max or average pooling over H and W of X[N, C, H, W], with the conv's output-size formula (`ceilMode` rounds up, and a
 * window must start inside the input or its left padding). Average pooling divides by the window's size including the
 * padding when `countIncludePad`, else by the elements inside the input.
 */
export interface PoolOp extends OpBase {
  readonly kind: "max_pool" | "avg_pool";
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
}
/** X[N, C, H, W] -> [N, C, 1, 1], the mean over H and W. */
export interface GlobalAvgPoolOp extends OpBase {
  readonly kind: "global_avg_pool";
}
/** Same elements, new shape (every dimension given: importers resolve -1 and 0). */
export interface ReshapeOp extends OpBase {
  readonly kind: "reshape";
  readonly shape: readonly number[];
}
/** Output dimension i is input dimension perm[i]. */
export interface TransposeOp extends OpBase {
  readonly kind: "transpose";
  readonly perm: readonly number[];
}
/** [d0 .. d(axis-1), d(axis) .. d(r-1)] -> [product of the first, product of the rest] (ONNX Flatten). */
export interface FlattenOp extends OpBase {
  readonly kind: "flatten";
  readonly axis: number;
}
/** Joins the inputs along `axis`; the other dimensions must agree. */
export interface ConcatOp extends OpBase {
  readonly kind: "concat";
  readonly axis: number;
}
/**
 * Elements start, start + step, ... (before end) along each of `axes`; starts and ends are clamped to the dimension
 * after adding it to negatives (ONNX Slice); steps are positive.
 */
export interface SliceOp extends OpBase {
  readonly kind: "slice";
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps: readonly number[];
}
/** Constant padding: `pads` = [begin of each dimension..., end of each dimension...] (ONNX order), non-negative. */
export interface PadOp extends OpBase {
  readonly kind: "pad";
  readonly pads: readonly number[];
  readonly value: number;
}
/**
 * Slices of a table picked by integer indices along `axis` (embeddings: axis 0): data[..., V, ...], indices[...] ->
 * data[:axis] + indices' shape + data[axis+1:]; inputs [data, indices].
 */
export interface GatherOp extends OpBase {
  readonly kind: "gather";
  readonly axis: number;
}

export type Op =
  | MatmulOp
  | FusedMatmulOp
  | BatchMatmulOp
  | Conv2dOp
  | BiasAddOp
  | BinaryOp
  | UnaryOp
  | ClipOp
  | FusedElementwiseOp
  | SoftmaxOp
  | LayerNormOp
  | RmsNormOp
  | ReduceOp
  | PoolOp
  | GlobalAvgPoolOp
  | ReshapeOp
  | TransposeOp
  | FlattenOp
  | ConcatOp
  | SliceOp
  | PadOp
  | GatherOp;

/** A dataflow graph: tensors, ops in a topological order, and the graph's inputs and outputs. */
export interface Graph {
  readonly name: string;
  readonly tensors: readonly Tensor[];
  /** Tensors supplied from outside (activations and weights). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ops: readonly Op[];
}

/** Elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** The 2-D matmuls the tiling and micro-op pipeline takes. */
export function isMatmulLike(op: Op): op is MatmulOp | FusedMatmulOp {
  return op.kind === "matmul" || op.kind === "fused_matmul";
}

/** Ops with an epilogue: the fabric's ops. */
export function hasEpilogue(op: Op): op is FusedMatmulOp | BatchMatmulOp | Conv2dOp {
  return op.kind === "fused_matmul" || op.kind === "batch_matmul" || op.kind === "conv2d";
}

/** The tensors an epilogue (or fused elementwise chain) reads, in order. */
export function stepTensors(steps: readonly EpilogueStep[]): string[] {
  return steps.flatMap((s) => ("tensor" in s ? [s.tensor] : []));
}

export function tensorMap(graph: Graph): ReadonlyMap<string, Tensor> {
  return new Map(graph.tensors.map((t) => [t.name, t]));
}

/** Number of ops that read each tensor. */
export function consumerCounts(graph: Graph): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const op of graph.ops) for (const input of op.inputs) counts.set(input, (counts.get(input) ?? 0) + 1);
  return counts;
}
