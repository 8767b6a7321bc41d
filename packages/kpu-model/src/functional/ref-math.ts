import { referenceGelu, referenceRelu } from "./reference.js";
import { refAxis, refZeros, ravel, unravel, type RefTensor } from "./ref-tensor.js";

/** The reference's elementwise functions and normalisations, from their textbook definitions in float64. */

/** tanh from exponentials: 1 - 2 / (e^(2x) + 1). */
function refTanh(x: number): number {
  return x > 20 ? 1 : x < -20 ? -1 : 1 - 2 / (Math.exp(2 * x) + 1);
}

/** The logistic function through tanh: (1 + tanh(x / 2)) / 2. */
function refSigmoid(x: number): number {
  return (1 + refTanh(x / 2)) / 2;
}

/**
 * erf in float64: its Maclaurin series 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)) for |x| < 3, and for larger |x|
 * 1 - erfc with erfc's continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))).
 */
export function refErf(x: number): number {
  const z = Math.abs(x);
  let y: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    y = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = z;
    for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
    y = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -y : y;
}

export const REF_UNARY: Readonly<Record<string, (x: number) => number>> = {
  relu: referenceRelu,
  gelu: referenceGelu,
  silu: (x) => x * refSigmoid(x),
  sigmoid: refSigmoid,
  tanh: refTanh,
  exp: (x) => Math.E ** x,
  sqrt: (x) => (x < 0 ? NaN : x ** 0.5),
  erf: refErf,
};

/** Textbook softmax: e^x_i / sum_j e^x_j along `axis` (no max subtraction: float64 holds e^x for |x| < 709). */
export function refSoftmax(x: RefTensor, axis: number): RefTensor {
  const a = refAxis(axis, x.shape.length);
  const e = x.data.map((v) => Math.exp(v));
  const rowShape = x.shape.map((d, i) => (i === a ? 1 : d));
  const sums = refZeros(rowShape);
  const row = (i: number): number => ravel(unravel(i, x.shape).map((v, d) => (d === a ? 0 : v)), rowShape);
  for (let i = 0; i < e.length; i++) sums.data[row(i)]! += e[i]!;
  return { shape: x.shape, data: e.map((v, i) => v / sums.data[row(i)]!) };
}

/**
 * layer_norm: (x - mean) / sqrt(variance + eps) * scale + bias, mean and (biased) variance over the trailing
 * dimensions from `axis`; rms_norm: x / sqrt(mean(x^2) + eps) * scale.
 */
export function refNorm(kind: "layer_norm" | "rms_norm", x: RefTensor, axis: number, epsilon: number, scale?: RefTensor, bias?: RefTensor): RefTensor {
  const a = refAxis(axis, x.shape.length);
  const group = x.shape.slice(a).reduce((p, d) => p * d, 1);
  const out = refZeros(x.shape);
  for (let start = 0; start < x.data.length; start += group) {
    const row = x.data.subarray(start, start + group);
    const mean = kind === "layer_norm" ? row.reduce((s, v) => s + v, 0) / group : 0;
    const second = row.reduce((s, v) => s + (v - mean) ** 2, 0) / group;
    for (let j = 0; j < group; j++) {
      const y = (row[j]! - mean) / Math.sqrt(second + epsilon);
      out.data[start + j] = y * (scale?.data[j] ?? 1) + (bias?.data[j] ?? 0);
    }
  }
  return out;
}

/** Sum or mean over `axes` (output shape from the graph; kept or dropped axes give the same flat order). */
export function refReduce(kind: "reduce_mean" | "reduce_sum", x: RefTensor, axes: readonly number[], outShape: readonly number[]): RefTensor {
  const reduced = axes.map((v) => refAxis(v, x.shape.length));
  const kept = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const out = refZeros(outShape);
  let count = 1;
  for (const a of reduced) count *= x.shape[a]!;
  for (let i = 0; i < x.data.length; i++) {
    const index = unravel(i, x.shape).map((v, d) => (reduced.includes(d) ? 0 : v));
    out.data[ravel(index, kept)]! += x.data[i]!;
  }
  if (kind === "reduce_mean") for (let i = 0; i < out.data.length; i++) out.data[i]! /= count;
  return out;
}
