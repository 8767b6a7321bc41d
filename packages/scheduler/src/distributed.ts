import { KpuError } from "@kpu/ir";
import { analyzeL3, type L3Options, type L3Result } from "./l3.js";
import { compulsoryBytes } from "./bounds.js";
import { validateProblem, type MatmulProblem } from "./problem.js";
import type { Strategy } from "./strategy.js";

export interface DistributedOptions extends Omit<L3Options, "l3Bytes" | "strategies"> {
  /** KPU tiles along M (rows of C) and along N (columns of C). */
  readonly gridRows: number;
  readonly gridCols: number;
  /** L3 slice per tile, bytes (one or more sizes; one result per size). */
  readonly sliceBytes: readonly number[];
  readonly strategy: Strategy;
}

export interface DistributedTile {
  readonly row: number;
  readonly col: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly result: L3Result;
}

export interface DistributedResult {
  readonly sliceBytes: number;
  readonly strategy: Strategy;
  readonly gridRows: number;
  readonly gridCols: number;
  readonly tiles: readonly DistributedTile[];
  /** Sum over tiles: every tile fetches its own A and B stripes. */
  readonly dramReadBytes: number;
  readonly dramWriteBytes: number;
  /** With multicast: tiles of a grid row share A fetches, tiles of a grid column share B fetches. */
  readonly multicastReadBytes: number;
  readonly compulsoryBytes: number;
  readonly maxTileReadBytes: number;
}

/** Splits `dim` into `parts` near-equal extents (the first `dim % parts` one larger). */
export function splitExtent(dim: number, parts: number): number[] {
  const base = Math.floor(dim / parts);
  return Array.from({ length: parts }, (_, p) => base + (p < dim % parts ? 1 : 0));
}

/**
 * Distributed L3: C is partitioned over a gridRows x gridCols grid of KPU tiles (near-equal blocks); each tile runs the
 * strategy on its block (M_r x N_c x K) against its own L3 slice. Totals sum the tiles. With multicast, the tiles of
 * one grid row run the same loop nest over the same A stripe in lockstep, so the row fetches A once: the row's A
 * traffic is the largest A traffic of its tiles; likewise B per grid column. C is never shared.
 * Blocks of equal shape are simulated once.
 */
export function analyzeDistributed(problem: MatmulProblem, options: DistributedOptions): DistributedResult[] {
  validateProblem(problem, "--");
  const { gridRows, gridCols } = options;
  for (const [name, v, dim] of [
    ["rows", gridRows, problem.m],
    ["cols", gridCols, problem.n],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0 || v > dim) {
      throw new KpuError("KPU_L3_BAD_GRID", `grid ${name} = ${String(v)} must be 1 to ${dim}`, {
        where: "--tiles-grid",
        hint: "Give the KPU tile grid as ROWSxCOLS, e.g. 4x4, with at most one tile per row/column of C.",
      });
    }
  }
  const ms = splitExtent(problem.m, gridRows);
  const ns = splitExtent(problem.n, gridCols);
  const memo = new Map<string, L3Result[]>();
  const resultsFor = (m: number, n: number): L3Result[] => {
    const key = `${m}x${n}`;
    let r = memo.get(key);
    if (r === undefined) {
      r = analyzeL3({ ...problem, m, n }, { ...options, l3Bytes: options.sliceBytes, strategies: [options.strategy] });
      memo.set(key, r);
    }
    return r;
  };
  return options.sliceBytes.map((sliceBytes, x) => {
    const tiles: DistributedTile[] = [];
    for (let r = 0; r < gridRows; r++) {
      for (let c = 0; c < gridCols; c++) {
        const result = resultsFor(ms[r]!, ns[c]!)[x]!;
        tiles.push({ row: r, col: c, m: ms[r]!, n: ns[c]!, k: problem.k, result });
      }
    }
    let reads = 0;
    let writes = 0;
    let cReads = 0;
    let maxTile = 0;
    for (const t of tiles) {
      reads += t.result.dramReadBytes;
      writes += t.result.dramWriteBytes;
      cReads += t.result.tensors.c.readBytes;
      maxTile = Math.max(maxTile, t.result.dramReadBytes);
    }
    let aShared = 0;
    for (let r = 0; r < gridRows; r++) {
      aShared += Math.max(...tiles.filter((t) => t.row === r).map((t) => t.result.tensors.a.readBytes));
    }
    let bShared = 0;
    for (let c = 0; c < gridCols; c++) {
      bShared += Math.max(...tiles.filter((t) => t.col === c).map((t) => t.result.tensors.b.readBytes));
    }
    return {
      sliceBytes,
      strategy: options.strategy,
      gridRows,
      gridCols,
      tiles,
      dramReadBytes: reads,
      dramWriteBytes: writes,
      multicastReadBytes: aShared + bShared + cReads,
      compulsoryBytes: compulsoryBytes(problem),
      maxTileReadBytes: maxTile,
    };
  });
}

/**
 * The grid that splits C over `computeTiles` compute tiles: rows x cols blocks (rows x cols = computeTiles, fewer
 * when a dimension has fewer elements), minimising the largest block's area, then its perimeter (the operand stripes
 * it reads); ties keep the split along M.
 */
export function chooseComputeGrid(m: number, n: number, computeTiles: number): { readonly rows: number; readonly cols: number } {
  let best = { rows: 1, cols: 1, area: Infinity, perimeter: Infinity };
  for (let r = computeTiles; r >= 1; r--) {
    if (computeTiles % r !== 0) continue;
    const rows = Math.min(r, m);
    const cols = Math.min(computeTiles / r, n);
    const bm = Math.ceil(m / rows);
    const bn = Math.ceil(n / cols);
    if (bm * bn < best.area || (bm * bn === best.area && bm + bn < best.perimeter)) best = { rows, cols, area: bm * bn, perimeter: bm + bn };
  }
  return { rows: best.rows, cols: best.cols };
}

/** The distinct block shapes of a rows x cols split of C (splitExtent along each dimension), largest first. */
export function gridBlocks(m: number, n: number, rows: number, cols: number): { readonly m: number; readonly n: number; readonly count: number }[] {
  const count = new Map<string, { m: number; n: number; count: number }>();
  for (const bm of splitExtent(m, rows)) {
    for (const bn of splitExtent(n, cols)) {
      const key = `${bm}x${bn}`;
      const e = count.get(key);
      if (e === undefined) count.set(key, { m: bm, n: bn, count: 1 });
      else e.count++;
    }
  }
  return [...count.values()].sort((a, b) => b.m * b.n - a.m * a.n || b.m - a.m);
}
