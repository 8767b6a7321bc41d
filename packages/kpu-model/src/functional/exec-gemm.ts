import { forEachTileStep, singleLevelNest, type Conv2dOp, type TileShape } from "@kpu/ir";
import { convGemm, convInputOffset, convOutputOffset, convWeightOffset, type ConvGemm } from "@kpu/passes";
import type { Epilogue } from "./exec-elementwise.js";
import { broadcastStrides, forEachStrided, product } from "./exec-index.js";

/**
 * One GEMM C[m, n] = A[m, k] x B[k, n] as the fabric sees it: operands are read element by element through accessors
 * (a conv's A through its implicit-GEMM offsets, never an im2col copy) and each finished C element is handed to `store`.
 */
export interface GemmProblem {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readA(row: number, col: number): number;
  readB(col: number, j: number): number;
  store(row: number, j: number, value: number): void;
}

/**
 * Runs `problem` tile by tile with the one tile-loop iterator (order mnk: output-stationary, k innermost). Each step
 * streams an A tile and a B tile into on-chip buffers and accumulates their product in an fp32 accumulator tile; after
 * the last k step the tile is stored. Buffers are allocated once per call, none per step.
 */
export function tiledGemm(problem: GemmProblem, tile: TileShape): void {
  const { m, n, k } = problem;
  const tm = Math.min(tile.m, m);
  const tn = Math.min(tile.n, n);
  const tk = Math.min(tile.k, k);
  const a = new Float32Array(tm * tk);
  const b = new Float32Array(tk * tn);
  const acc = new Float32Array(tm * tn);
  const lastK = Math.ceil(k / tk) - 1;
  forEachTileStep(singleLevelNest({ m, n, k }, { m: tm, n: tn, k: tk }, "mnk"), (mi, ni, ki) => {
    const m0 = mi * tm;
    const n0 = ni * tn;
    const k0 = ki * tk;
    const rows = Math.min(tm, m - m0);
    const cols = Math.min(tn, n - n0);
    const depth = Math.min(tk, k - k0);
    if (ki === 0) acc.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < depth; c++) a[r * depth + c] = problem.readA(m0 + r, k0 + c);
    for (let c = 0; c < depth; c++) for (let j = 0; j < cols; j++) b[c * cols + j] = problem.readB(k0 + c, n0 + j);
    for (let r = 0; r < rows; r++) {
      const row = r * cols;
      for (let c = 0; c < depth; c++) {
        const av = a[r * depth + c]!;
        const brow = c * cols;
        for (let j = 0; j < cols; j++) acc[row + j]! += av * b[brow + j]!;
      }
    }
    if (ki === lastK) for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) problem.store(m0 + r, n0 + j, acc[r * cols + j]!);
  });
}

/** matmul, fused_matmul and batch_matmul: one tiled GEMM per output batch element, batch dimensions broadcast. */
export function matmulKernel(A: Float32Array, aShape: readonly number[], B: Float32Array, bShape: readonly number[], outShape: readonly number[], epilogue: Epilogue, tile: TileShape): Float32Array {
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape.at(-1)!;
  const out = new Float32Array(product(outShape)).fill(NaN);
  const batch = outShape.slice(0, -2);
  const base = { a: 0, b: 0, c: 0 };
  const problem: GemmProblem = {
    m, n, k,
    readA: (row, col) => A[base.a + row * k + col]!,
    readB: (col, j) => B[base.b + col * n + j]!,
    store: (row, j, value) => {
      const flat = base.c + row * n + j;
      out[flat] = epilogue.apply(value, flat);
    },
  };
  const sa = broadcastStrides(aShape.slice(0, -2), batch).map((s) => s * m * k);
  const sb = broadcastStrides(bShape.slice(0, -2), batch).map((s) => s * k * n);
  forEachStrided(batch, sa, sb, (i, aOff, bOff) => {
    base.a = aOff;
    base.b = bOff;
    base.c = i * m * n;
    tiledGemm(problem, tile);
  });
  return out;
}

/**
 * Test-only faults in the conv's A-operand addressing, so that a test can see the functional check catch them: a
 * stride one too large, top/left padding one too large, or each group reading the next group's input channels.
 */
export const CONV_FAULTS = ["conv-stride", "conv-padding", "conv-groups"] as const;
export type ConvFault = (typeof CONV_FAULTS)[number];

/** The geometry A is addressed with, the fault (if any) applied. */
function readGeometry(g: ConvGemm, fault: ConvFault | undefined): ConvGemm {
  if (fault === "conv-stride") return { ...g, stride: [g.stride[0] + 1, g.stride[1] + 1] };
  if (fault === "conv-padding") return { ...g, padding: [g.padding[0] + 1, g.padding[1] + 1, g.padding[2], g.padding[3]] };
  return g;
}

/**
 * conv2d as the implicit GEMM of `@kpu/passes` per group: A[row, col] is read from X at `convInputOffset` (zero in the
 * padding), B from the weights at `convWeightOffset`, C stored at `convOutputOffset` through the epilogue.
 */
export function convKernel(op: Conv2dOp, X: Float32Array, xShape: readonly number[], W: Float32Array, wShape: readonly number[], outShape: readonly number[], epilogue: Epilogue, tile: TileShape, fault?: ConvFault): Float32Array {
  const g = convGemm(op, xShape, wShape, outShape);
  const read = readGeometry(g, fault);
  const out = new Float32Array(product(outShape)).fill(NaN);
  const at = { group: 0, readGroup: 0 };
  const problem: GemmProblem = {
    m: g.m, n: g.n, k: g.k,
    readA: (row, col) => {
      const offset = convInputOffset(read, at.readGroup, row, col);
      return offset < 0 ? 0 : X[offset]!;
    },
    readB: (col, j) => W[convWeightOffset(g, at.group, col, j)]!,
    store: (row, j, value) => {
      const flat = convOutputOffset(g, at.group, row, j);
      out[flat] = epilogue.apply(value, flat);
    },
  };
  for (let group = 0; group < g.groups; group++) {
    at.group = group;
    at.readGroup = fault === "conv-groups" ? (group + 1) % g.groups : group;
    tiledGemm(problem, tile);
  }
  return out;
}
