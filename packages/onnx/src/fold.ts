import { broadcastShapes } from "@kpu/ir";
import { elements, type Const } from "./constants.js";

/**
 * The constant folder: the int64 (and small float) arithmetic of exporters' shape logic (Shape -> Gather -> Unsqueeze
 * -> Concat -> Reshape, Where/Equal/Expand masks, Range, Cast), evaluated once the input shapes are known. Each function
 * returns undefined for what it cannot fold (shapes that do not broadcast, an axis out of range), and the caller then
 * reports the node.
 */

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** For each element of `out`, the flat index of the element of `shape` broadcast onto it (NumPy rules). */
function broadcastIndex(out: readonly number[], shape: readonly number[]): number[] {
  const inStrides = strides(shape);
  const outStrides = strides(out);
  const offset = out.length - shape.length;
  return Array.from({ length: elements(out) }, (_, flat) => {
    let index = 0;
    for (let d = offset; d < out.length; d++) {
      const coord = Math.floor(flat / outStrides[d]!) % out[d]!;
      if (shape[d - offset] !== 1) index += coord * inStrides[d - offset]!;
    }
    return index;
  });
}

/** An elementwise function of constants with broadcasting; `int` is the result's kind. */
export function mapConsts(inputs: readonly Const[], int: boolean, fn: (values: number[]) => number): Const | undefined {
  let shape: number[] | undefined = [];
  for (const c of inputs) shape = shape === undefined ? undefined : broadcastShapes(shape, c.shape);
  if (shape === undefined) return undefined;
  const out = shape;
  const maps = inputs.map((c) => broadcastIndex(out, c.shape));
  const data = Array.from({ length: elements(out) }, (_, i) => fn(inputs.map((c, k) => c.data[maps[k]![i]!]!)));
  return { int, shape: inputs.every((c) => c.shape.length === 0) ? [] : out, data: int ? data.map(Math.trunc) : data };
}

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Mod: (a, b) => a - Math.floor(a / b) * b,
  Min: Math.min,
  Max: Math.max,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  Or: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
};
const COMPARISONS = new Set(["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or"]);

const UNARY: Readonly<Record<string, (a: number) => number>> = {
  Neg: (a) => -a,
  Abs: Math.abs,
  Sqrt: Math.sqrt,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Reciprocal: (a) => 1 / a,
  Not: (a) => (a === 0 ? 1 : 0),
  Relu: (a) => Math.max(0, a),
};

export const FOLDABLE_ELEMENTWISE: readonly string[] = [...Object.keys(BINARY), ...Object.keys(UNARY), "Where"];

/** Folds an elementwise op of constants (ints stay ints; comparisons give 0/1 ints). */
export function foldElementwise(opType: string, inputs: readonly Const[]): Const | undefined {
  const binary = BINARY[opType];
  if (binary !== undefined && inputs.length === 2) {
    const int = COMPARISONS.has(opType) || (inputs[0]!.int && inputs[1]!.int);
    const fn = opType === "Div" && int ? (a: number, b: number): number => Math.trunc(a / b) : binary;
    return mapConsts(inputs, int, ([a, b]) => fn(a!, b!));
  }
  const unary = UNARY[opType];
  if (unary !== undefined && inputs.length === 1) return mapConsts(inputs, inputs[0]!.int, ([a]) => unary(a!));
  if (opType === "Where" && inputs.length === 3) return mapConsts(inputs, inputs[1]!.int && inputs[2]!.int, ([c, x, y]) => (c !== 0 ? x! : y!));
  return undefined;
}

function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}

/** data[..., indices, ...] along `axis` (negative indices count from the end). */
export function gatherConst(data: Const, indices: Const, axis: number): Const | undefined {
  const rank = Math.max(data.shape.length, 1);
  const a = normAxis(axis, rank);
  const shape = data.shape.length === 0 ? [1] : data.shape;
  if (a === undefined) return undefined;
  const outer = elements(shape.slice(0, a));
  const dim = shape[a]!;
  const inner = elements(shape.slice(a + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices.data) {
      const idx = raw < 0 ? raw + dim : raw;
      if (idx < 0 || idx >= dim) return undefined;
      for (let i = 0; i < inner; i++) out.push(data.data[(o * dim + idx) * inner + i]!);
    }
  }
  return { int: data.int, shape: [...shape.slice(0, a), ...indices.shape, ...shape.slice(a + 1)], data: out };
}

/** The ONNX Slice of a constant (any step sign, clamped like ONNX). */
export function sliceConst(c: Const, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): Const | undefined {
  const shape = [...c.shape];
  const picks = shape.map((d) => Array.from({ length: d }, (_, i) => i));
  for (let k = 0; k < axes.length; k++) {
    const a = normAxis(axes[k]!, shape.length);
    const step = steps[k] ?? 1;
    if (a === undefined || step === 0) return undefined;
    const dim = shape[a]!;
    const norm = (v: number): number => (v < 0 ? v + dim : v);
    const lo = step > 0 ? 0 : -1;
    const hi = step > 0 ? dim : dim - 1;
    let i = Math.min(hi, Math.max(lo, norm(starts[k]!)));
    const end = Math.min(hi, Math.max(lo, norm(ends[k]!)));
    const picked: number[] = [];
    for (; step > 0 ? i < end : i > end; i += step) picked.push(i);
    picks[a] = picked;
    shape[a] = picked.length;
  }
  const inStrides = strides(c.shape);
  const outStrides = strides(shape);
  const data = Array.from({ length: elements(shape) }, (_, flat) => {
    let index = 0;
    for (let d = 0; d < shape.length; d++) index += picks[d]![Math.floor(flat / outStrides[d]!) % shape[d]!]! * inStrides[d]!;
    return c.data[index]!;
  });
  return { int: c.int, shape, data };
}

/** Joins constants along `axis` (rank-0 inputs count as [1]). */
export function concatConst(inputs: readonly Const[], axis: number): Const | undefined {
  const shapes = inputs.map((c) => (c.shape.length === 0 ? [1] : c.shape));
  const rank = shapes[0]?.length ?? 0;
  const a = normAxis(axis, rank);
  if (a === undefined || shapes.some((s) => s.length !== rank || s.some((d, i) => i !== a && d !== shapes[0]![i]))) return undefined;
  const outer = elements(shapes[0]!.slice(0, a));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    inputs.forEach((c, k) => {
      const chunk = elements(shapes[k]!.slice(a));
      data.push(...c.data.slice(o * chunk, (o + 1) * chunk));
    });
  }
  const shape = [...shapes[0]!];
  shape[a] = shapes.reduce((sum, s) => sum + s[a]!, 0);
  return { int: inputs.every((c) => c.int), shape, data };
}

/** Same values, another shape (Reshape, Squeeze, Unsqueeze, Flatten of a constant). */
export function reshapeConst(c: Const, shape: readonly number[]): Const | undefined {
  return elements(shape) === c.data.length ? { ...c, shape } : undefined;
}

/** Broadcasts a constant to `shape` (ONNX Expand: the result is the broadcast of both shapes). */
export function expandConst(c: Const, shape: readonly number[]): Const | undefined {
  return mapConsts([c, { int: c.int, shape, data: new Array<number>(elements(shape)).fill(0) }], c.int, ([x]) => x!);
}

export function rangeConst(start: number, limit: number, delta: number, int: boolean): Const | undefined {
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  if (!Number.isFinite(n) || n > 1 << 16) return undefined;
  return { int, shape: [n], data: Array.from({ length: n }, (_, i) => start + i * delta) };
}
