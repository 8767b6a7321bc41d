import { KpuError, type Graph } from "@kpu/ir";

/**
 * The reference's own activations, written independently of the executor's kernels (./kernels.ts) so that a wrong
 * kernel cannot pass by being compared with itself. GELU is the tanh approximation (as in BERT),
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), evaluated in its equivalent logistic form
 * x / (1 + exp(-2 sqrt(2/pi) (x + 0.044715 x^3))) (since 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u))).
 */
export function referenceGelu(x: number): number {
  const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3);
  return x / (1 + Math.exp(-2 * u));
}

/** max(x, 0), the reference's own. */
export function referenceRelu(x: number): number {
  return Math.max(x, 0);
}

/** Tensors by name, row-major. */
export type TensorValues = ReadonlyMap<string, Float32Array | Float64Array>;

/**
 * The reference: evaluates `graph` op by op in float64, straight from the op definitions (no tiles, no SRAM), and
 * returns every tensor. Matmul C[M,N] = A[M,K] B[K,N]; bias_add broadcasts a [N] bias over rows; add is elementwise;
 * fused matmuls apply their epilogue in order.
 */
export function referenceExecute(graph: Graph, inputs: TensorValues): Map<string, Float64Array> {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  const values = new Map<string, Float64Array>();
  for (const name of graph.inputs) {
    const v = inputs.get(name);
    if (v === undefined) throw new KpuError("KPU_EXEC_MISSING_INPUT", `no data for input "${name}"`, { where: `tensor "${name}"`, hint: "Pass every graph input." });
    values.set(name, Float64Array.from(v));
  }
  const get = (name: string): Float64Array => values.get(name)!;
  const cols = (name: string): number => shapes.get(name)!.at(-1)!;
  const addBias = (x: Float64Array, bias: Float64Array): void => {
    const n = bias.length;
    for (let i = 0; i < x.length; i++) x[i]! += bias[i % n]!;
  };
  const addInto = (x: Float64Array, y: Float64Array): void => {
    for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
  };
  const map = (x: Float64Array, f: (v: number) => number): void => {
    for (let i = 0; i < x.length; i++) x[i] = f(x[i]!);
  };
  for (const op of graph.ops) {
    const [i0, i1] = op.inputs;
    let out: Float64Array;
    switch (op.kind) {
      case "matmul":
      case "fused_matmul": {
        const A = get(i0!);
        const B = get(i1!);
        const K = cols(i0!);
        const N = cols(i1!);
        const M = A.length / K;
        out = new Float64Array(M * N);
        for (let m = 0; m < M; m++) {
          for (let k = 0; k < K; k++) {
            const a = A[m * K + k]!;
            for (let n = 0; n < N; n++) out[m * N + n]! += a * B[k * N + n]!;
          }
        }
        if (op.kind === "fused_matmul") {
          for (const step of op.epilogue) {
            if (step.kind === "bias_add") addBias(out, get(step.tensor));
            else if (step.kind === "add") addInto(out, get(step.tensor));
            else if (step.kind === "relu" || step.kind === "gelu") map(out, step.kind === "relu" ? referenceRelu : referenceGelu);
            else throw unsupported(op.id, step.kind);
          }
        }
        break;
      }
      case "add":
        out = get(i0!).slice();
        addInto(out, get(i1!));
        break;
      case "bias_add":
        out = get(i0!).slice();
        addBias(out, get(i1!));
        break;
      case "relu":
      case "gelu":
        out = get(i0!).slice();
        map(out, op.kind === "relu" ? referenceRelu : referenceGelu);
        break;
      default:
        throw unsupported(op.id, op.kind);
    }
    values.set(op.outputs[0]!, out);
  }
  return values;
}

function unsupported(id: string, kind: string): KpuError {
  return new KpuError("KPU_IR_UNSUPPORTED_OP", `the micro-op reference takes matmul chains, not ${kind}`, { where: `op "${id}" (${kind})` });
}
