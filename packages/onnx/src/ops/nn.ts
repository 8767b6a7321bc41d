import type { EpilogueStep, TensorRef } from "@kpu/ir";
import { floatAttr, intAttr, intsAttr, stringAttr, UnsupportedNode, type ImportContext } from "../context.js";
import type { OnnxNode } from "../schema.js";
import type { Handler } from "./handler.js";

/** Conv, Gemm and MatMul (the fabric's ops), BatchNormalization, the pools and Pad. */

type Pads = [number, number, number, number];

/** [top, left, bottom, right] of a conv or pool: `pads`, or what auto_pad SAME_UPPER/SAME_LOWER gives. */
function windowPads(node: OnnxNode, ctx: ImportContext, input: readonly number[], kernel: readonly number[], stride: readonly number[], dilation: readonly number[]): Pads {
  const auto = stringAttr(node, "auto_pad", "NOTSET");
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const [h, w] = [0, 1].map((d) => {
      const size = input[2 + d]!;
      const total = Math.max((Math.ceil(size / stride[d]!) - 1) * stride[d]! + (kernel[d]! - 1) * dilation[d]! + 1 - size, 0);
      const small = Math.floor(total / 2);
      return auto === "SAME_UPPER" ? [small, total - small] : [total - small, small];
    }) as [[number, number], [number, number]];
    return [h[0], w[0], h[1], w[1]];
  }
  const pads = auto === "VALID" ? [0, 0, 0, 0] : (intsAttr(node, "pads") ?? [0, 0, 0, 0]);
  if (pads.length !== 4) throw ctx.fail(node, `pads [${pads.join(", ")}] are not the 4 pads of a 2-D window`);
  return pads as Pads;
}

function pair(node: OnnxNode, name: string): [number, number] {
  const v = intsAttr(node, name) ?? [1, 1];
  return [v[0] ?? 1, v[1] ?? 1];
}

/** The input of a conv or pool, and the zero padding of a Pad node folded into it. */
function windowInput(node: OnnxNode, ctx: ImportContext): { x: TensorRef; extra: Pads } {
  const pending = ctx.pendingPads.get(node.input[0]!);
  if (pending !== undefined) return { x: pending.ref, extra: [...pending.pads] };
  return { x: ctx.tensor(node.input[0]!, node), extra: [0, 0, 0, 0] };
}

const addPads = (a: Pads, b: Pads): Pads => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];

function requireRank4(ctx: ImportContext, node: OnnxNode, x: TensorRef): void {
  if (x.shape.length !== 4) throw new UnsupportedNode(`a ${x.shape.length - 2}-D ${node.op_type} (only 2-D, NCHW, is modelled)`);
}

/**
 * y = (x - mean) / sqrt(var + epsilon) * scale + B as y = x * a + b, with a = scale / sqrt(var + epsilon) and
 * b = B - mean * a computed by ops on the [C] parameters (declared [C, 1, ...] so they broadcast over NCHW): the
 * four parameter tensors stay in the graph, so its parameter count is the file's.
 */
function batchNormAffine(bn: OnnxNode, ctx: ImportContext, rank: number): { a: TensorRef; b: TensorRef } {
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => {
    const p = bn.input[i] ?? "";
    const c = (ctx.isWeight(p) ? ctx.weightShape(p)! : ctx.shapeOf(p, bn))[0] ?? 1;
    const shape = [c, ...new Array<number>(rank - 2).fill(1)];
    if (ctx.isWeight(p)) return ctx.declareWeight(p, shape);
    // a parameter read elsewhere too (exporters alias equal initializers through Identity)
    const t = ctx.tensor(p, bn);
    return t.shape.length === rank - 1 ? t : ctx.b.reshape(t, shape, ctx.temp(bn, `param${i}`));
  }) as [TensorRef, TensorRef, TensorRef, TensorRef];
  const eps = ctx.scalar(bn, "epsilon", floatAttr(bn, "epsilon", 1e-5), scale);
  const std = ctx.b.unary("sqrt", ctx.b.add(variance, eps, ctx.temp(bn, "var_eps")), ctx.temp(bn, "std"));
  const a = ctx.b.div(scale, std, ctx.temp(bn, "a"));
  const b = ctx.b.sub(bias, ctx.b.mul(mean, a, ctx.temp(bn, "mean_a")), ctx.temp(bn, "b"));
  return { a, b };
}

function checkBatchNorm(bn: OnnxNode, ctx: ImportContext): void {
  if (intAttr(bn, "training_mode", 0) === 1 || bn.output.slice(1).some((o) => o !== "" && (ctx.consumers.get(o)?.length ?? 0) > 0)) {
    throw new UnsupportedNode("a BatchNormalization in training mode");
  }
}

/** The BatchNormalization that alone reads a conv's output, folded into the conv's epilogue. */
function foldableBatchNorm(node: OnnxNode, ctx: ImportContext): OnnxNode | undefined {
  const bn = ctx.soleConsumer(node.output[0]!);
  if (bn?.op_type !== "BatchNormalization" || bn.input[0] !== node.output[0]) return undefined;
  const statsUnread = bn.output.slice(1).every((o) => o === "" || (ctx.consumers.get(o)?.length ?? 0) === 0);
  return intAttr(bn, "training_mode", 0) === 0 && statsUnread ? bn : undefined;
}

const conv: Handler = (node, ctx) => {
  const { x, extra } = windowInput(node, ctx);
  requireRank4(ctx, node, x);
  const w = ctx.tensor(node.input[1]!, node);
  if (w.shape.length !== 4) throw ctx.fail(node, `weights "${w.name}" have shape [${w.shape.join(", ")}], not [OC, C/groups, KH, KW]`);
  const stride = pair(node, "strides");
  const dilation = pair(node, "dilations");
  const padding = addPads(windowPads(node, ctx, x.shape, w.shape.slice(2), stride, dilation), extra);
  const epilogue: EpilogueStep[] = [];
  const extras: string[] = [];
  if ((node.input[2] ?? "") !== "") {
    const bias = ctx.tensor(node.input[2]!, node);
    epilogue.push({ kind: "bias_add", tensor: bias.name });
    extras.push(bias.name);
  }
  const bn = foldableBatchNorm(node, ctx);
  if (bn !== undefined) {
    const { a, b } = batchNormAffine(bn, ctx, 4);
    epilogue.push({ kind: "mul", tensor: a.name }, { kind: "add", tensor: b.name });
    ctx.claimed.add(bn);
  }
  const out = ctx.b.conv2d(x, w, { stride, dilation, padding, groups: intAttr(node, "group", 1), epilogue, ...(bn ? ctx.out(bn) : ctx.out(node)) });
  ctx.setTensor((bn ?? node).output[0]!, out);
};

const batchNormalization: Handler = (node, ctx) => {
  checkBatchNorm(node, ctx);
  const x = ctx.tensor(node.input[0]!, node);
  if (x.shape.length < 2) throw ctx.fail(node, `input "${x.name}" has rank ${x.shape.length}; BatchNormalization takes [N, C, ...]`);
  const { a, b } = batchNormAffine(node, ctx, x.shape.length);
  ctx.setTensor(node.output[0]!, ctx.b.add(ctx.b.mul(x, a, ctx.temp(node, "scaled")), b, ctx.out(node)));
};

/** Gemm: Y = alpha * A' x B' + beta * C (A' = A or its transpose, B' likewise); a transposed weight is declared [K, N]. */
const gemm: Handler = (node, ctx) => {
  let a = ctx.tensor(node.input[0]!, node);
  if (intAttr(node, "transA", 0) === 1) a = ctx.b.transpose(a, [1, 0], ctx.temp(node, "transA"));
  const bName = node.input[1]!;
  const transB = intAttr(node, "transB", 0) === 1;
  let b: TensorRef;
  if (transB && ctx.isWeight(bName) && ctx.soleConsumer(bName) === node) {
    const [n, k] = ctx.weightShape(bName)!;
    b = ctx.declareWeight(bName, [k!, n!]);
  } else {
    b = ctx.tensor(bName, node);
    if (transB) b = ctx.b.transpose(b, [1, 0], ctx.temp(node, "transB"));
  }
  const alpha = floatAttr(node, "alpha", 1);
  const beta = floatAttr(node, "beta", 1);
  const hasC = (node.input[2] ?? "") !== "" && beta !== 0;
  const last = !hasC && alpha === 1;
  let y = ctx.b.matmul(a, b, last ? ctx.out(node) : ctx.temp(node, "matmul"));
  if (alpha !== 1) y = ctx.b.mul(y, ctx.scalar(node, "alpha", alpha, y), hasC ? ctx.temp(node, "alpha_mul") : ctx.out(node));
  if (hasC) {
    let c = ctx.tensor(node.input[2]!, node, y.dtype);
    if (beta !== 1) c = ctx.b.mul(c, ctx.scalar(node, "beta", beta, c), ctx.temp(node, "beta_mul"));
    const isBias = c.shape.length === 1 && c.shape[0] === y.shape[1];
    y = isBias ? ctx.b.biasAdd(y, c, ctx.out(node)) : ctx.b.add(y, c, ctx.out(node));
  }
  ctx.setTensor(node.output[0]!, y);
};

/** MatMul with NumPy semantics: 2-D is a matmul, higher ranks a batch_matmul, a 1-D operand gets a unit dimension. */
const matMul: Handler = (node, ctx) => {
  let a = ctx.tensor(node.input[0]!, node);
  let b = ctx.tensor(node.input[1]!, node, a.dtype);
  const vecA = a.shape.length === 1;
  const vecB = b.shape.length === 1;
  if (vecA) a = ctx.b.reshape(a, [1, a.shape[0]!], ctx.temp(node, "row"));
  if (vecB) b = ctx.b.reshape(b, [b.shape[0]!, 1], ctx.temp(node, "col"));
  const squeeze = vecA || vecB;
  const opts = squeeze ? ctx.temp(node, "product") : ctx.out(node);
  let y = a.shape.length === 2 && b.shape.length === 2 ? ctx.b.matmul(a, b, opts) : ctx.b.batchMatmul(a, b, opts);
  if (squeeze) {
    const dims = y.shape.filter((_, i) => !((vecA && i === y.shape.length - 2) || (vecB && i === y.shape.length - 1)));
    y = ctx.b.reshape(y, dims.length === 0 ? [1] : dims, ctx.out(node));
  }
  ctx.setTensor(node.output[0]!, y);
};

function pool(kind: "max_pool" | "avg_pool"): Handler {
  return (node, ctx) => {
    if (node.output.slice(1).some((o) => o !== "" && (ctx.consumers.get(o)?.length ?? 0) > 0)) throw new UnsupportedNode("a MaxPool whose indices are read");
    const { x, extra } = windowInput(node, ctx);
    requireRank4(ctx, node, x);
    const kernel = intsAttr(node, "kernel_shape") ?? [];
    if (kernel.length !== 2) throw ctx.fail(node, `kernel_shape [${kernel.join(", ")}] is not 2-D`);
    const stride = pair(node, "strides");
    const dilation = pair(node, "dilations");
    const own = windowPads(node, ctx, x.shape, kernel, stride, dilation);
    const countIncludePad = intAttr(node, "count_include_pad", 0) === 1 || extra.some((p) => p > 0);
    const options = { stride, dilation, padding: addPads(own, extra), ceilMode: intAttr(node, "ceil_mode", 0) === 1, countIncludePad, ...ctx.out(node) };
    const k: [number, number] = [kernel[0]!, kernel[1]!];
    ctx.setTensor(node.output[0]!, kind === "max_pool" ? ctx.b.maxPool(x, k, options) : ctx.b.avgPool(x, k, options));
  };
}

const globalAveragePool: Handler = (node, ctx) => {
  ctx.setTensor(node.output[0]!, ctx.b.globalAvgPool(ctx.tensor(node.input[0]!, node), ctx.out(node)));
};

/** A zero-padding Pad whose only reader is a conv, or an average pool that counts padding, folds into it. */
function foldsInto(reader: OnnxNode | undefined): boolean {
  if (reader?.op_type === "Conv") return true;
  if (reader?.op_type !== "AveragePool") return false;
  const own = intsAttr(reader, "pads") ?? [0, 0, 0, 0];
  const ownPadding = own.some((p) => p !== 0) || stringAttr(reader, "auto_pad", "NOTSET").startsWith("SAME");
  return intAttr(reader, "count_include_pad", 0) === 1 || !ownPadding;
}

const pad: Handler = (node, ctx) => {
  const mode = stringAttr(node, "mode", "constant");
  if (mode !== "constant") throw new UnsupportedNode(`a Pad in ${mode} mode`);
  const x = ctx.tensor(node.input[0]!, node);
  const rank = x.shape.length;
  let pads = (node.input[1] ?? "") !== "" ? ctx.requireConst(node, 1, "pads").data.map(Number) : (intsAttr(node, "pads") ?? []);
  const value = (node.input[2] ?? "") !== "" ? (ctx.requireConst(node, 2, "the value").data[0] ?? 0) : floatAttr(node, "value", 0);
  if ((node.input[3] ?? "") !== "") {
    const axes = ctx.requireConst(node, 3, "axes").data.map((a) => (a < 0 ? a + rank : a));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i]!;
      full[a + rank] = pads[i + axes.length]!;
    });
    pads = full;
  }
  if (pads.length !== 2 * rank || pads.some((p) => p < 0)) throw new UnsupportedNode(`a Pad with pads [${pads.join(", ")}] (negative pads crop)`);
  const spatialOnly = rank === 4 && pads[0] === 0 && pads[1] === 0 && pads[4] === 0 && pads[5] === 0;
  if (value === 0 && spatialOnly && foldsInto(ctx.soleConsumer(node.output[0]!))) {
    ctx.pendingPads.set(node.output[0]!, { ref: x, pads: [pads[2]!, pads[3]!, pads[6]!, pads[7]!] });
    return;
  }
  ctx.setTensor(node.output[0]!, ctx.b.pad(x, pads, value, ctx.out(node)));
};

export const NN_HANDLERS: Readonly<Record<string, Handler>> = {
  Conv: conv,
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
  MaxPool: pool("max_pool"),
  AveragePool: pool("avg_pool"),
  GlobalAveragePool: globalAveragePool,
  Pad: pad,
};
