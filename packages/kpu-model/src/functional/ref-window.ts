import type { Conv2dOp, PoolOp } from "@kpu/ir";
import { refZeros, type RefTensor } from "./ref-tensor.js";

/**
 * The reference's sliding windows, straight from the definitions: a direct seven-loop convolution and window-by-window
 * pooling in float64 (no implicit GEMM, no offsets shared with the executor).
 */

/**
 * y[n, oc, oh, ow] = sum over the input channels c of oc's group, kh and kw of
 * x[n, g * C/G + c, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw] * w[oc, c, kh, kw] (zero outside the input).
 */
export function refConv(op: Conv2dOp, x: RefTensor, w: RefTensor, outShape: readonly number[]): RefTensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [OC, CG, KH, KW] = w.shape as [number, number, number, number];
  const [, , OH, OW] = outShape as [number, number, number, number];
  const perGroup = OC / op.groups;
  const y = refZeros(outShape);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / perGroup);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let sum = 0;
          for (let c = 0; c < CG; c++)
            for (let kh = 0; kh < KH; kh++) {
              const h = oh * op.stride[0] - op.padding[0] + kh * op.dilation[0];
              if (h < 0 || h >= H) continue; // a zero of the padding
              for (let kw = 0; kw < KW; kw++) {
                const v = ow * op.stride[1] - op.padding[1] + kw * op.dilation[1];
                if (v < 0 || v >= W) continue;
                sum += x.data[((n * C + g * CG + c) * H + h) * W + v]! * w.data[((oc * CG + c) * KH + kh) * KW + kw]!;
              }
            }
          y.data[((n * OC + oc) * OH + oh) * OW + ow] = sum;
        }
    }
  return y;
}

/**
 * Pooling window by window: the taps of output (oh, ow) are rows oh * sh - pt + i * dh and columns ow * sw - pl + j * dw.
 * Max over the taps inside the input; average = their sum / (the taps inside the input, or with countIncludePad the
 * taps inside the padded extent [-pt, H + pb) x [-pl, W + pr)).
 */
export function refPool(op: PoolOp, x: RefTensor, outShape: readonly number[]): RefTensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, , OH, OW] = outShape as [number, number, number, number];
  const [pt, pl, pb, pr] = op.padding;
  const y = refZeros(outShape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const taps: number[] = [];
          let paddedTaps = 0;
          for (let i = 0; i < op.kernel[0]; i++)
            for (let j = 0; j < op.kernel[1]; j++) {
              const h = oh * op.stride[0] - pt + i * op.dilation[0];
              const v = ow * op.stride[1] - pl + j * op.dilation[1];
              if (h < H + pb && v < W + pr) paddedTaps++;
              if (h >= 0 && h < H && v >= 0 && v < W) taps.push(x.data[((n * C + c) * H + h) * W + v]!);
            }
          const sum = taps.reduce((s, t) => s + t, 0);
          y.data[((n * C + c) * OH + oh) * OW + ow] = op.kind === "max_pool" ? Math.max(...taps) : sum / (op.countIncludePad ? paddedTaps : taps.length);
        }
  return y;
}

/** The mean over the spatial dimensions of each (n, c) plane. */
export function refGlobalAvgPool(x: RefTensor): RefTensor {
  const planes = x.shape[0]! * x.shape[1]!;
  const size = x.data.length / planes;
  const y = refZeros([...x.shape.slice(0, 2), ...x.shape.slice(2).map(() => 1)]);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += x.data[p * size + i]!;
    y.data[p] = sum / size;
  }
  return y;
}
