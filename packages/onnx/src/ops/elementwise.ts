import type { TensorRef, UnaryKind } from "@kpu/ir";
import { floatAttr, intAttr, intsAttr, stringAttr, UnsupportedNode, type ImportContext } from "../context.js";
import type { OnnxNode } from "../schema.js";
import type { Handler } from "./handler.js";

/** Elementwise ops, activations, softmax, norms and reductions. */

/** The largest fp32: Clip without a bound clips to it (JSON has no infinity). */
export const FLOAT_MAX = 3.4028234663852886e38;

/** The two operands of a binary op as tensors; a constant takes the other operand's dtype. */
function operands(node: OnnxNode, ctx: ImportContext): [TensorRef, TensorRef] {
  const [a, b] = [node.input[0]!, node.input[1]!];
  if (ctx.constOf(a) !== undefined && ctx.constOf(b) === undefined) {
    const y = ctx.tensor(b, node);
    return [ctx.tensor(a, node, y.dtype), y];
  }
  const x = ctx.tensor(a, node);
  return [x, ctx.tensor(b, node, x.dtype)];
}

function binary(kind: "add" | "sub" | "mul" | "div"): Handler {
  return (node, ctx) => {
    const [x, y] = operands(node, ctx);
    ctx.setTensor(node.output[0]!, ctx.b[kind](x, y, ctx.out(node)));
  };
}

function unary(kind: UnaryKind): Handler {
  return (node, ctx) => {
    ctx.setTensor(node.output[0]!, ctx.b.unary(kind, ctx.tensor(node.input[0]!, node), ctx.out(node)));
  };
}

/** x^2 is x*x and x^0.5 is sqrt (the exponents of decomposed norms); other exponents are not modelled. */
const pow: Handler = (node, ctx) => {
  const e = ctx.constOf(node.input[1]!);
  const x = ctx.tensor(node.input[0]!, node);
  const exponent = e?.data.length === 1 ? e.data[0] : undefined;
  if (exponent === 2) ctx.setTensor(node.output[0]!, ctx.b.mul(x, x, ctx.out(node)));
  else if (exponent === 0.5) ctx.setTensor(node.output[0]!, ctx.b.unary("sqrt", x, ctx.out(node)));
  else if (exponent === 1) ctx.setTensor(node.output[0]!, x);
  else throw new UnsupportedNode(`a Pow with exponent ${exponent ?? "that is not a constant scalar"}`);
};

/** Clip: bounds from inputs (opset 11 on) or attributes; ReLU6 is clip(0, 6). */
const clip: Handler = (node, ctx) => {
  const x = ctx.tensor(node.input[0]!, node);
  const bound = (i: number, name: string, fallback: number): number => {
    if (node.input.length > 1) return (node.input[i] ?? "") === "" ? fallback : (ctx.requireConst(node, i, name).data[0] ?? fallback);
    return floatAttr(node, name, fallback);
  };
  const min = Math.max(bound(1, "min", -FLOAT_MAX), -FLOAT_MAX);
  const max = Math.min(bound(2, "max", FLOAT_MAX), FLOAT_MAX);
  ctx.setTensor(node.output[0]!, ctx.b.clip(x, min, max, ctx.out(node)));
};

/** HardSigmoid: clip(alpha * x + beta, 0, 1). */
function hardSigmoid(node: OnnxNode, ctx: ImportContext, x: TensorRef, alpha: number, beta: number, last: boolean): TensorRef {
  const scaled = ctx.b.mul(x, ctx.scalar(node, "alpha", alpha, x), ctx.temp(node, "alpha_x"));
  const shifted = ctx.b.add(scaled, ctx.scalar(node, "beta", beta, x), ctx.temp(node, "plus_beta"));
  return ctx.b.clip(shifted, 0, 1, last ? ctx.out(node) : ctx.temp(node, "hard_sigmoid"));
}

const hardSigmoidHandler: Handler = (node, ctx) => {
  const x = ctx.tensor(node.input[0]!, node);
  ctx.setTensor(node.output[0]!, hardSigmoid(node, ctx, x, floatAttr(node, "alpha", 0.2), floatAttr(node, "beta", 0.5), true));
};

/** HardSwish: x * HardSigmoid(x) with alpha 1/6, beta 0.5. */
const hardSwish: Handler = (node, ctx) => {
  const x = ctx.tensor(node.input[0]!, node);
  ctx.setTensor(node.output[0]!, ctx.b.mul(x, hardSigmoid(node, ctx, x, 1 / 6, 0.5, false), ctx.out(node)));
};

/** Softmax; before opset 13 it normalises over the dimensions from `axis` on, flattened. */
const softmax: Handler = (node, ctx) => {
  const x = ctx.tensor(node.input[0]!, node);
  const rank = x.shape.length;
  const raw = intAttr(node, "axis", ctx.opset < 13 ? 1 : -1);
  const axis = raw < 0 ? raw + rank : raw;
  if (ctx.opset >= 13 || axis === rank - 1) {
    ctx.setTensor(node.output[0]!, ctx.b.softmax(x, axis, ctx.out(node)));
    return;
  }
  const rows = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const flat = ctx.b.reshape(x, [rows, x.shape.slice(axis).reduce((p, d) => p * d, 1)], ctx.temp(node, "flat"));
  const sm = ctx.b.softmax(flat, -1, ctx.temp(node, "softmax"));
  ctx.setTensor(node.output[0]!, ctx.b.reshape(sm, x.shape, ctx.out(node)));
};

/**
 * LayerNormalization (opset 17, and the decomposed form the pattern pass turns into one): over the dimensions from
 * `axis`; scale and bias shaped like those dimensions. A synthetic node from the pattern pass carries the reduced axes.
 */
const layerNormalization: Handler = (node, ctx) => {
  if (node.output.slice(1).some((o) => o !== "" && (ctx.consumers.get(o)?.length ?? 0) > 0)) throw new UnsupportedNode("a LayerNormalization whose mean or inverse deviation is read");
  const x = ctx.tensor(node.input[0]!, node);
  const rank = x.shape.length;
  const raw = intAttr(node, "axis", -1);
  const axis = raw < 0 ? raw + rank : raw;
  const reduced = intsAttr(node, "kpu_reduced_axes")?.map((a) => (a < 0 ? a + rank : a));
  if (reduced !== undefined && (reduced.length !== rank - axis || reduced.some((a, i) => a !== axis + i))) {
    throw new UnsupportedNode("a decomposed layer norm over dimensions that are not the last ones");
  }
  const params = [1, 2].flatMap((i) => ((node.input[i] ?? "") === "" ? [] : [ctx.tensor(node.input[i]!, node, x.dtype)]));
  const normalized = x.shape.slice(axis);
  if (params.some((p) => p.shape.length !== normalized.length || p.shape.some((d, i) => d !== normalized[i]))) {
    throw new UnsupportedNode("a layer norm whose scale or bias is not shaped like the normalized dimensions");
  }
  const out = ctx.b.layerNorm(x, params[0], params[1], { axis, epsilon: floatAttr(node, "epsilon", 1e-5), ...ctx.out(node) });
  ctx.setTensor(node.output[0]!, out);
};

const gelu: Handler = (node, ctx) => {
  if (!["none", "tanh"].includes(stringAttr(node, "approximate", "none"))) throw new UnsupportedNode("a Gelu approximation other than none or tanh");
  ctx.setTensor(node.output[0]!, ctx.b.gelu(ctx.tensor(node.input[0]!, node), ctx.out(node)));
};

/** ReduceMean and ReduceSum: axes from an attribute (older opsets) or an input (ReduceSum 13, ReduceMean 18). */
function reduce(kind: "reduce_mean" | "reduce_sum"): Handler {
  return (node, ctx) => {
    const x = ctx.tensor(node.input[0]!, node);
    const given = (node.input[1] ?? "") !== "" ? ctx.requireConst(node, 1, "axes").data.map(Number) : intsAttr(node, "axes");
    const noop = intAttr(node, "noop_with_empty_axes", 0) === 1;
    if ((given === undefined || given.length === 0) && noop) { ctx.setTensor(node.output[0]!, x); return; }
    const axes = given === undefined || given.length === 0 ? x.shape.map((_, i) => i) : given;
    ctx.setTensor(node.output[0]!, ctx.b.reduce(kind, x, axes, intAttr(node, "keepdims", 1) === 1, ctx.out(node)));
  };
}

export const ELEMENTWISE_HANDLERS: Readonly<Record<string, Handler>> = {
  Add: binary("add"),
  Sub: binary("sub"),
  Mul: binary("mul"),
  Div: binary("div"),
  Pow: pow,
  Relu: unary("relu"),
  Sigmoid: unary("sigmoid"),
  Tanh: unary("tanh"),
  Erf: unary("erf"),
  Exp: unary("exp"),
  Sqrt: unary("sqrt"),
  Gelu: gelu,
  Clip: clip,
  HardSigmoid: hardSigmoidHandler,
  HardSwish: hardSwish,
  Softmax: softmax,
  LayerNormalization: layerNormalization,
  ReduceMean: reduce("reduce_mean"),
  ReduceSum: reduce("reduce_sum"),
};
