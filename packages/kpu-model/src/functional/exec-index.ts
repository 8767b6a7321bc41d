/** The executor's index arithmetic: row-major strides, NumPy broadcasting, strided walks without per-element division. */

export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

export function product(shape: readonly number[]): number {
  let p = 1;
  for (const d of shape) p *= d;
  return p;
}

/** The strides of `operand` seen through the dimensions of `out` (aligned from the last; 0 where it broadcasts). */
export function broadcastStrides(operand: readonly number[], out: readonly number[]): number[] {
  const own = rowMajorStrides(operand);
  const shift = out.length - operand.length;
  return out.map((_, i) => (i < shift || operand[i - shift] === 1 ? 0 : own[i - shift]!));
}

/**
 * Calls `visit(i, a, b)` for every element of `shape` in row-major order, with `a` and `b` the offsets of two operands
 * under strides `sa` and `sb` (plus `baseA`, `baseB`), advanced like an odometer.
 */
export function forEachStrided(
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
  visit: (i: number, a: number, b: number) => void,
  baseA = 0,
  baseB = 0,
): void {
  const rank = shape.length;
  const total = product(shape);
  const index = new Array<number>(rank).fill(0);
  let a = baseA;
  let b = baseB;
  for (let i = 0; i < total; i++) {
    visit(i, a, b);
    for (let d = rank - 1; d >= 0; d--) {
      a += sa[d]!;
      b += sb[d]!;
      if (++index[d]! < shape[d]!) break;
      a -= sa[d]! * shape[d]!;
      b -= sb[d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

/** The offset under `strides` of flat row-major index `flat` of `shape`. */
export function stridedOffset(flat: number, shape: readonly number[], strides: readonly number[]): number {
  let offset = 0;
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    offset += (rest % size) * strides[d]!;
    rest = Math.floor(rest / size);
  }
  return offset;
}

/** A dimension index with negatives counted from the end. */
export function axisIndex(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
