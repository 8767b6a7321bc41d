import { KpuError } from "@kpu/ir";
import type { Dataflow } from "./hardware.js";

/** A GEMM C[m,n] += A[m,k] x B[k,n] on an R x C systolic array, stall-free (operands always ready in L1). */
export interface FabricGemm {
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: Dataflow;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** Timing and SRAM traffic of a GEMM on the fabric; SRAM figures are in elements. */
export interface FabricTiming extends FabricGemm {
  /** Folds along the array's rows and columns, and their product. */
  readonly rowFolds: number;
  readonly colFolds: number;
  readonly folds: number;
  readonly cycles: number;
  readonly macs: number;
  /** macs / (cycles x rows x cols). */
  readonly utilisation: number;
  readonly sramReadsA: number;
  readonly sramReadsB: number;
  /** Partial sums read back to accumulate over row folds (WS and IS only). */
  readonly sramReadsC: number;
  readonly sramWritesC: number;
}

/**
 * Which GEMM dimension is spread over the array's rows, which over its columns, and which streams in time:
 * OS keeps C[m,n] in the PEs (rows = m, cols = n, time = k); WS keeps B[k,n] (rows = k, cols = n, time = m);
 * IS keeps A[m,k] transposed (rows = k, cols = m, time = n).
 */
export function dataflowMapping(dataflow: Dataflow, m: number, n: number, k: number): { spatialRows: number; spatialCols: number; temporal: number } {
  switch (dataflow) {
    case "os":
      return { spatialRows: m, spatialCols: n, temporal: k };
    case "ws":
      return { spatialRows: k, spatialCols: n, temporal: m };
    case "is":
      return { spatialRows: k, spatialCols: m, temporal: n };
  }
}

/** Refuses a GEMM or array with a dimension that is not a positive integer (shared with the SCALE-Sim mode). */
export function checkFabricDims(g: FabricGemm): void {
  for (const key of ["rows", "cols", "m", "n", "k"] as const) {
    const v = g[key];
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new KpuError("KPU_BAD_DIM", `${key} = ${v} must be a positive integer`, {
        where: key,
        hint: "Pass positive whole numbers for the array and the GEMM.",
      });
    }
  }
}

/**
 * Cycles of one fold that uses r rows and c columns of the array with a temporal extent t:
 * `2r + c + t - 2` (SCALE-Sim's model): OS fills the skewed wavefront (r - 1 + c - 1), streams t = k operands and
 * drains r rows of results; WS and IS first shift the stationary operand in (r cycles), then stream t operands through
 * the skew (t + r - 1 + c - 1).
 */
export function foldCycles(r: number, c: number, t: number): number {
  return 2 * r + c + t - 2;
}

/** The GEMM's spatial and temporal extents on the array and its folds of at most R rows and C columns. */
export function arrayFolds(g: FabricGemm): { spatialRows: number; spatialCols: number; temporal: number; rowFolds: number; colFolds: number; folds: number } {
  const { spatialRows, spatialCols, temporal } = dataflowMapping(g.dataflow, g.m, g.n, g.k);
  const rowFolds = Math.ceil(spatialRows / g.rows);
  const colFolds = Math.ceil(spatialCols / g.cols);
  return { spatialRows, spatialCols, temporal, rowFolds, colFolds, folds: rowFolds * colFolds };
}

/** Closed-form fabric timing (see the package README for the formulas); O(1). */
export function fabricTiming(g: FabricGemm): FabricTiming {
  checkFabricDims(g);
  const { rows, cols, dataflow, m, n, k } = g;
  const { spatialRows, spatialCols, temporal, rowFolds, colFolds, folds } = arrayFolds(g);
  // Sum over folds of 2r + c + t - 2, where the r's of one column of folds add up to spatialRows.
  const cycles = colFolds * 2 * spatialRows + rowFolds * spatialCols + folds * (temporal - 2);
  const macs = m * n * k;
  let sramReadsA: number;
  let sramReadsB: number;
  let sramReadsC = 0;
  let sramWritesC: number;
  switch (dataflow) {
    case "os":
      sramReadsA = m * k * colFolds;
      sramReadsB = k * n * rowFolds;
      sramWritesC = m * n;
      break;
    case "ws":
      sramReadsA = m * k * colFolds;
      sramReadsB = k * n;
      sramWritesC = m * n * rowFolds;
      sramReadsC = m * n * (rowFolds - 1);
      break;
    case "is":
      sramReadsA = m * k;
      sramReadsB = k * n * colFolds;
      sramWritesC = m * n * rowFolds;
      sramReadsC = m * n * (rowFolds - 1);
      break;
  }
  return {
    dataflow,
    rows,
    cols,
    m,
    n,
    k,
    rowFolds,
    colFolds,
    folds,
    cycles,
    macs,
    utilisation: macs / (cycles * rows * cols),
    sramReadsA,
    sramReadsB,
    sramReadsC,
    sramWritesC,
  };
}

/** One operand element entering the array: at `cycle`, element (`row`, `col`) of `operand` enters a row or column port. */
export interface InjectionEvent {
  readonly cycle: number;
  readonly fold: number;
  readonly operand: "A" | "B";
  /** `stream` enters at the skewed edge and moves on; `preload` shifts a stationary operand in before streaming. */
  readonly phase: "stream" | "preload";
  readonly row: number;
  readonly col: number;
  readonly port: "row" | "col";
  readonly portIndex: number;
}

/** The per-cycle trace is meant for small cases; beyond this many events it is refused. */
export const MAX_TRACE_EVENTS = 200_000;

/**
 * The skewed injection trace: which operand element enters which row or column of the array at which cycle, fold
 * by fold (folds row-major over the array's row and column folds). Events are sorted by cycle, then port.
 */
export function fabricTrace(g: FabricGemm): InjectionEvent[] {
  const t = fabricTiming(g);
  const expected = t.sramReadsA + t.sramReadsB;
  if (expected > MAX_TRACE_EVENTS) {
    throw new KpuError("KPU_TOO_LARGE", `the trace would have ${expected} events (limit ${MAX_TRACE_EVENTS})`, {
      where: "--trace",
      hint: "Trace a smaller GEMM, e.g. --m 16 --n 16 --k 16.",
    });
  }
  const { rows, cols, dataflow, m, n, k } = g;
  const { spatialRows, spatialCols, temporal } = dataflowMapping(dataflow, m, n, k);
  const events: InjectionEvent[] = [];
  let start = 0;
  let fold = 0;
  for (let r0 = 0; r0 < spatialRows; r0 += rows) {
    const r = Math.min(rows, spatialRows - r0);
    for (let c0 = 0; c0 < spatialCols; c0 += cols) {
      const c = Math.min(cols, spatialCols - c0);
      const push = (cycle: number, operand: "A" | "B", phase: "stream" | "preload", row: number, col: number, port: "row" | "col", portIndex: number) =>
        events.push({ cycle: start + cycle, fold, operand, phase, row, col, port, portIndex });
      if (dataflow === "os") {
        // A[r0+i][kk] enters row i at i + kk; B[kk][c0+j] enters column j at j + kk.
        for (let kk = 0; kk < temporal; kk++) {
          for (let i = 0; i < r; i++) push(i + kk, "A", "stream", r0 + i, kk, "row", i);
          for (let j = 0; j < c; j++) push(j + kk, "B", "stream", kk, c0 + j, "col", j);
        }
      } else {
        // Preload: the stationary tile shifts in from the top, its last row first, one row per cycle.
        for (let step = 0; step < r; step++) {
          const i = r - 1 - step;
          for (let j = 0; j < c; j++) {
            if (dataflow === "ws") push(step, "B", "preload", r0 + i, c0 + j, "col", j);
            else push(step, "A", "preload", c0 + j, r0 + i, "col", j);
          }
        }
        // Stream: element tt of the temporal dimension enters row i at r + tt + i.
        for (let tt = 0; tt < temporal; tt++) {
          for (let i = 0; i < r; i++) {
            if (dataflow === "ws") push(r + tt + i, "A", "stream", tt, r0 + i, "row", i);
            else push(r + tt + i, "B", "stream", r0 + i, tt, "row", i);
          }
        }
      }
      start += foldCycles(r, c, temporal);
      fold++;
    }
  }
  events.sort((a, b) => a.cycle - b.cycle || (a.port === b.port ? 0 : a.port === "row" ? -1 : 1) || a.portIndex - b.portIndex);
  return events;
}
