import { KpuError, type Graph, type Op, type OpKind, type TileShape } from "@kpu/ir";
import { Epilogue, binaryKernel, unaryKernel } from "./exec-elementwise.js";
import { convKernel, matmulKernel, type ConvFault } from "./exec-gemm.js";
import { concatKernel, gatherKernel, padKernel, sliceKernel, transposeKernel } from "./exec-shape.js";
import { globalAvgPoolKernel, normKernel, poolKernel, reduceKernel, softmaxKernel } from "./exec-vector.js";
import type { TensorValues } from "./reference.js";

export interface GraphExecOptions {
  /** GEMM tile of the fabric (matmuls and convs), default 32 x 32 x 32 elements. */
  readonly tile?: TileShape;
  /** Test-only: a fault in every conv's A addressing (see CONV_FAULTS). */
  readonly fault?: ConvFault;
  /** Called after each op with the number of ops done. */
  readonly onOp?: (done: number, total: number, op: Op) => void;
}

interface Ctx {
  data(name: string): Float32Array;
  shape(name: string): readonly number[];
  tensor(name: string): { data: Float32Array; shape: readonly number[] };
  readonly tile: TileShape;
  readonly fault: ConvFault | undefined;
}

/** The op type(s) of kind K (an op type whose kind is a union, like ReduceOp, serves each of its kinds). */
type On<K extends OpKind> = K extends OpKind ? (Op extends infer O ? (O extends { kind: infer J } ? (K extends J ? O : never) : never) : never) : never;
type KernelTable = { readonly [K in OpKind]: (op: On<K>, ctx: Ctx, out: readonly number[]) => Float32Array };

const x0 = (op: Op, ctx: Ctx): Float32Array => ctx.data(op.inputs[0]!);
const s0 = (op: Op, ctx: Ctx): readonly number[] => ctx.shape(op.inputs[0]!);
const copy = (op: On<"reshape" | "flatten">, ctx: Ctx): Float32Array => x0(op, ctx).slice();
const unary = (op: On<"relu" | "gelu" | "silu" | "sigmoid" | "tanh" | "exp" | "sqrt" | "erf">, ctx: Ctx): Float32Array => unaryKernel(op.kind, x0(op, ctx));
const binary = (op: On<"add" | "sub" | "mul" | "div">, ctx: Ctx, out: readonly number[]): Float32Array => binaryKernel(op.kind, x0(op, ctx), s0(op, ctx), ctx.data(op.inputs[1]!), ctx.shape(op.inputs[1]!), out);
const steps = (op: Op, ctx: Ctx, out: readonly number[], list: ConstructorParameters<typeof Epilogue>[0], channelAxis: number): Float32Array => {
  const epi = new Epilogue(list, (n) => ctx.tensor(n), out, channelAxis);
  const x = x0(op, ctx);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = epi.apply(x[i]!, i);
  return y;
};
const gemm = (op: On<"matmul" | "fused_matmul" | "batch_matmul">, ctx: Ctx, out: readonly number[]): Float32Array => {
  const epi = new Epilogue(op.kind === "matmul" ? [] : op.epilogue, (n) => ctx.tensor(n), out, out.length - 1);
  return matmulKernel(x0(op, ctx), s0(op, ctx), ctx.data(op.inputs[1]!), ctx.shape(op.inputs[1]!), out, epi, ctx.tile);
};
const pool = (op: On<"max_pool" | "avg_pool">, ctx: Ctx, out: readonly number[]): Float32Array => poolKernel(op, x0(op, ctx), s0(op, ctx), out);
const reduce = (op: On<"reduce_mean" | "reduce_sum">, ctx: Ctx): Float32Array => reduceKernel(op.kind, x0(op, ctx), s0(op, ctx), op.axes);
const norm = (op: On<"layer_norm" | "rms_norm">, ctx: Ctx): Float32Array => {
  const [, scale, bias] = op.inputs.map((n) => ctx.data(n));
  return normKernel(op.kind, x0(op, ctx), s0(op, ctx), op.axis, op.epsilon, scale, bias);
};

/** One kernel per op kind; the mapped type makes a new kind in OP_KINDS a compile error until it has one. */
const KERNELS: KernelTable = {
  matmul: gemm,
  fused_matmul: gemm,
  batch_matmul: gemm,
  conv2d: (op, ctx, out) => {
    const epi = new Epilogue(op.epilogue, (n) => ctx.tensor(n), out, 1);
    return convKernel(op, x0(op, ctx), s0(op, ctx), ctx.data(op.inputs[1]!), ctx.shape(op.inputs[1]!), out, epi, ctx.tile, ctx.fault);
  },
  bias_add: (op, ctx, out) => steps(op, ctx, out, [{ kind: "bias_add", tensor: op.inputs[1]! }], out.length - 1),
  add: binary,
  sub: binary,
  mul: binary,
  div: binary,
  relu: unary,
  gelu: unary,
  silu: unary,
  sigmoid: unary,
  tanh: unary,
  exp: unary,
  sqrt: unary,
  erf: unary,
  clip: (op, ctx, out) => steps(op, ctx, out, [{ kind: "clip", min: op.min, max: op.max }], 0),
  fused_elementwise: (op, ctx, out) => steps(op, ctx, out, op.steps, out.length - 1),
  softmax: (op, ctx) => softmaxKernel(x0(op, ctx), s0(op, ctx), op.axis),
  layer_norm: norm,
  rms_norm: norm,
  reduce_mean: reduce,
  reduce_sum: reduce,
  max_pool: pool,
  avg_pool: pool,
  global_avg_pool: (op, ctx) => globalAvgPoolKernel(x0(op, ctx), s0(op, ctx)),
  reshape: copy,
  transpose: (op, ctx) => transposeKernel(x0(op, ctx), s0(op, ctx), op.perm),
  flatten: copy,
  concat: (op, ctx, out) => concatKernel(op.inputs.map((n) => ctx.data(n)), op.inputs.map((n) => ctx.shape(n)), op.axis, out),
  slice: (op, ctx, out) => sliceKernel(op, x0(op, ctx), s0(op, ctx), out),
  pad: (op, ctx, out) => padKernel(op, x0(op, ctx), s0(op, ctx), out),
  gather: (op, ctx) => gatherKernel(op, x0(op, ctx), s0(op, ctx), ctx.data(op.inputs[1]!)),
};

/** The op kinds the graph executor runs (every kind of OP_KINDS). */
export const EXECUTED_KINDS: readonly OpKind[] = Object.keys(KERNELS) as OpKind[];

/**
 * Executes every op of `graph` in fp32, as the KPU computes it: matmuls, batched matmuls and convs (as implicit GEMMs)
 * tile by tile on the fabric with fp32 accumulation and the epilogue applied on the way out, everything else on the
 * vector unit in fp32. Returns every tensor (inputs included).
 */
export function executeGraph(graph: Graph, inputs: TensorValues, options: GraphExecOptions = {}): Map<string, Float32Array> {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  const values = new Map<string, Float32Array>();
  for (const name of graph.inputs) {
    const v = inputs.get(name);
    const size = shapes.get(name)!.reduce((p, d) => p * d, 1);
    if (v?.length !== size) {
      throw new KpuError("KPU_EXEC_MISSING_INPUT", `input "${name}" needs ${size} values, got ${v?.length ?? "none"}`, { where: `tensor "${name}"`, hint: "Pass every graph input with its full size." });
    }
    values.set(name, Float32Array.from(v));
  }
  const ctx: Ctx = {
    data: (name) => values.get(name)!,
    shape: (name) => shapes.get(name)!,
    tensor: (name) => ({ data: values.get(name)!, shape: shapes.get(name)! }),
    tile: options.tile ?? { m: 32, n: 32, k: 32 },
    fault: options.fault,
  };
  graph.ops.forEach((op, i) => {
    const kernel = KERNELS[op.kind] as (op: Op, ctx: Ctx, out: readonly number[]) => Float32Array;
    values.set(op.outputs[0]!, kernel(op, ctx, shapes.get(op.outputs[0]!)!));
    options.onOp?.(i + 1, graph.ops.length, op);
  });
  return values;
}
