import type { KpuErrorCode } from "./error-codes.js";
import { KpuError } from "./errors.js";
import type { EpilogueStep, Op, Tensor } from "./graph.js";

/** Shape inference: the output shape of each op kind from its inputs, or a `KpuError` naming the op and the tensor. */

type Input = (i: number) => Tensor;

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join("x")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Builds the error thrower of one op: every message names the op. */
function opFail(op: Op) {
  const where = `op "${op.id}" (${op.kind})`;
  return (code: KpuErrorCode, message: string, hint: string): never => {
    throw new KpuError(code, message, { where, hint });
  };
}
type Fail = ReturnType<typeof opFail>;

function arity(op: Op, fail: Fail, min: number, max = min): void {
  const n = op.inputs.length;
  if (n < min || n > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail("KPU_IR_ARITY", `has ${n} inputs, expected ${expected}`, "Fix the op's inputs.");
  }
}

function sameDtype(fail: Fail, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    fail("KPU_IR_DTYPE_MISMATCH", `tensor "${a.name}" is ${a.dtype} but "${b.name}" is ${b.dtype}`, "Cast one operand so both have the same dtype.");
  }
}

function rankAtLeast(fail: Fail, t: Tensor, rank: number, layout: string): void {
  if (t.shape.length < rank) {
    fail("KPU_IR_BAD_RANK", `tensor "${t.name}" has shape ${shapeText(t.shape)}; ${layout}`, `Reshape "${t.name}" first.`);
  }
}

function rankExactly(fail: Fail, t: Tensor, rank: number, layout: string): void {
  if (t.shape.length !== rank) {
    fail("KPU_IR_BAD_RANK", `tensor "${t.name}" has shape ${shapeText(t.shape)}; ${layout}`, `Reshape "${t.name}" first.`);
  }
}

/** A dimension index, negative counting from the end; `end` allows rank itself (Flatten's axis). */
function axisOf(fail: Fail, axis: number, rank: number, name: string, end = false): number {
  const top = end ? rank : rank - 1;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a > top) {
    fail("KPU_IR_BAD_ATTR", `${name} ${axis} is outside [${-rank}, ${top}] for a rank-${rank} tensor`, `Give ${name} as a dimension index of the input.`);
  }
  return a;
}

function positiveInts(fail: Fail, values: readonly number[], name: string, count: number, min = 1): void {
  if (values.length !== count || values.some((v) => !Number.isInteger(v) || v < min)) {
    fail("KPU_IR_BAD_ATTR", `${name} is [${values.join(", ")}]; expected ${count} integers >= ${min}`, `Fix ${name}.`);
  }
}

/** NumPy broadcasting of two shapes, or undefined when a pair of dimensions is neither equal nor 1. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

function broadcast(fail: Fail, x: Tensor, y: Tensor): number[] {
  const out = broadcastShapes(x.shape, y.shape);
  if (out === undefined) {
    fail(
      "KPU_IR_SHAPE_MISMATCH",
      `"${x.name}" ${shapeText(x.shape)} and "${y.name}" ${shapeText(y.shape)} do not broadcast`,
      "Dimensions must be equal or 1, aligned from the last.",
    );
  }
  return out;
}

/**
 * Checks an epilogue against the output shape: its tensors are the op's inputs from `first` on, in step order; a bias is
 * one value per channel (`channelAxis` of the output); add and mul broadcast onto the output without growing it.
 */
function checkSteps(op: Op, fail: Fail, input: Input, steps: readonly EpilogueStep[], out: readonly number[], first: number, channelAxis: number): void {
  let next = first;
  for (const step of steps) {
    if (step.kind === "clip" && !(step.min <= step.max)) {
      fail("KPU_IR_BAD_ATTR", `clip has min ${step.min} above max ${step.max}`, "Give clip's min <= max.");
    }
    if (!("tensor" in step)) continue;
    if (next >= op.inputs.length || op.inputs[next] !== step.tensor) {
      fail("KPU_IR_BAD_EPILOGUE", `epilogue step ${step.kind} names "${step.tensor}" but input ${next} is "${op.inputs[next] ?? "missing"}"`, "List the epilogue's tensors after the operands, in epilogue order.");
    }
    const t = input(next++);
    sameDtype(fail, input(0), t);
    if (step.kind === "bias_add") {
      const channels = out[channelAxis];
      if (t.shape.length !== 1 || t.shape[0] !== channels) {
        fail("KPU_IR_SHAPE_MISMATCH", `bias "${t.name}" has shape ${shapeText(t.shape)} but must be [${channels}] to match ${shapeText(out)}`, "A bias has one element per output channel.");
      }
    } else {
      const b = broadcastShapes(out, t.shape);
      if (b === undefined || !sameShape(b, out)) {
        fail("KPU_IR_SHAPE_MISMATCH", `"${t.name}" has shape ${shapeText(t.shape)}, which does not broadcast onto ${shapeText(out)}`, `The ${step.kind} operand must broadcast to the op's output shape.`);
      }
    }
  }
  if (next !== op.inputs.length) {
    fail("KPU_IR_ARITY", `has ${op.inputs.length} inputs but its operands and epilogue take ${next}`, "Inputs are the operands, then one tensor per bias_add, add or mul step.");
  }
}

function matmulShape(op: Op, fail: Fail, input: Input): number[] {
  const a = input(0);
  const b = input(1);
  const batched = op.kind === "batch_matmul";
  const layout = batched ? "batch_matmul takes [..., rows, cols] operands" : `${op.kind} takes rank-2 operands`;
  if (batched) {
    rankAtLeast(fail, a, 2, layout);
    rankAtLeast(fail, b, 2, layout);
  } else {
    rankExactly(fail, a, 2, layout);
    rankExactly(fail, b, 2, layout);
  }
  sameDtype(fail, a, b);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [kb, n] = b.shape.slice(-2) as [number, number];
  if (k !== kb) {
    fail("KPU_IR_SHAPE_MISMATCH", `inner dimensions differ: "${a.name}" is ${shapeText(a.shape)} and "${b.name}" is ${shapeText(b.shape)}`, "For C = A x B, A's column count must equal B's row count.");
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === undefined) {
    fail("KPU_IR_SHAPE_MISMATCH", `batch dimensions of "${a.name}" ${shapeText(a.shape)} and "${b.name}" ${shapeText(b.shape)} do not broadcast`, "Batch dimensions must be equal or 1, aligned from the last.");
  }
  return [...batch, m, n];
}

/** Output size of a sliding window: floor (or ceil) of (in + pads - dilation * (kernel - 1) - 1) / stride, plus 1. */
export function windowOutput(inSize: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceilMode = false): number {
  const span = inSize + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // A window that would start in the end padding is dropped (PyTorch and ONNX ceil_mode).
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out--;
  return out;
}

function windowAttrs(fail: Fail, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[]): void {
  positiveInts(fail, kernel, "kernel", 2);
  positiveInts(fail, stride, "stride", 2);
  positiveInts(fail, dilation, "dilation", 2);
  positiveInts(fail, padding, "padding", 4, 0);
}

function windowShape(fail: Fail, x: Tensor, channels: number, k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceil: boolean): number[] {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const oh = windowOutput(h, k[0]!, s[0]!, p[0]!, p[2]!, d[0]!, ceil);
  const ow = windowOutput(w, k[1]!, s[1]!, p[1]!, p[3]!, d[1]!, ceil);
  if (oh <= 0 || ow <= 0) {
    fail("KPU_IR_BAD_ATTR", `a ${k[0]}x${k[1]} window (dilation ${d[0]}x${d[1]}, padding ${p.join(",")}) on "${x.name}" ${shapeText(x.shape)} gives an output of ${oh}x${ow}`, "Use a smaller kernel or dilation, or more padding.");
  }
  return [n, channels, oh, ow];
}

function convShape(op: Extract<Op, { kind: "conv2d" }>, fail: Fail, input: Input): number[] {
  const x = input(0);
  const w = input(1);
  rankExactly(fail, x, 4, "conv2d takes an NCHW input [N, C, H, W]");
  rankExactly(fail, w, 4, "conv2d takes weights [OC, C/groups, KH, KW]");
  sameDtype(fail, x, w);
  windowAttrs(fail, w.shape.slice(2), op.stride, op.padding, op.dilation);
  const c = x.shape[1]!;
  const oc = w.shape[0]!;
  const g = op.groups;
  if (!Number.isInteger(g) || g < 1 || c % g !== 0 || oc % g !== 0) {
    fail("KPU_IR_BAD_ATTR", `groups ${g} does not divide the ${c} input channels of "${x.name}" and the ${oc} output channels of "${w.name}"`, "groups must divide both channel counts (groups = C is depthwise).");
  }
  if (w.shape[1] !== c / g) {
    fail("KPU_IR_SHAPE_MISMATCH", `weights "${w.name}" ${shapeText(w.shape)} have ${w.shape[1]} input channels per group but "${x.name}" has ${c} / ${g} = ${c / g}`, "Weights are [OC, C/groups, KH, KW].");
  }
  const out = windowShape(fail, x, oc, w.shape.slice(2), op.stride, op.padding, op.dilation, false);
  checkSteps(op, fail, input, op.epilogue, out, 2, 1);
  return out;
}

function normShape(op: Extract<Op, { kind: "layer_norm" | "rms_norm" }>, fail: Fail, input: Input): readonly number[] {
  arity(op, fail, 1, op.kind === "layer_norm" ? 3 : 2);
  const x = input(0);
  const axis = axisOf(fail, op.axis, x.shape.length, "axis");
  if (!(op.epsilon >= 0)) fail("KPU_IR_BAD_ATTR", `epsilon is ${op.epsilon}`, "Give epsilon >= 0, e.g. 1e-5.");
  const normalized = x.shape.slice(axis);
  for (let i = 1; i < op.inputs.length; i++) {
    const t = input(i);
    sameDtype(fail, x, t);
    if (!sameShape(t.shape, normalized)) {
      fail("KPU_IR_SHAPE_MISMATCH", `"${t.name}" has shape ${shapeText(t.shape)} but the normalized dimensions of "${x.name}" are ${shapeText(normalized)}`, "Scale and bias have the shape of the normalized dimensions.");
    }
  }
  return x.shape;
}

function reduceShape(op: Extract<Op, { kind: "reduce_mean" | "reduce_sum" }>, fail: Fail, x: Tensor): number[] {
  const axes = op.axes.map((a) => axisOf(fail, a, x.shape.length, "axes"));
  if (new Set(axes).size !== axes.length || axes.length === 0) {
    fail("KPU_IR_BAD_ATTR", `axes [${op.axes.join(", ")}] are empty or repeat a dimension`, "List each reduced dimension once.");
  }
  const out = x.shape.flatMap((d, i) => (axes.includes(i) ? (op.keepDims ? [1] : []) : [d]));
  return out.length === 0 ? [1] : out;
}

function reshapeShape(op: Extract<Op, { kind: "reshape" }>, fail: Fail, x: Tensor): readonly number[] {
  const count = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
  if (op.shape.length === 0 || op.shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    fail("KPU_IR_BAD_ATTR", `shape [${op.shape.join(", ")}] must list positive dimensions`, "Resolve -1 and 0 to sizes before the reshape.");
  }
  if (count(op.shape) !== count(x.shape)) {
    fail("KPU_IR_SHAPE_MISMATCH", `cannot reshape "${x.name}" ${shapeText(x.shape)} (${count(x.shape)} elements) to ${shapeText(op.shape)} (${count(op.shape)})`, "A reshape keeps the element count.");
  }
  return op.shape;
}

function transposeShape(op: Extract<Op, { kind: "transpose" }>, fail: Fail, x: Tensor): number[] {
  const r = x.shape.length;
  const perm = op.perm;
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    fail("KPU_IR_BAD_ATTR", `perm [${perm.join(", ")}] is not a permutation of the ${r} dimensions of "${x.name}"`, `List each of 0..${r - 1} once.`);
  }
  return perm.map((p) => x.shape[p]!);
}

function concatShape(op: Op & { axis: number }, fail: Fail, input: Input): number[] {
  arity(op, fail, 1, Infinity);
  const x = input(0);
  const axis = axisOf(fail, op.axis, x.shape.length, "axis");
  const out = [...x.shape];
  for (let i = 1; i < op.inputs.length; i++) {
    const t = input(i);
    sameDtype(fail, x, t);
    if (t.shape.length !== x.shape.length || t.shape.some((d, j) => j !== axis && d !== x.shape[j])) {
      fail("KPU_IR_SHAPE_MISMATCH", `"${t.name}" ${shapeText(t.shape)} and "${x.name}" ${shapeText(x.shape)} differ outside axis ${axis}`, "Concatenated tensors agree on every other dimension.");
    }
    out[axis]! += t.shape[axis]!;
  }
  return out;
}

function sliceShape(op: Extract<Op, { kind: "slice" }>, fail: Fail, x: Tensor): number[] {
  const n = op.axes.length;
  if (op.starts.length !== n || op.ends.length !== n || op.steps.length !== n) {
    fail("KPU_IR_BAD_ATTR", "starts, ends, axes and steps have different lengths", "Give one start, end and step per axis.");
  }
  const out = [...x.shape];
  op.axes.forEach((a, i) => {
    const axis = axisOf(fail, a, x.shape.length, "axes");
    const dim = x.shape[axis]!;
    const step = op.steps[i]!;
    if (!Number.isInteger(step) || step < 1) fail("KPU_IR_BAD_ATTR", `step ${step} on axis ${a} is not a positive integer`, "Only forward slices are modelled.");
    const clamp = (v: number): number => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
    const len = Math.ceil((clamp(op.ends[i]!) - clamp(op.starts[i]!)) / step);
    if (!(len > 0)) fail("KPU_IR_BAD_ATTR", `slice [${op.starts[i]}:${op.ends[i]}:${step}] of axis ${a} (size ${dim}) of "${x.name}" is empty`, "Empty tensors are not modelled.");
    out[axis] = len;
  });
  return out;
}

function gatherShape(op: Extract<Op, { kind: "gather" }>, fail: Fail, input: Input): number[] {
  const data = input(0);
  const indices = input(1);
  if (indices.dtype !== "int32" && indices.dtype !== "int64") {
    fail("KPU_IR_DTYPE_MISMATCH", `indices "${indices.name}" are ${indices.dtype}`, "Gather indices are int32 or int64.");
  }
  const axis = axisOf(fail, op.axis, data.shape.length, "axis");
  return [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
}

function poolShape(op: Extract<Op, { kind: "max_pool" | "avg_pool" }>, fail: Fail, x: Tensor): number[] {
  rankExactly(fail, x, 4, `${op.kind} takes an NCHW input [N, C, H, W]`);
  windowAttrs(fail, op.kernel, op.stride, op.padding, op.dilation);
  return windowShape(fail, x, x.shape[1]!, op.kernel, op.stride, op.padding, op.dilation, op.ceilMode);
}

/** Infers the output shape of `op` from its input tensors, or throws a shape error naming the op and tensor. */
export function inferShape(op: Op, input: Input): readonly number[] {
  const fail = opFail(op);
  const x = (): Tensor => input(0);
  switch (op.kind) {
    case "matmul":
      arity(op, fail, 2);
      return matmulShape(op, fail, input);
    case "fused_matmul":
    case "batch_matmul": {
      arity(op, fail, 2, Infinity);
      const out = matmulShape(op, fail, input);
      checkSteps(op, fail, input, op.epilogue, out, 2, out.length - 1);
      return out;
    }
    case "conv2d":
      arity(op, fail, 2, Infinity);
      return convShape(op, fail, input);
    case "bias_add":
      arity(op, fail, 2);
      checkSteps(op, fail, input, [{ kind: "bias_add", tensor: op.inputs[1]! }], x().shape, 1, x().shape.length - 1);
      return x().shape;
    case "add":
    case "sub":
    case "mul":
    case "div":
      arity(op, fail, 2);
      sameDtype(fail, x(), input(1));
      return broadcast(fail, x(), input(1));
    case "fused_elementwise":
      arity(op, fail, 1, Infinity);
      checkSteps(op, fail, input, op.steps, x().shape, 1, x().shape.length - 1);
      return x().shape;
    case "clip":
      arity(op, fail, 1);
      checkSteps(op, fail, input, [{ kind: "clip", min: op.min, max: op.max }], x().shape, 1, 0);
      return x().shape;
    case "softmax":
      arity(op, fail, 1);
      axisOf(fail, op.axis, x().shape.length, "axis");
      return x().shape;
    case "layer_norm":
    case "rms_norm":
      return normShape(op, fail, input);
    case "reduce_mean":
    case "reduce_sum":
      arity(op, fail, 1);
      return reduceShape(op, fail, x());
    case "max_pool":
    case "avg_pool":
      arity(op, fail, 1);
      return poolShape(op, fail, x());
    case "global_avg_pool":
      arity(op, fail, 1);
      rankAtLeast(fail, x(), 3, "global_avg_pool takes [N, C, spatial...]");
      return x().shape.map((d, i) => (i < 2 ? d : 1));
    case "reshape":
      arity(op, fail, 1);
      return reshapeShape(op, fail, x());
    case "transpose":
      arity(op, fail, 1);
      return transposeShape(op, fail, x());
    case "flatten": {
      arity(op, fail, 1);
      const axis = axisOf(fail, op.axis, x().shape.length, "axis", true);
      const product = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
      return [product(x().shape.slice(0, axis)), product(x().shape.slice(axis))];
    }
    case "concat":
      return concatShape(op, fail, input);
    case "slice":
      arity(op, fail, 1);
      return sliceShape(op, fail, x());
    case "pad":
      arity(op, fail, 1);
      positiveInts(fail, op.pads, "pads", 2 * x().shape.length, 0);
      return x().shape.map((d, i) => d + op.pads[i]! + op.pads[i + x().shape.length]!);
    case "gather":
      arity(op, fail, 2);
      return gatherShape(op, fail, input);
    default:
      arity(op, fail, 1);
      return x().shape;
  }
}
