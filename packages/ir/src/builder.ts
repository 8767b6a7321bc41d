import type { DType } from "./dtype.js";
import { KpuError } from "./errors.js";
import { stepTensors, type EpilogueStep, type Graph, type Op, type Tensor, type UnaryKind } from "./graph.js";
import { inferShape } from "./shapes.js";
import { validateGraph } from "./validate.js";

/** A handle to a tensor while building: its name and shape. */
export interface TensorRef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface OpOptions {
  /** Name of the output tensor; defaults to `t<n>`. */
  readonly name?: string;
  /** Op id; defaults to the output tensor's name. */
  readonly id?: string;
}

/** Sliding-window attributes of conv2d and the pools; defaults: stride 1, no padding, no dilation. */
export interface WindowOptions extends OpOptions {
  readonly stride?: readonly [number, number];
  /** [top, left, bottom, right]. */
  readonly padding?: readonly [number, number, number, number];
  readonly dilation?: readonly [number, number];
}

export interface ConvOptions extends WindowOptions {
  readonly groups?: number;
  /** Steps applied to the output (a `bias_add` step is the conv's bias). */
  readonly epilogue?: readonly EpilogueStep[];
}

export interface PoolOptions extends WindowOptions {
  readonly ceilMode?: boolean;
  readonly countIncludePad?: boolean;
}

type OpSpec = Op extends infer O ? (O extends Op ? Omit<O, "id" | "outputs"> : never) : never;

/**
 * Builds a validated graph op by op, inferring output shapes with the IR's shape inference:
 * `const b = new GraphBuilder("mlp"); const y = b.relu(b.matmul(b.input("x", [4, 8]), b.weight("w", [8, 2])));
 * b.output(y); const graph = b.build();`
 */
export class GraphBuilder {
  private readonly tensors = new Map<string, Tensor>();
  private readonly ops: Op[] = [];
  private readonly inputs: string[] = [];
  private readonly outputs: string[] = [];
  private counter = 0;

  constructor(
    private readonly name: string,
    private readonly dtype: DType = "fp32",
  ) {}

  /** A graph input supplied at run time (an activation). */
  input(name: string, shape: readonly number[], dtype: DType = this.dtype): TensorRef {
    const t = this.declare({ name, shape: [...shape], dtype });
    this.inputs.push(name);
    return t;
  }

  /** A parameter the model holds (weight, bias, embedding table): a graph input counted in the model's parameters. */
  weight(name: string, shape: readonly number[], dtype: DType = this.dtype): TensorRef {
    const t = this.declare({ name, shape: [...shape], dtype, weight: true });
    this.inputs.push(name);
    return t;
  }

  matmul(a: TensorRef, b: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "matmul", inputs: [a.name, b.name] }, options);
  }

  /** A matmul with an epilogue already fused (normally the fusion pass makes these). */
  fusedMatmul(a: TensorRef, b: TensorRef, epilogue: readonly EpilogueStep[], options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "fused_matmul", inputs: [a.name, b.name, ...stepTensors(epilogue)], epilogue }, options);
  }

  batchMatmul(a: TensorRef, b: TensorRef, options: OpOptions & { epilogue?: readonly EpilogueStep[] } = {}): TensorRef {
    const epilogue = options.epilogue ?? [];
    return this.add_({ kind: "batch_matmul", inputs: [a.name, b.name, ...stepTensors(epilogue)], epilogue }, options);
  }

  conv2d(x: TensorRef, w: TensorRef, options: ConvOptions = {}): TensorRef {
    const epilogue = options.epilogue ?? [];
    return this.add_(
      { kind: "conv2d", inputs: [x.name, w.name, ...stepTensors(epilogue)], ...window(options), groups: options.groups ?? 1, epilogue },
      options,
    );
  }

  add(x: TensorRef, y: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "add", inputs: [x.name, y.name] }, options);
  }

  sub(x: TensorRef, y: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "sub", inputs: [x.name, y.name] }, options);
  }

  mul(x: TensorRef, y: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "mul", inputs: [x.name, y.name] }, options);
  }

  div(x: TensorRef, y: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "div", inputs: [x.name, y.name] }, options);
  }

  biasAdd(x: TensorRef, bias: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "bias_add", inputs: [x.name, bias.name] }, options);
  }

  /** relu, gelu, silu, sigmoid, tanh, exp, sqrt or erf. */
  unary(kind: UnaryKind, x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind, inputs: [x.name] }, options);
  }

  relu(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.unary("relu", x, options);
  }

  gelu(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.unary("gelu", x, options);
  }

  silu(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.unary("silu", x, options);
  }

  sigmoid(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.unary("sigmoid", x, options);
  }

  clip(x: TensorRef, min: number, max: number, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "clip", inputs: [x.name], min, max }, options);
  }

  fusedElementwise(x: TensorRef, steps: readonly EpilogueStep[], options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "fused_elementwise", inputs: [x.name, ...stepTensors(steps)], steps }, options);
  }

  softmax(x: TensorRef, axis = -1, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "softmax", inputs: [x.name], axis }, options);
  }

  layerNorm(x: TensorRef, scale?: TensorRef, bias?: TensorRef, options: OpOptions & { axis?: number; epsilon?: number } = {}): TensorRef {
    const inputs = [x, scale, bias].filter((t) => t !== undefined).map((t) => t.name);
    return this.add_({ kind: "layer_norm", inputs, axis: options.axis ?? -1, epsilon: options.epsilon ?? 1e-5 }, options);
  }

  rmsNorm(x: TensorRef, scale?: TensorRef, options: OpOptions & { axis?: number; epsilon?: number } = {}): TensorRef {
    const inputs = [x, scale].filter((t) => t !== undefined).map((t) => t.name);
    return this.add_({ kind: "rms_norm", inputs, axis: options.axis ?? -1, epsilon: options.epsilon ?? 1e-5 }, options);
  }

  reduce(kind: "reduce_mean" | "reduce_sum", x: TensorRef, axes: readonly number[], keepDims = true, options: OpOptions = {}): TensorRef {
    return this.add_({ kind, inputs: [x.name], axes, keepDims }, options);
  }

  maxPool(x: TensorRef, kernel: readonly [number, number], options: PoolOptions = {}): TensorRef {
    return this.pool("max_pool", x, kernel, options);
  }

  avgPool(x: TensorRef, kernel: readonly [number, number], options: PoolOptions = {}): TensorRef {
    return this.pool("avg_pool", x, kernel, options);
  }

  globalAvgPool(x: TensorRef, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "global_avg_pool", inputs: [x.name] }, options);
  }

  reshape(x: TensorRef, shape: readonly number[], options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "reshape", inputs: [x.name], shape }, options);
  }

  transpose(x: TensorRef, perm: readonly number[], options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "transpose", inputs: [x.name], perm }, options);
  }

  flatten(x: TensorRef, axis = 1, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "flatten", inputs: [x.name], axis }, options);
  }

  concat(xs: readonly TensorRef[], axis: number, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "concat", inputs: xs.map((t) => t.name), axis }, options);
  }

  slice(x: TensorRef, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[], options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "slice", inputs: [x.name], starts, ends, axes, steps: steps ?? axes.map(() => 1) }, options);
  }

  pad(x: TensorRef, pads: readonly number[], value = 0, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "pad", inputs: [x.name], pads, value }, options);
  }

  gather(data: TensorRef, indices: TensorRef, axis = 0, options: OpOptions = {}): TensorRef {
    return this.add_({ kind: "gather", inputs: [data.name, indices.name], axis }, options);
  }

  output(t: TensorRef): void {
    this.outputs.push(t.name);
  }

  /**
   * The validated graph. `prune` first drops the ops whose outputs nothing reads (transitively) and the inputs no op
   * reads: an importer that folds shape logic to constants leaves such tensors behind.
   */
  build(options: { readonly prune?: boolean } = {}): Graph {
    const ops = options.prune === true ? liveOps(this.ops, this.outputs) : this.ops;
    const used = new Set([...ops.flatMap((op) => [...op.inputs, ...op.outputs]), ...this.outputs]);
    const keep = (name: string): boolean => options.prune !== true || used.has(name);
    return validateGraph({
      name: this.name,
      tensors: [...this.tensors.values()].filter((t) => keep(t.name)),
      inputs: this.inputs.filter(keep),
      outputs: this.outputs,
      ops,
    });
  }

  private pool(kind: "max_pool" | "avg_pool", x: TensorRef, kernel: readonly [number, number], options: PoolOptions): TensorRef {
    return this.add_(
      { kind, inputs: [x.name], kernel, ...window(options), ceilMode: options.ceilMode ?? false, countIncludePad: options.countIncludePad ?? false },
      options,
    );
  }

  /** Appends an op, inferring its output's shape (errors name the op) and dtype (its first input's). */
  private add_(spec: OpSpec, options: OpOptions): TensorRef {
    const name = options.name ?? `t${this.counter++}`;
    const op = { ...spec, id: options.id ?? name, outputs: [name] } as Op;
    const lookup = (i: number): Tensor => {
      const t = this.tensors.get(op.inputs[i] ?? "");
      if (t === undefined) {
        throw new KpuError("KPU_IR_UNKNOWN_TENSOR", `input ${i} "${op.inputs[i]}" is not declared`, {
          where: `op "${op.id}" (${op.kind})`,
          hint: "Declare the tensor before using it.",
        });
      }
      return t;
    };
    const shape = inferShape(op, lookup);
    const out = this.declare({ name, shape: [...shape], dtype: lookup(0).dtype });
    this.ops.push(op);
    return out;
  }

  private declare(t: Tensor): TensorRef {
    if (this.tensors.has(t.name)) {
      throw new KpuError("KPU_IR_DUPLICATE_TENSOR", "tensor is declared twice", {
        where: `tensor "${t.name}"`,
        hint: "Pass a different name.",
      });
    }
    this.tensors.set(t.name, t);
    return t;
  }
}

/** The ops some graph output depends on, in their order (a backward sweep over the ops). */
function liveOps(ops: readonly Op[], outputs: readonly string[]): Op[] {
  const needed = new Set(outputs);
  const live: Op[] = [];
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (!op.outputs.some((o) => needed.has(o))) continue;
    live.push(op);
    for (const input of op.inputs) needed.add(input);
  }
  return live.reverse();
}

function window(options: WindowOptions): { stride: readonly [number, number]; padding: readonly [number, number, number, number]; dilation: readonly [number, number] } {
  return { stride: options.stride ?? [1, 1], padding: options.padding ?? [0, 0, 0, 0], dilation: options.dilation ?? [1, 1] };
}
