import { KpuError, type GatherOp, type PadOp, type SliceOp } from "@kpu/ir";
import { axisIndex, forEachStrided, product, rowMajorStrides } from "./exec-index.js";

/** Data movement: the DMA engine's and block mover's work, exact (no arithmetic). */

/** Output dimension i is input dimension perm[i]: walk the output, read the input through permuted strides. */
export function transposeKernel(x: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const strides = rowMajorStrides(shape);
  const outShape = perm.map((p) => shape[p]!);
  const out = new Float32Array(x.length);
  forEachStrided(outShape, perm.map((p) => strides[p]!), outShape.map(() => 0), (i, a) => {
    out[i] = x[a]!;
  });
  return out;
}

/** Joins the inputs along `axis`: each contributes a block of shape[axis] x inner elements per outer index. */
export function concatKernel(xs: readonly Float32Array[], shapes: readonly (readonly number[])[], axis: number, outShape: readonly number[]): Float32Array {
  const a = axisIndex(axis, outShape.length);
  const outer = product(outShape.slice(0, a));
  const inner = product(outShape.slice(a + 1));
  const row = outShape[a]! * inner;
  const out = new Float32Array(product(outShape));
  let start = 0;
  xs.forEach((x, t) => {
    const block = shapes[t]![a]! * inner;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * block, (o + 1) * block), o * row + start);
    start += block;
  });
  return out;
}

/** ONNX Slice with positive steps: starts clamped to the dimension after adding it to negatives. */
export function sliceKernel(op: SliceOp, x: Float32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const strides = rowMajorStrides(shape);
  const step = strides.slice();
  let base = 0;
  op.axes.forEach((axis, i) => {
    const d = axisIndex(axis, shape.length);
    const size = shape[d]!;
    const s = op.starts[i]!;
    base += Math.min(size, Math.max(0, s < 0 ? s + size : s)) * strides[d]!;
    step[d] = strides[d]! * op.steps[i]!;
  });
  const out = new Float32Array(product(outShape));
  forEachStrided(outShape, step, outShape.map(() => 0), (i, a) => {
    out[i] = x[a]!;
  }, base);
  return out;
}

/** Constant padding: the output is `value` everywhere, the input copied in at the begin pads. */
export function padKernel(op: PadOp, x: Float32Array, shape: readonly number[], outShape: readonly number[]): Float32Array {
  const out = new Float32Array(product(outShape)).fill(op.value);
  const outStrides = rowMajorStrides(outShape);
  const base = shape.reduce((sum, _, d) => sum + op.pads[d]! * outStrides[d]!, 0);
  forEachStrided(shape, outStrides, shape.map(() => 0), (i, o) => {
    out[o] = x[i]!;
  }, base);
  return out;
}

/** data[..., indices, ...] along `axis`: one row of inner elements copied per (outer, index). */
export function gatherKernel(op: GatherOp, data: Float32Array, shape: readonly number[], indices: Float32Array): Float32Array {
  const a = axisIndex(op.axis, shape.length);
  const outer = product(shape.slice(0, a));
  const size = shape[a]!;
  const inner = product(shape.slice(a + 1));
  const out = new Float32Array(outer * indices.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < indices.length; t++) {
      const raw = indices[t]!;
      const index = raw < 0 ? raw + size : raw;
      if (!Number.isInteger(index) || index < 0 || index >= size) {
        throw new KpuError("KPU_RUN_INDEX_RANGE", `index ${raw} at position ${t} is outside [${-size}, ${size - 1}] for axis ${a} of size ${size}`, {
          where: `op "${op.id}" (gather)`,
          hint: "Gather indices must name rows of the table; kpu run draws graph-input indices in range, so check the ops that compute them.",
        });
      }
      const from = (o * size + index) * inner;
      out.set(data.subarray(from, from + inner), (o * indices.length + t) * inner);
    }
  }
  return out;
}
