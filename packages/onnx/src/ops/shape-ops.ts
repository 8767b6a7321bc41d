import { broadcastShapes, type TensorRef } from "@kpu/ir";
import { DATA_TYPE, MAX_CONST_ELEMENTS, elements, isFloatType, type Const } from "../constants.js";
import { attr, constantNodeValue, intAttr, intsAttr, UnsupportedNode, type ImportContext } from "../context.js";
import { concatConst, expandConst, gatherConst, rangeConst, reshapeConst, sliceConst } from "../fold.js";
import type { OnnxNode } from "../schema.js";
import type { Handler } from "./handler.js";

/** Shape ops: on constants they fold; on tensors they become reshape, slice, concat, gather and transpose ops. */

const rank0 = (s: readonly number[]): readonly number[] => (s.length === 0 ? [1] : s);

function normalize(axis: number, rank: number, ctx: ImportContext, node: OnnxNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw ctx.fail(node, `axis ${axis} is outside a rank-${rank} tensor`);
  return a;
}

/** Axes from an input (newer opsets) or an attribute (older ones). */
function axesOf(node: OnnxNode, ctx: ImportContext, inputIndex: number, name = "axes"): number[] | undefined {
  if ((node.input[inputIndex] ?? "") !== "") return ctx.requireConst(node, inputIndex, name).data.map(Number);
  return intsAttr(node, name);
}

/** A constant value, or a tensor's reshape to `shape`. */
function reshapeValue(node: OnnxNode, ctx: ImportContext, shape: readonly number[]): void {
  const name = node.input[0]!;
  const c = ctx.constOf(name);
  if (c !== undefined) {
    const folded = reshapeConst(c, shape);
    if (folded === undefined) throw ctx.fail(node, `cannot reshape a constant of shape [${c.shape.join(",")}] to [${shape.join(",")}]`);
    ctx.set(node.output[0]!, { kind: "const", c: folded });
    return;
  }
  const x = ctx.tensor(name, node);
  ctx.setTensor(node.output[0]!, ctx.b.reshape(x, rank0(shape), ctx.out(node)));
}

const constant: Handler = (node, ctx) => {
  const c = constantNodeValue(node);
  const t = node.attribute[0]?.t;
  if (c !== undefined) ctx.set(node.output[0]!, { kind: "const", c });
  else if (t != null && isFloatType(t.data_type)) ctx.addWeight(node.output[0]!, t);
  else throw new UnsupportedNode(`a Constant whose ${node.attribute[0]?.name ?? "value"} is not a readable tensor`);
};

const identity: Handler = (node, ctx) => {
  if ((node.output[1] ?? "") !== "" && (ctx.consumers.get(node.output[1]!)?.length ?? 0) > 0) throw new UnsupportedNode("a Dropout whose mask is read");
  const name = node.input[0]!;
  if (ctx.isWeight(name)) { ctx.alias(node.output[0]!, name); return; }
  const c = ctx.constOf(name);
  ctx.set(node.output[0]!, c !== undefined ? { kind: "const", c } : { kind: "tensor", ref: ctx.tensor(name, node) });
};

const cast: Handler = (node, ctx) => {
  const to = intAttr(node, "to", DATA_TYPE.FLOAT);
  const c = ctx.constOf(node.input[0]!);
  if (c !== undefined) {
    const int = !isFloatType(to);
    const data = to === DATA_TYPE.BOOL ? c.data.map((v) => (v !== 0 ? 1 : 0)) : int ? c.data.map(Math.trunc) : c.data;
    ctx.set(node.output[0]!, { kind: "const", c: { int, shape: c.shape, data } });
    return;
  }
  const x = ctx.tensor(node.input[0]!, node);
  const fromFloat = !["int64", "int32", "int8"].includes(x.dtype);
  if (fromFloat !== isFloatType(to)) throw new UnsupportedNode(`a Cast of the tensor "${x.name}" (${x.dtype}) between integer and float`);
  ctx.setTensor(node.output[0]!, x);
};

const shape: Handler = (node, ctx) => {
  const dims = ctx.shapeOf(node.input[0]!, node);
  const start = intAttr(node, "start", 0);
  const end = intAttr(node, "end", dims.length);
  const clamp = (v: number): number => Math.min(dims.length, Math.max(0, v < 0 ? v + dims.length : v));
  const data = dims.slice(clamp(start), clamp(end));
  ctx.set(node.output[0]!, { kind: "const", c: { int: true, shape: [data.length], data } });
};

const size: Handler = (node, ctx) => {
  ctx.set(node.output[0]!, { kind: "const", c: { int: true, shape: [], data: [elements(ctx.shapeOf(node.input[0]!, node))] } });
};

const reshape: Handler = (node, ctx) => {
  const target = ctx.requireConst(node, 1, "the shape").data;
  const input = ctx.shapeOf(node.input[0]!, node);
  const allowZero = intAttr(node, "allowzero", 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const resolved = dims.map((d) => (d === -1 ? elements(input) / known : d));
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || elements(resolved) !== elements(input)) {
    throw ctx.fail(node, `shape [${target.join(", ")}] does not fit an input of shape [${input.join(", ")}]`);
  }
  reshapeValue(node, ctx, resolved);
};

const flatten: Handler = (node, ctx) => {
  const input = ctx.shapeOf(node.input[0]!, node);
  const raw = intAttr(node, "axis", 1);
  const axis = raw < 0 ? raw + input.length : raw;
  const c = ctx.constOf(node.input[0]!);
  if (c !== undefined) { reshapeValue(node, ctx, [elements(input.slice(0, axis)), elements(input.slice(axis))]); return; }
  ctx.setTensor(node.output[0]!, ctx.b.flatten(ctx.tensor(node.input[0]!, node), axis, ctx.out(node)));
};

const unsqueeze: Handler = (node, ctx) => {
  const input = ctx.shapeOf(node.input[0]!, node);
  const axes = axesOf(node, ctx, 1) ?? [];
  const rank = input.length + axes.length;
  const at = new Set(axes.map((a) => normalize(a, rank, ctx, node)));
  const out: number[] = [];
  for (let i = 0, j = 0; i < rank; i++) out.push(at.has(i) ? 1 : input[j++]!);
  reshapeValue(node, ctx, out);
};

const squeeze: Handler = (node, ctx) => {
  const input = ctx.shapeOf(node.input[0]!, node);
  const axes = axesOf(node, ctx, 1);
  const drop = new Set(axes === undefined ? input.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => normalize(a, input.length, ctx, node)));
  reshapeValue(node, ctx, input.filter((_, i) => !drop.has(i)));
};

const concat: Handler = (node, ctx) => {
  const inputs = node.input.filter((n) => n !== "");
  const axis = intAttr(node, "axis", 0);
  const consts = inputs.map((n) => ctx.constOf(n));
  if (consts.every((c) => c !== undefined)) {
    const folded = concatConst(consts, axis);
    if (folded === undefined) throw ctx.fail(node, "its constant inputs do not concatenate");
    ctx.set(node.output[0]!, { kind: "const", c: folded });
    return;
  }
  const refs = inputs.map((n) => ctx.tensor(n, node)).filter((r) => !r.shape.includes(0));
  ctx.setTensor(node.output[0]!, refs.length === 1 ? refs[0]! : ctx.b.concat(refs, axis, ctx.out(node)));
};

/** Slice bounds from inputs (opset 10 on) or attributes (before). */
function sliceArgs(node: OnnxNode, ctx: ImportContext, rank: number): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
  const fromInputs = node.input.length > 1;
  const starts = fromInputs ? ctx.requireConst(node, 1, "starts").data.map(Number) : (intsAttr(node, "starts") ?? []);
  const ends = fromInputs ? ctx.requireConst(node, 2, "ends").data.map(Number) : (intsAttr(node, "ends") ?? []);
  const axes = (fromInputs ? axesOf(node, ctx, 3) : intsAttr(node, "axes")) ?? starts.map((_, i) => i);
  const steps = fromInputs && (node.input[4] ?? "") !== "" ? ctx.requireConst(node, 4, "steps").data.map(Number) : axes.map(() => 1);
  return { starts, ends, axes: axes.map((a) => normalize(a, rank, ctx, node)), steps };
}

/** INT64_MAX and INT64_MIN as "to the end" survive as float64 and clamp, but stay readable in a graph file. */
const clampBound = (v: number, dim: number): number => Math.max(-dim - 1, Math.min(dim, v));

const slice: Handler = (node, ctx) => {
  const input = ctx.shapeOf(node.input[0]!, node);
  const { starts, ends, axes, steps } = sliceArgs(node, ctx, input.length);
  const c = ctx.constOf(node.input[0]!);
  if (c !== undefined) {
    const folded = sliceConst(c, starts, ends, axes, steps);
    if (folded === undefined) throw ctx.fail(node, "its constant slice is out of range");
    ctx.set(node.output[0]!, { kind: "const", c: folded });
    return;
  }
  if (steps.some((s) => s < 1)) throw new UnsupportedNode("a Slice with a negative step (a reversal)");
  const x = ctx.tensor(node.input[0]!, node);
  const s = starts.map((v, i) => clampBound(v, input[axes[i]!]!));
  const e = ends.map((v, i) => clampBound(v, input[axes[i]!]!));
  ctx.setTensor(node.output[0]!, ctx.b.slice(x, s, e, axes, steps, ctx.out(node)));
};

const split: Handler = (node, ctx) => {
  const input = ctx.shapeOf(node.input[0]!, node);
  const axis = normalize(intAttr(node, "axis", 0), input.length, ctx, node);
  const outputs = node.output.length;
  const given = (node.input[1] ?? "") !== "" ? ctx.requireConst(node, 1, "split").data.map(Number) : intsAttr(node, "split");
  const dim = input[axis]!;
  const chunk = Math.ceil(dim / outputs);
  const sizes = given ?? Array.from({ length: outputs }, (_, i) => Math.min(chunk, dim - i * chunk));
  const c = ctx.constOf(node.input[0]!);
  let start = 0;
  sizes.forEach((len, i) => {
    const end = start + len;
    if (c !== undefined) {
      ctx.set(node.output[i]!, { kind: "const", c: sliceConst(c, [start], [end], [axis], [1])! });
    } else {
      const x = ctx.tensor(node.input[0]!, node);
      ctx.setTensor(node.output[i]!, ctx.b.slice(x, [start], [end], [axis], [1], ctx.out(node, i)));
    }
    start = end;
  });
};

const transpose: Handler = (node, ctx) => {
  const x = ctx.tensor(node.input[0]!, node);
  const perm = intsAttr(node, "perm") ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  ctx.setTensor(node.output[0]!, ctx.b.transpose(x, perm, ctx.out(node)));
};

/** data[indices]: constants fold; one constant index is a slice and a reshape; else an IR gather (embeddings). */
const gather: Handler = (node, ctx) => {
  const axisRaw = intAttr(node, "axis", 0);
  const data = ctx.constOf(node.input[0]!);
  const indices = ctx.constOf(node.input[1]!);
  if (data !== undefined && indices !== undefined) {
    const folded = gatherConst(data, indices, axisRaw);
    if (folded === undefined) throw ctx.fail(node, "its constant indices are out of range");
    ctx.set(node.output[0]!, { kind: "const", c: folded });
    return;
  }
  const x = ctx.tensor(node.input[0]!, node);
  const axis = normalize(axisRaw, x.shape.length, ctx, node);
  if (indices !== undefined && indices.shape.length === 0) {
    const dim = x.shape[axis]!;
    const i = indices.data[0]! < 0 ? indices.data[0]! + dim : indices.data[0]!;
    const picked = ctx.b.slice(x, [i], [i + 1], [axis], [1], ctx.temp(node, "slice"));
    ctx.setTensor(node.output[0]!, ctx.b.reshape(picked, rank0(x.shape.filter((_, d) => d !== axis)), ctx.out(node)));
    return;
  }
  ctx.setTensor(node.output[0]!, ctx.b.gather(x, ctx.tensor(node.input[1]!, node), axis, ctx.out(node)));
};

/** Expand: constants fold; a tensor is broadcast by concatenating copies along each dimension that grows. */
const expand: Handler = (node, ctx) => {
  const target = ctx.requireConst(node, 1, "the shape").data;
  const c = ctx.constOf(node.input[0]!);
  if (c !== undefined) {
    const folded = expandConst(c, target);
    if (folded === undefined || elements(folded.shape) > MAX_CONST_ELEMENTS) throw new UnsupportedNode("an Expand of a constant to a large tensor");
    ctx.set(node.output[0]!, { kind: "const", c: folded });
    return;
  }
  let x: TensorRef = ctx.tensor(node.input[0]!, node);
  const out = broadcastShapes(x.shape, target);
  if (out === undefined) throw ctx.fail(node, `shape [${target.join(", ")}] does not broadcast with [${x.shape.join(", ")}]`);
  const grow = out.flatMap((d, axis) => (d !== (x.shape[axis - (out.length - x.shape.length)] ?? 1) ? [axis] : []));
  if (out.length > x.shape.length) {
    const padded = [...new Array<number>(out.length - x.shape.length).fill(1), ...x.shape];
    x = ctx.b.reshape(x, padded, grow.length === 0 ? ctx.out(node) : ctx.temp(node, "rank"));
  }
  grow.forEach((axis, i) => {
    x = ctx.b.concat(new Array<TensorRef>(out[axis]!).fill(x), axis, i === grow.length - 1 ? ctx.out(node) : ctx.temp(node, `copies${axis}`));
  });
  ctx.setTensor(node.output[0]!, x);
};

const constantOfShape: Handler = (node, ctx) => {
  const dims = ctx.requireConst(node, 0, "the shape").data;
  const t = attr(node, "value")?.t;
  const value = t != null ? constantNodeValue({ ...node, attribute: [{ ...attr(node, "value")!, name: "value" }] }) : undefined;
  if (elements(dims) > MAX_CONST_ELEMENTS) throw new UnsupportedNode("a ConstantOfShape of a large tensor");
  const c: Const = { int: t != null && !isFloatType(t.data_type), shape: dims, data: new Array<number>(elements(dims)).fill(value?.data[0] ?? 0) };
  ctx.set(node.output[0]!, { kind: "const", c });
};

const range: Handler = (node, ctx) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.requireConst(node, i, ["start", "limit", "delta"][i]!));
  const folded = rangeConst(start!.data[0]!, limit!.data[0]!, delta!.data[0]!, start!.int);
  if (folded === undefined) throw new UnsupportedNode("a Range of more than 65,536 elements");
  ctx.set(node.output[0]!, { kind: "const", c: folded });
};

export const SHAPE_HANDLERS: Readonly<Record<string, Handler>> = {
  Constant: constant,
  Identity: identity,
  Dropout: identity,
  Cast: cast,
  Shape: shape,
  Size: size,
  Reshape: reshape,
  Flatten: flatten,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Slice: slice,
  Split: split,
  Transpose: transpose,
  Gather: gather,
  Expand: expand,
  ConstantOfShape: constantOfShape,
  Range: range,
};
