import type { DType } from "./dtype.js";

/** A named tensor. Shapes are row-major; matmul operands are rank 2, biases rank 1. */
export interface Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export const ACTIVATIONS = ["relu", "gelu"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** One step applied to a matmul's output tile on its way out (in order). */
export type EpilogueStep =
  | { readonly kind: "bias_add"; readonly tensor: string }
  | { readonly kind: "add"; readonly tensor: string }
  | { readonly kind: Activation };

export const OP_KINDS = ["matmul", "add", "bias_add", "relu", "gelu", "fused_matmul"] as const;
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
/** Elementwise sum of two tensors of one shape; inputs [X, Y]. */
export interface AddOp extends OpBase {
  readonly kind: "add";
}
/** X[M,N] + bias[N] broadcast over rows; inputs [X, bias]. */
export interface BiasAddOp extends OpBase {
  readonly kind: "bias_add";
}
export interface ActivationOp extends OpBase {
  readonly kind: Activation;
}
/** A matmul whose output passes through `epilogue`; inputs [A, B, ...tensors named by the epilogue, in order]. */
export interface FusedMatmulOp extends OpBase {
  readonly kind: "fused_matmul";
  readonly epilogue: readonly EpilogueStep[];
}

export type Op = MatmulOp | AddOp | BiasAddOp | ActivationOp | FusedMatmulOp;

/** A dataflow graph: tensors, ops in a topological order, and the graph's inputs and outputs. */
export interface Graph {
  readonly name: string;
  readonly tensors: readonly Tensor[];
  /** Tensors supplied from outside (activations and weights). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly ops: readonly Op[];
}

export function isMatmulLike(op: Op): op is MatmulOp | FusedMatmulOp {
  return op.kind === "matmul" || op.kind === "fused_matmul";
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
