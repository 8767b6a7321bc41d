import type { PoolOp } from "@kpu/ir";
import { axisIndex, product } from "./exec-index.js";

/** The vector unit's reductions, in fp32: every partial sum is rounded to fp32 (Math.fround), as the hardware keeps it. */

const f32 = Math.fround;

/** A tensor seen as [outer, size, inner] around the dimensions [from, to). */
function around(shape: readonly number[], from: number, to = from + 1): { outer: number; size: number; inner: number } {
  return { outer: product(shape.slice(0, from)), size: product(shape.slice(from, to)), inner: product(shape.slice(to)) };
}

/** exp(x - max) / sum(exp(x - max)) along `axis`: the max subtraction keeps exp from overflowing. */
export function softmaxKernel(x: Float32Array, shape: readonly number[], axis: number): Float32Array {
  const { outer, size, inner } = around(shape, axisIndex(axis, shape.length));
  const out = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = -Infinity;
      for (let d = 0; d < size; d++) max = Math.max(max, x[base + d * inner]!);
      let sum = 0;
      for (let d = 0; d < size; d++) {
        const e = f32(Math.exp(x[base + d * inner]! - max));
        out[base + d * inner] = e;
        sum = f32(sum + e);
      }
      for (let d = 0; d < size; d++) out[base + d * inner] = out[base + d * inner]! / sum;
    }
  }
  return out;
}

/**
 * layer_norm ((x - mean) / sqrt(var + eps) * scale + bias) or rms_norm (x / sqrt(mean(x^2) + eps) * scale) over the
 * dimensions from `axis` on: mean, then variance about it (two passes), then one reciprocal square root per row.
 */
export function normKernel(kind: "layer_norm" | "rms_norm", x: Float32Array, shape: readonly number[], axis: number, epsilon: number, scale?: Float32Array, bias?: Float32Array): Float32Array {
  const { outer: rows, size: d } = around(shape, axisIndex(axis, shape.length), shape.length);
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let mean = 0;
    if (kind === "layer_norm") {
      let sum = 0;
      for (let j = 0; j < d; j++) sum = f32(sum + x[base + j]!);
      mean = f32(sum / d);
    }
    let squares = 0;
    for (let j = 0; j < d; j++) {
      const c = f32(x[base + j]! - mean);
      squares = f32(squares + f32(c * c));
    }
    const rstd = f32(1 / Math.sqrt(f32(f32(squares / d) + epsilon)));
    for (let j = 0; j < d; j++) {
      let y = f32(f32(x[base + j]! - mean) * rstd);
      if (scale !== undefined) y = f32(y * scale[j]!);
      if (bias !== undefined) y = f32(y + bias[j]!);
      out[base + j] = y;
    }
  }
  return out;
}

/** Sum or mean over `axes`: each input element is added to the output element its kept dimensions name. */
export function reduceKernel(kind: "reduce_mean" | "reduce_sum", x: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const reduced = new Set(axes.map((a) => axisIndex(a, shape.length)));
  const keptShape = shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const out = new Float32Array(product(keptShape));
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  const outStrides = new Array<number>(rank).fill(0);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    outStrides[i] = reduced.has(i) ? 0 : s;
    s *= keptShape[i]!;
  }
  for (let i = 0; i < x.length; i++) {
    out[o] = out[o]! + x[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      o += outStrides[d]!;
      if (++index[d]! < shape[d]!) break;
      o -= outStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  if (kind === "reduce_mean") {
    const count = x.length / out.length;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / count;
  }
  return out;
}

/**
 * max_pool / avg_pool over [N, C, H, W] windows. Max ignores the padding; average divides by the taps inside the input,
 * or with `countIncludePad` by the taps inside the padded input (a ceil-mode window may hang past it).
 */
export function poolKernel(op: PoolOp, x: Float32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  const [kh, kw] = op.kernel;
  const [sh, sw] = op.stride;
  const [pt, pl, pb, pr] = op.padding;
  const [dh, dw] = op.dilation;
  const out = new Float32Array(n * c * oh * ow);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let acc = op.kind === "max_pool" ? -Infinity : 0;
        let inside = 0;
        let padded = 0;
        for (let i = 0; i < kh; i++) {
          const hi = y * sh - pt + i * dh;
          for (let j = 0; j < kw; j++) {
            const wi = xo * sw - pl + j * dw;
            if (hi >= -pt && hi < h + pb && wi >= -pl && wi < w + pr) padded++;
            if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
            const v = x[base + hi * w + wi]!;
            acc = op.kind === "max_pool" ? Math.max(acc, v) : f32(acc + v);
            inside++;
          }
        }
        out[o++] = op.kind === "max_pool" ? acc : acc / (op.countIncludePad ? padded : inside);
      }
    }
  }
  return out;
}

/** The mean over every dimension after the first two. */
export function globalAvgPoolKernel(x: Float32Array, shape: readonly number[]): Float32Array {
  const planes = shape[0]! * shape[1]!;
  const size = x.length / planes;
  const out = new Float32Array(planes);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum = f32(sum + x[p * size + i]!);
    out[p] = sum / size;
  }
  return out;
}
