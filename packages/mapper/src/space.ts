import { MAPPING_SCHEMA_VERSION, NEST_ORDERS, tileSetBytes, type Mapping, type NestOrder, type TileShape } from "@kpu/ir";
import { DATAFLOWS, type Dataflow, type Hardware } from "@kpu/kpu-model";
import { gridBlocks } from "@kpu/scheduler";
import type { GemmShape } from "./cost.js";

/**
 * The mapping space of one GEMM (see the README): a grid of compute tiles (every rows x cols = computeTiles split,
 * clipped to C's rows and columns), one tile shape held by L3, L2 and L1 (per dimension the divisors of the largest
 * block's extent and the multiples of the array's edge below it: edge tiles keep their true size), a loop order
 * (all six), the fabric dataflow (os, ws, is) on the full array, and a buffering depth of 1 or 2 per level, multicast
 * on. A point fits when every level holds its buffered tile sets and the block has at most MAX_STEPS steps.
 */
export const MAX_STEPS = 1_000_000;
export const BUFFER_CHOICES = [1, 2] as const;
/** Buffering codes 0..7: (l3, l2, l1) = code bits 2, 1, 0 plus one. */
export const BUFFER_CODES = 8;

export interface Grid {
  readonly rows: number;
  readonly cols: number;
}

/** The grids of the space, most rows first (each distinct after clipping). */
export function spaceGrids(shape: GemmShape, computeTiles: number): Grid[] {
  const out: Grid[] = [];
  for (let r = computeTiles; r >= 1; r--) {
    if (computeTiles % r !== 0) continue;
    const g = { rows: Math.min(r, shape.m), cols: Math.min(computeTiles / r, shape.n) };
    if (!out.some((x) => x.rows === g.rows && x.cols === g.cols)) out.push(g);
  }
  return out;
}

/**
 * Tile edge candidates along a dimension of `extent`, ascending: the multiples of `granule` (the array's edge) below
 * it, and its divisors, those below the granule only when the extent itself is below it (a tile edge shorter than the
 * array only wastes PEs).
 */
export function edgeCandidates(extent: number, granule: number): number[] {
  const set = new Set<number>();
  const small = extent < granule;
  for (let d = 1; d * d <= extent; d++) {
    if (extent % d !== 0) continue;
    if (small || d >= granule) set.add(d);
    if (small || extent / d >= granule) set.add(extent / d);
  }
  for (let t = granule; t < extent; t += granule) set.add(t);
  return [...set].sort((a, b) => a - b);
}

/** The largest block of a grid (the one `kpu sim` times). */
export function largestBlock(shape: GemmShape, grid: Grid): TileShape {
  const b = gridBlocks(shape.m, shape.n, grid.rows, grid.cols)[0]!;
  return { m: b.m, n: b.n, k: shape.k };
}

/** The tiles of a grid that fit every level with one buffer and stay within MAX_STEPS, in (m, n, k) ascending order. */
export function spaceTiles(hw: Hardware, shape: GemmShape, grid: Grid): TileShape[] {
  const block = largestBlock(shape, grid);
  const eb = hw.derived.elementBytes;
  const cap = minCapacity(hw);
  const ms = edgeCandidates(block.m, hw.fabric.rows);
  const ns = edgeCandidates(block.n, hw.fabric.cols);
  const ks = edgeCandidates(block.k, hw.fabric.rows);
  const out: TileShape[] = [];
  for (const m of ms) {
    for (const n of ns) {
      if (m * n * eb > cap) break;
      const steps = Math.ceil(block.m / m) * Math.ceil(block.n / n);
      for (const k of ks) {
        if (tileSetBytes({ m, n, k }, eb) > cap) break;
        if (steps * Math.ceil(block.k / k) > MAX_STEPS) continue;
        out.push({ m, n, k });
      }
    }
  }
  return out;
}

function minCapacity(hw: Hardware): number {
  const l = hw.derived.levels;
  return Math.min(l.l1.perTileCapacityBytes, l.l2.perTileCapacityBytes, l.l3.perTileCapacityBytes);
}

/** Buffering depths [L1, L2, L3] of a code. */
export function buffersOf(code: number): [number, number, number] {
  return [(code & 1) + 1, ((code >> 1) & 1) + 1, ((code >> 2) & 1) + 1];
}

/** Whether every level holds its buffered tile sets (the tile set clipped to the largest block). */
export function buffersFit(hw: Hardware, setBytes: number, code: number): boolean {
  const l = hw.derived.levels;
  const b = buffersOf(code);
  return b[0] * setBytes <= l.l1.perTileCapacityBytes && b[1] * setBytes <= l.l2.perTileCapacityBytes && b[2] * setBytes <= l.l3.perTileCapacityBytes;
}

/** One point of the space, by its coordinates. */
export interface Point {
  readonly grid: Grid;
  readonly tile: TileShape;
  readonly order: NestOrder;
  readonly dataflow: Dataflow;
  /** [L1, L2, L3]. */
  readonly buffers: readonly [number, number, number];
}

/** The `kpu.mapping` document of a point: every level holds the tile, walks it in the order, LRU. */
export function pointMapping(hw: Hardware, p: Point): Mapping {
  const level = (buffers: number) => ({ tile: p.tile, order: p.order, buffers, policy: "lru" as const });
  return {
    kind: "kpu.mapping",
    schemaVersion: MAPPING_SCHEMA_VERSION,
    levels: { l3: level(p.buffers[2]), l2: level(p.buffers[1]), l1: level(p.buffers[0]) },
    grid: { rows: p.grid.rows, cols: p.grid.cols, multicast: true },
    fabric: { dataflow: p.dataflow, rows: hw.fabric.rows, cols: hw.fabric.cols },
  };
}

export { DATAFLOWS, NEST_ORDERS };
