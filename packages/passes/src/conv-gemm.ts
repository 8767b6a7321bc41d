import type { Conv2dOp } from "@kpu/ir";

/**
 * A conv2d seen as an implicit GEMM, per group: C[M, N] = A[M, K] x B[K, N] with M = batch x OH x OW (output pixels),
 * K = C/groups x KH x KW (input channels of the group times kernel taps), N = OC/groups. A is never materialised: row r
 * and column k of A name one input element (or a zero of the padding), which `convInputOffset` computes. B is the
 * weight tensor read in place: W[oc, c, kh, kw] is B[(c*KH + kh)*KW + kw, oc - g*N] of group g.
 */
export interface ConvGemm {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly outH: number;
  readonly outW: number;
  readonly groups: number;
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number, number, number];
  readonly dilation: readonly [number, number];
  /** GEMM dimensions of one group. */
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** The implicit-GEMM geometry of a conv with input X[N, C, H, W], weights W[OC, C/g, KH, KW] and output [N, OC, OH, OW]. */
export function convGemm(op: Conv2dOp, x: readonly number[], w: readonly number[], y: readonly number[]): ConvGemm {
  const [batch, channels, height, width] = x as [number, number, number, number];
  const [outChannels, cg, kernelH, kernelW] = w as [number, number, number, number];
  const [, , outH, outW] = y as [number, number, number, number];
  return {
    batch, channels, height, width, outChannels, kernelH, kernelW, outH, outW,
    groups: op.groups, stride: op.stride, padding: op.padding, dilation: op.dilation,
    m: batch * outH * outW,
    n: outChannels / op.groups,
    k: cg * kernelH * kernelW,
  };
}

/** Offset in X (row-major NCHW) of A[row, col] of group `group`, or -1 where the window lies in the zero padding. */
export function convInputOffset(g: ConvGemm, group: number, row: number, col: number): number {
  const pixels = g.outH * g.outW;
  const n = Math.floor(row / pixels);
  const oh = Math.floor((row % pixels) / g.outW);
  const ow = row % g.outW;
  const taps = g.kernelH * g.kernelW;
  const c = group * (g.channels / g.groups) + Math.floor(col / taps);
  const kh = Math.floor((col % taps) / g.kernelW);
  const kw = col % g.kernelW;
  const h = oh * g.stride[0] - g.padding[0] + kh * g.dilation[0];
  const w = ow * g.stride[1] - g.padding[1] + kw * g.dilation[1];
  if (h < 0 || h >= g.height || w < 0 || w >= g.width) return -1;
  return ((n * g.channels + c) * g.height + h) * g.width + w;
}

/** Offset in the weights W[OC, C/g, KH, KW] of B[col, j] of group `group`. */
export function convWeightOffset(g: ConvGemm, group: number, col: number, j: number): number {
  return (group * g.n + j) * g.k + col;
}

/** Offset in the output Y[N, OC, OH, OW] of C[row, j] of group `group`. */
export function convOutputOffset(g: ConvGemm, group: number, row: number, j: number): number {
  const pixels = g.outH * g.outW;
  const n = Math.floor(row / pixels);
  return (n * g.outChannels + group * g.n + j) * pixels + (row % pixels);
}
