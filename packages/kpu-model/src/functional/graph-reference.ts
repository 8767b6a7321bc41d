import type { EpilogueStep, Graph, Op, OpKind } from "@kpu/ir";
import { REF_UNARY, refNorm, refReduce, refSoftmax } from "./ref-math.js";
import { broadcastRead, ravel, refAxis, refBroadcastShape, refFrom, refZeros, unravel, type RefTensor } from "./ref-tensor.js";
import { refConv, refGlobalAvgPool, refPool } from "./ref-window.js";
import type { TensorValues } from "./reference.js";

/**
 * The graph reference: every op from its definition in float64, with its own index arithmetic (./ref-tensor.ts), a
 * direct seven-loop convolution and textbook softmax and norms; it shares no helper with the graph executor.
 */

type Get = (name: string) => RefTensor;
/** The op type(s) of kind K (an op type whose kind is a union, like ReduceOp, serves each of its kinds). */
type On<K extends OpKind> = K extends OpKind ? (Op extends infer O ? (O extends { kind: infer J } ? (K extends J ? O : never) : never) : never) : never;
type RefTable = { readonly [K in OpKind]: (op: On<K>, get: Get, outShape: readonly number[]) => RefTensor };

/** Applies epilogue steps to a whole tensor, in order; a bias indexes `channelAxis`. */
function refSteps(t: RefTensor, steps: readonly EpilogueStep[], get: Get, channelAxis: number): RefTensor {
  let y = t;
  for (const s of steps) {
    const prev = y;
    y = refFrom(prev.shape, (index) => {
      const v = prev.data[ravel(index, prev.shape)]!;
      switch (s.kind) {
        case "bias_add":
          return v + get(s.tensor).data[index[channelAxis]!]!;
        case "add":
          return v + broadcastRead(get(s.tensor), index);
        case "mul":
          return v * broadcastRead(get(s.tensor), index);
        case "clip":
          return Math.min(s.max, Math.max(s.min, v));
        default:
          return REF_UNARY[s.kind]!(v);
      }
    });
  }
  return y;
}

/** C[..., i, j] = sum_k A[..., i, k] B[..., k, j], the batch dimensions broadcast. */
function refMatmul(a: RefTensor, b: RefTensor): RefTensor {
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape.at(-1)!;
  const batchShape = refBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = refZeros([...batchShape, M, N]);
  const batches = out.data.length / (M * N);
  const batchOf = (t: RefTensor, index: readonly number[]): number => {
    const own = t.shape.slice(0, -2);
    const lead = index.length - own.length;
    return ravel(own.map((d, i) => (d === 1 ? 0 : index[lead + i]!)), own);
  };
  for (let bt = 0; bt < batches; bt++) {
    const index = unravel(bt, batchShape);
    const pa = batchOf(a, index) * M * K;
    const pb = batchOf(b, index) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += a.data[pa + i * K + k]! * b.data[pb + k * N + j]!;
        out.data[(bt * M + i) * N + j] = sum;
      }
  }
  return out;
}

const first = (op: Op, get: Get): RefTensor => get(op.inputs[0]!);
const map = (t: RefTensor, f: (v: number) => number): RefTensor => ({ shape: t.shape, data: t.data.map(f) });
const relabel = (t: RefTensor, shape: readonly number[]): RefTensor => ({ shape, data: t.data.slice() });
const unary = (op: On<"relu" | "gelu" | "silu" | "sigmoid" | "tanh" | "exp" | "sqrt" | "erf">, get: Get): RefTensor => map(first(op, get), REF_UNARY[op.kind]!);
const binary = (op: On<"add" | "sub" | "mul" | "div">, get: Get, outShape: readonly number[]): RefTensor => {
  const [x, y] = [get(op.inputs[0]!), get(op.inputs[1]!)];
  return refFrom(outShape, (index) => {
    const a = broadcastRead(x, index);
    const b = broadcastRead(y, index);
    return op.kind === "add" ? a + b : op.kind === "sub" ? a - b : op.kind === "mul" ? a * b : a / b;
  });
};
const gemm = (op: On<"matmul" | "fused_matmul" | "batch_matmul">, get: Get): RefTensor => {
  const c = refMatmul(first(op, get), get(op.inputs[1]!));
  return op.kind === "matmul" ? c : refSteps(c, op.epilogue, get, c.shape.length - 1);
};
const norm = (op: On<"layer_norm" | "rms_norm">, get: Get): RefTensor => {
  const [, scale, bias] = op.inputs.map(get);
  return refNorm(op.kind, first(op, get), op.axis, op.epsilon, scale, bias);
};

const REFERENCE: RefTable = {
  matmul: gemm,
  fused_matmul: gemm,
  batch_matmul: gemm,
  conv2d: (op, get, outShape) => refSteps(refConv(op, first(op, get), get(op.inputs[1]!), outShape), op.epilogue, get, 1),
  bias_add: (op, get) => refSteps(first(op, get), [{ kind: "bias_add", tensor: op.inputs[1]! }], get, first(op, get).shape.length - 1),
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
  clip: (op, get) => map(first(op, get), (v) => Math.min(op.max, Math.max(op.min, v))),
  fused_elementwise: (op, get) => refSteps(first(op, get), op.steps, get, first(op, get).shape.length - 1),
  softmax: (op, get) => refSoftmax(first(op, get), op.axis),
  layer_norm: norm,
  rms_norm: norm,
  reduce_mean: (op, get, outShape) => refReduce(op.kind, first(op, get), op.axes, outShape),
  reduce_sum: (op, get, outShape) => refReduce(op.kind, first(op, get), op.axes, outShape),
  max_pool: (op, get, outShape) => refPool(op, first(op, get), outShape),
  avg_pool: (op, get, outShape) => refPool(op, first(op, get), outShape),
  global_avg_pool: (op, get) => refGlobalAvgPool(first(op, get)),
  reshape: (op, get, outShape) => relabel(first(op, get), outShape),
  flatten: (op, get, outShape) => relabel(first(op, get), outShape),
  transpose: (op, get, outShape) => {
    const x = first(op, get);
    return refFrom(outShape, (index) => {
      const at = new Array<number>(index.length);
      op.perm.forEach((p, i) => (at[p] = index[i]!));
      return x.data[ravel(at, x.shape)]!;
    });
  },
  concat: (op, get, outShape) => {
    const parts = op.inputs.map(get);
    const a = refAxis(op.axis, outShape.length);
    return refFrom(outShape, (index) => {
      let at = index[a]!;
      for (const p of parts) {
        if (at < p.shape[a]!) return p.data[ravel(index.map((v, d) => (d === a ? at : v)), p.shape)]!;
        at -= p.shape[a]!;
      }
      return NaN;
    });
  },
  slice: (op, get, outShape) => {
    const x = first(op, get);
    const start = x.shape.map(() => 0);
    const step = x.shape.map(() => 1);
    op.axes.forEach((axis, i) => {
      const d = refAxis(axis, x.shape.length);
      const s = op.starts[i]! < 0 ? op.starts[i]! + x.shape[d]! : op.starts[i]!;
      start[d] = Math.max(0, Math.min(x.shape[d]!, s));
      step[d] = op.steps[i]!;
    });
    return refFrom(outShape, (index) => x.data[ravel(index.map((v, d) => start[d]! + v * step[d]!), x.shape)]!);
  },
  pad: (op, get, outShape) => {
    const x = first(op, get);
    return refFrom(outShape, (index) => {
      const at = index.map((v, d) => v - op.pads[d]!);
      return at.every((v, d) => v >= 0 && v < x.shape[d]!) ? x.data[ravel(at, x.shape)]! : op.value;
    });
  },
  gather: (op, get, outShape) => {
    const data = first(op, get);
    const indices = get(op.inputs[1]!);
    const a = refAxis(op.axis, data.shape.length);
    const r = indices.shape.length;
    return refFrom(outShape, (index) => {
      const raw = indices.data[ravel(index.slice(a, a + r), indices.shape)]!;
      const row = raw < 0 ? raw + data.shape[a]! : raw;
      return data.data[ravel([...index.slice(0, a), row, ...index.slice(a + r)], data.shape)]!;
    });
  },
};

/** The op kinds the graph reference evaluates (every kind of OP_KINDS). */
export const REFERENCE_KINDS: readonly OpKind[] = Object.keys(REFERENCE) as OpKind[];

/** Evaluates every op of `graph` in float64 from its definition; returns every tensor (inputs included). */
export function referenceGraph(graph: Graph, inputs: TensorValues): Map<string, Float64Array> {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  const values = new Map<string, RefTensor>();
  for (const name of graph.inputs) values.set(name, { shape: shapes.get(name)!, data: Float64Array.from(inputs.get(name) ?? []) });
  const get: Get = (name) => values.get(name)!;
  for (const op of graph.ops) {
    const f = REFERENCE[op.kind] as (op: Op, get: Get, outShape: readonly number[]) => RefTensor;
    const outShape = shapes.get(op.outputs[0]!)!;
    values.set(op.outputs[0]!, { shape: outShape, data: f(op, get, outShape).data });
  }
  return new Map([...values].map(([name, t]) => [name, t.data]));
}
