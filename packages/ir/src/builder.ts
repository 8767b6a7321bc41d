import type { DType } from "./dtype.js";
import { KpuError } from "./errors.js";
import type { EpilogueStep, Graph, Op, Tensor } from "./graph.js";
import { validateGraph } from "./validate.js";

/** A handle to a tensor while building: its name and shape. */
export interface TensorRef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface OpOptions {
  /** Name of the output tensor; defaults to `<kind>_<n>`. */
  readonly name?: string;
  /** Op id; defaults to the output tensor's name. */
  readonly id?: string;
}

/**
 * Builds a validated graph op by op, inferring output shapes:
 * `const b = new GraphBuilder("mlp"); const y = b.relu(b.matmul(b.input("x", [4, 8]), b.input("w", [8, 2])));
 * b.output(y); const graph = b.build();`
 */
export class GraphBuilder {
  private readonly tensors: Tensor[] = [];
  private readonly ops: Op[] = [];
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  private counter = 0;

  constructor(
    private readonly name: string,
    private readonly dtype: DType = "fp32",
  ) {}

  /** A graph input (activation or weight). */
  input(name: string, shape: readonly number[], dtype: DType = this.dtype): TensorRef {
    const t = this.declare(name, shape, dtype);
    this.inputs.push(name);
    return t;
  }

  matmul(a: TensorRef, b: TensorRef, options: OpOptions = {}): TensorRef {
    return this.op("matmul", [a, b], [a.shape[0] ?? 0, b.shape[1] ?? 0], options);
  }

  add(x: TensorRef, y: TensorRef, options: OpOptions = {}): TensorRef {
    return this.op("add", [x, y], x.shape, options);
  }

  biasAdd(x: TensorRef, bias: TensorRef, options: OpOptions = {}): TensorRef {
    return this.op("bias_add", [x, bias], x.shape, options);
  }

  relu(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.op("relu", [x], x.shape, options);
  }

  gelu(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.op("gelu", [x], x.shape, options);
  }

  /** A matmul with an epilogue already fused (normally the fusion pass makes these). */
  fusedMatmul(a: TensorRef, b: TensorRef, epilogue: readonly EpilogueStep[], options: OpOptions = {}): TensorRef {
    const extra = epilogue.flatMap((s) => (s.kind === "bias_add" || s.kind === "add" ? [s.tensor] : []));
    const out = this.declare(this.outName(options), [a.shape[0] ?? 0, b.shape[1] ?? 0], a.dtype);
    this.ops.push({
      id: options.id ?? out.name,
      kind: "fused_matmul",
      inputs: [a.name, b.name, ...extra],
      outputs: [out.name],
      epilogue,
    });
    return out;
  }

  output(t: TensorRef): void {
    this.outputs.push(t.name);
  }

  build(): Graph {
    return validateGraph({
      name: this.name,
      tensors: this.tensors,
      inputs: this.inputs,
      outputs: this.outputs,
      ops: this.ops,
    });
  }

  private declare(name: string, shape: readonly number[], dtype: DType): TensorRef {
    if (this.tensors.some((t) => t.name === name)) {
      throw new KpuError("KPU_IR_DUPLICATE_TENSOR", "tensor is declared twice", {
        where: `tensor "${name}"`,
        hint: "Pass a different name.",
      });
    }
    const t = { name, shape: [...shape], dtype };
    this.tensors.push(t);
    return t;
  }

  private outName(options: OpOptions): string {
    return options.name ?? `t${this.counter++}`;
  }

  private op(
    kind: "matmul" | "add" | "bias_add" | "relu" | "gelu",
    args: readonly TensorRef[],
    shape: readonly number[],
    options: OpOptions,
  ): TensorRef {
    const out = this.declare(this.outName(options), shape, args[0]!.dtype);
    this.ops.push({ id: options.id ?? out.name, kind, inputs: args.map((t) => t.name), outputs: [out.name] });
    return out;
  }
}
