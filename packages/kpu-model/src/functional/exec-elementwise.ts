import type { BinaryKind, EpilogueStep, UnaryKind } from "@kpu/ir";
import { broadcastStrides, forEachStrided, product, rowMajorStrides, stridedOffset } from "./exec-index.js";
import { erf, gelu, relu, sigmoid, silu } from "./kernels.js";

/** The executor's elementwise functions of one value (the vector unit's; every result is rounded to fp32). */
export const UNARY_FNS: Readonly<Record<UnaryKind, (x: number) => number>> = {
  relu,
  gelu,
  silu,
  sigmoid,
  tanh: Math.tanh,
  exp: Math.exp,
  sqrt: Math.sqrt,
  erf,
};

export const BINARY_FNS: Readonly<Record<BinaryKind, (x: number, y: number) => number>> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

export function unaryKernel(kind: UnaryKind, x: Float32Array): Float32Array {
  const f = UNARY_FNS[kind];
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

/** X (op) Y with NumPy broadcasting onto `outShape`. */
export function binaryKernel(kind: BinaryKind, x: Float32Array, xShape: readonly number[], y: Float32Array, yShape: readonly number[], outShape: readonly number[]): Float32Array {
  const f = BINARY_FNS[kind];
  const out = new Float32Array(product(outShape));
  forEachStrided(outShape, broadcastStrides(xShape, outShape), broadcastStrides(yShape, outShape), (i, a, b) => {
    out[i] = f(x[a]!, y[b]!);
  });
  return out;
}

type Compiled =
  | { readonly kind: "fn"; readonly f: (x: number) => number }
  | { readonly kind: "clip"; readonly min: number; readonly max: number }
  | { readonly kind: "bias"; readonly data: Float32Array }
  | { readonly kind: "add" | "mul"; readonly data: Float32Array; readonly strides: readonly number[] };

/**
 * An epilogue (or fused elementwise chain) applied element by element as results leave the fabric or pass the vector
 * unit: `apply(value, flat)` takes the output element's flat row-major index, from which a bias reads its channel
 * (`channelAxis` of the output) and an add or mul operand its broadcast element. Each step rounds to fp32.
 */
export class Epilogue {
  private readonly steps: readonly Compiled[];
  private readonly channelStride: number;
  private readonly channels: number;
  private readonly fr = new Float32Array(1);

  constructor(steps: readonly EpilogueStep[], tensor: (name: string) => { data: Float32Array; shape: readonly number[] }, private readonly outShape: readonly number[], channelAxis: number) {
    this.channels = outShape[channelAxis] ?? 1;
    this.channelStride = rowMajorStrides(outShape)[channelAxis] ?? 1;
    this.steps = steps.map((s): Compiled => {
      switch (s.kind) {
        case "bias_add":
          return { kind: "bias", data: tensor(s.tensor).data };
        case "add":
        case "mul": {
          const t = tensor(s.tensor);
          return { kind: s.kind, data: t.data, strides: broadcastStrides(t.shape, outShape) };
        }
        case "clip":
          return { kind: "clip", min: s.min, max: s.max };
        default:
          return { kind: "fn", f: UNARY_FNS[s.kind] };
      }
    });
  }

  get empty(): boolean {
    return this.steps.length === 0;
  }

  apply(value: number, flat: number): number {
    const fr = this.fr;
    fr[0] = value;
    for (const s of this.steps) {
      const v: number = fr[0];
      switch (s.kind) {
        case "fn":
          fr[0] = s.f(v);
          break;
        case "clip":
          fr[0] = Math.min(Math.max(v, s.min), s.max);
          break;
        case "bias":
          fr[0] = v + s.data[Math.floor(flat / this.channelStride) % this.channels]!;
          break;
        case "add":
          fr[0] = v + s.data[stridedOffset(flat, this.outShape, s.strides)]!;
          break;
        case "mul":
          fr[0] = v * s.data[stridedOffset(flat, this.outShape, s.strides)]!;
          break;
      }
    }
    return fr[0];
  }
}
