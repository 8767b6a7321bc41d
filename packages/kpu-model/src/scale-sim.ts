import { arrayFolds, checkFabricDims, type FabricGemm } from "./fabric.js";
import type { Dataflow } from "./hardware.js";

/**
 * SCALE-Sim v2 compatibility: the numbers SCALE-Sim v2 reports for a GEMM on an R x C array when it runs stall-free
 * (`InterfaceBandwidth: CALC`). This is a separate model from `fabricTiming` on purpose: SCALE-Sim counts words, folds
 * over the full array, books fill and drain per fold by its own rules, reports the last cycle's index as the total and
 * adds R + C OFMAP writes per OS fold. See the package README, "SCALE-Sim compatibility".
 */
/** A GEMM on an R x C array: the same input as our fabric model takes. */
export type ScaleSimGemm = FabricGemm;

/** What SCALE-Sim v2 reports for one layer (COMPUTE_REPORT and DETAILED_ACCESS_REPORT SRAM columns), in words. */
export interface ScaleSimResult extends FabricGemm {
  /** SCALE-Sim's Sr, Sc and T: the operand extents spread over the array's rows and columns and streamed in time. */
  readonly spatialRows: number;
  readonly spatialCols: number;
  readonly temporal: number;
  readonly rowFolds: number;
  readonly colFolds: number;
  readonly folds: number;
  /** Rows of SCALE-Sim's demand matrices per fold; every fold has the same count because it pads to the full array. */
  readonly cyclesPerFold: number;
  /** COMPUTE_REPORT "Total Cycles": the index of the last demand row, i.e. folds x cyclesPerFold - 1. */
  readonly cycles: number;
  /** Always 0: in CALC mode the read buffers always hit, and the OFMAP buffer drains as fast as the array writes. */
  readonly stallCycles: number;
  readonly macs: number;
  /** SRAM IFMAP reads (operand A), SRAM Filter reads (operand B), SRAM OFMAP writes (operand C), in words. */
  readonly sramReadsA: number;
  readonly sramReadsB: number;
  readonly sramWritesC: number;
  /** COMPUTE_REPORT "Overall Util %": macs / (cycles x R x C), in percent. */
  readonly overallUtilPercent: number;
  /** COMPUTE_REPORT "Mapping Efficiency %": the mean over folds of the share of PEs mapped, in percent. */
  readonly mappingEfficiencyPercent: number;
  /** COMPUTE_REPORT "Compute Util %": the mean over folds of MACs / (R x C x that fold's span), in percent. */
  readonly computeUtilPercent: number;
}

/**
 * Demand-matrix rows per fold on the full R x C array. OS: T operand rows, C - 1 rows for the outputs to drain and
 * the R - 1 rows the input skew adds, so R + C + T - 2. WS and IS additionally spend R rows loading the stationary
 * operand before streaming, so 2R + C + T - 2.
 */
export function scaleSimFoldCycles(dataflow: Dataflow, rows: number, cols: number, temporal: number): number {
  const stream = rows + cols + temporal - 2;
  return dataflow === "os" ? stream : rows + stream;
}

/**
 * The span SCALE-Sim divides by for "Compute Util %": rows + columns - 1 of the one demand matrix it measures per fold
 * before skewing (OS: the OFMAP one, R + C + T - 2; WS: the filter one and IS: the IFMAP one, both 2R + 2C + T - 3).
 */
function computeUtilSpan(dataflow: Dataflow, rows: number, cols: number, temporal: number): number {
  return dataflow === "os" ? rows + cols + temporal - 2 : 2 * rows + 2 * cols + temporal - 3;
}

/**
 * SRAM words SCALE-Sim counts. A row fold re-reads the column-side operand and a column fold the row-side one; WS and
 * IS write each output once per row fold (partial sums); OS writes C once but SCALE-Sim also adds R + C writes per
 * fold (the padded fold's row and column counts).
 */
function sramCounts(g: ScaleSimGemm, rowFolds: number, colFolds: number): Pick<ScaleSimResult, "sramReadsA" | "sramReadsB" | "sramWritesC"> {
  const { rows, cols, m, n, k } = g;
  switch (g.dataflow) {
    case "os":
      return { sramReadsA: m * k * colFolds, sramReadsB: k * n * rowFolds, sramWritesC: m * n + rowFolds * colFolds * (rows + cols) };
    case "ws":
      return { sramReadsA: m * k * colFolds, sramReadsB: k * n, sramWritesC: m * n * rowFolds };
    case "is":
      return { sramReadsA: m * k, sramReadsB: k * n * colFolds, sramWritesC: m * n * rowFolds };
  }
}


/**
 * macs / (cycles x R x C) in percent. A lone 1-long fold on a 1 x 1 OS array reports 0 cycles, where SCALE-Sim itself
 * fails dividing by zero; we report 0 % there rather than Infinity, which JSON cannot carry.
 */
function utilPercent(macs: number, cycles: number, rows: number, cols: number): number {
  return cycles > 0 ? (macs * 100) / (cycles * rows * cols) : 0;
}

/** SCALE-Sim v2's stall-free report for one GEMM, in closed form (O(1)); see the package README for the formulas. */
export function scaleSimGemm(g: ScaleSimGemm): ScaleSimResult {
  checkFabricDims(g);
  const { rows, cols, dataflow, m, n, k } = g;
  // SCALE-Sim maps a GEMM onto the array as our dataflows do (OS: Sr = M, Sc = N, T = K; WS: K, N, M; IS: K, M, N)
  const { spatialRows, spatialCols, temporal, rowFolds, colFolds, folds } = arrayFolds(g);
  const cyclesPerFold = scaleSimFoldCycles(dataflow, rows, cols, temporal);
  // SCALE-Sim reports the cycle index of the last demand row, not the number of rows.
  const cycles = folds * cyclesPerFold - 1;
  const macs = m * n * k;
  const peFoldSlots = folds * rows * cols;
  // Used PEs summed over all folds is Sr x Sc, since the folds tile the spatial extents exactly.
  const mappedPes = spatialRows * spatialCols;
  return {
    dataflow,
    rows,
    cols,
    m,
    n,
    k,
    spatialRows,
    spatialCols,
    temporal,
    rowFolds,
    colFolds,
    folds,
    cyclesPerFold,
    cycles,
    stallCycles: 0,
    macs,
    ...sramCounts(g, rowFolds, colFolds),
    overallUtilPercent: utilPercent(macs, cycles, rows, cols),
    mappingEfficiencyPercent: (mappedPes * 100) / peFoldSlots,
    computeUtilPercent: (mappedPes * temporal * 100) / (peFoldSlots * computeUtilSpan(dataflow, rows, cols, temporal)),
  };
}

/** One topology layer reduced to its GEMM (see `parseScaleSimTopology`). */
export interface ScaleSimGemmLayer {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** The array a SCALE-Sim run uses: the cfg's ArrayHeight, ArrayWidth and Dataflow. */
export interface ScaleSimArray {
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: Dataflow;
}

export interface ScaleSimLayerResult extends ScaleSimResult {
  readonly name: string;
}

/** Totals over a topology: SCALE-Sim runs layers one after another, so cycles and words add up. */
export interface ScaleSimTotals {
  readonly layers: number;
  readonly cycles: number;
  readonly macs: number;
  readonly sramReadsA: number;
  readonly sramReadsB: number;
  readonly sramWritesC: number;
  /** Total MACs / (total cycles x R x C), in percent. */
  readonly overallUtilPercent: number;
}

export interface ScaleSimRun {
  readonly layers: readonly ScaleSimLayerResult[];
  readonly totals: ScaleSimTotals;
}

/** Runs every layer of a topology on one array, as SCALE-Sim does for a cfg and a topology file. */
export function scaleSimTopology(array: ScaleSimArray, layers: readonly ScaleSimGemmLayer[]): ScaleSimRun {
  const results = layers.map((l) => ({ name: l.name, ...scaleSimGemm({ ...array, m: l.m, n: l.n, k: l.k }) }));
  const sum = (key: "cycles" | "macs" | "sramReadsA" | "sramReadsB" | "sramWritesC") => results.reduce((s, r) => s + r[key], 0);
  const cycles = sum("cycles");
  const macs = sum("macs");
  return {
    layers: results,
    totals: {
      layers: results.length,
      cycles,
      macs,
      sramReadsA: sum("sramReadsA"),
      sramReadsB: sum("sramReadsB"),
      sramWritesC: sum("sramWritesC"),
      overallUtilPercent: utilPercent(macs, cycles, array.rows, array.cols),
    },
  };
}
