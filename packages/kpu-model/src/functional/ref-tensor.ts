/**
 * The reference's own tensors and index arithmetic (float64, multi-indices), written apart from the executor's
 * strided walks so that an indexing mistake in one is not repeated in the other.
 */
export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function refSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function refZeros(shape: readonly number[]): RefTensor {
  return { shape, data: new Float64Array(refSize(shape)) };
}

/** The multi-index of flat row-major position `flat`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d]!;
    rest = (rest - index[d]!) / shape[d]!;
  }
  return index;
}

/** The flat row-major position of a multi-index. */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + index[d]!;
  return flat;
}

/** The element of `t` that output multi-index `index` reads under NumPy broadcasting (aligned from the last). */
export function broadcastRead(t: RefTensor, index: readonly number[]): number {
  const lead = index.length - t.shape.length;
  const own = t.shape.map((d, i) => (d === 1 ? 0 : index[lead + i]!));
  return t.data[ravel(own, t.shape)]!;
}

/** The broadcast shape of two shapes (the graph has been validated, so they broadcast). */
export function refBroadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)]! : 1;
    const y = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)]! : 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** A new tensor of `shape` whose element at each multi-index is f(index). */
export function refFrom(shape: readonly number[], f: (index: number[]) => number): RefTensor {
  const t = refZeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = f(unravel(i, shape));
  return t;
}

export function refAxis(axis: number, rank: number): number {
  return ((axis % rank) + rank) % rank;
}
