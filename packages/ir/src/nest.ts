import { KpuError } from "./errors.js";
import { tileCount, type TileShape } from "./tile.js";

/**
 * The one tile-loop iterator of kpu. A tile loop nest walks the tiles of a matmul C[M,N] = A[M,K] x B[K,N] level by
 * level, outermost level first: at each level the tiles of that level's shape inside the enclosing tile are visited in
 * the level's loop order (outermost loop first, `kmn` = k outer, then m, then n). The step tiles are those of the
 * innermost level; edge tiles keep their true (shorter) size. One level with one order is the classic three-loop nest
 * (WS, IS and OS are its named presets); two levels express blocking (the `blocked` lowering order).
 */
export const NEST_ORDERS = ["mnk", "mkn", "nmk", "nkm", "kmn", "knm"] as const;
export type NestOrder = (typeof NEST_ORDERS)[number];
export type LoopDim = "m" | "n" | "k";

export interface NestLevel {
  readonly tile: TileShape;
  readonly order: NestOrder;
}

/** The problem extents in elements and the nest levels, outermost first. */
export interface TileNest {
  readonly dims: TileShape;
  readonly levels: readonly NestLevel[];
}

export function isNestOrder(value: string): value is NestOrder {
  return (NEST_ORDERS as readonly string[]).includes(value);
}

/** The loop dimensions of an order, outermost first. */
export function orderDims(order: NestOrder): readonly [LoopDim, LoopDim, LoopDim] {
  return [order[0] as LoopDim, order[1] as LoopDim, order[2] as LoopDim];
}

/** Checks that every level's tile is a positive integer shape and that each level nests in the one around it. */
export function validateNest(nest: TileNest, where = "nest.levels", names?: readonly string[]): void {
  if (nest.levels.length === 0) {
    throw new KpuError("KPU_BAD_NEST", "a tile nest needs at least one level", { where, hint: "Give one tile shape and loop order." });
  }
  let outer = nest.dims;
  nest.levels.forEach((level, x) => {
    const at = names?.[x] === undefined ? `${where}[${x}]` : `${where}.${names[x]}`;
    for (const d of ["m", "n", "k"] as const) {
      const t = level.tile[d];
      if (!Number.isSafeInteger(t) || t <= 0) {
        throw new KpuError("KPU_BAD_NEST", `tile ${d} = ${String(t)} is not a positive integer`, {
          where: `${at}.tile.${d}`,
          hint: "Tile edges are whole numbers of elements, at least 1.",
        });
      }
      const o = Math.min(outer[d], nest.dims[d]);
      const inner = Math.min(t, nest.dims[d]);
      if (inner > o || (o !== nest.dims[d] && o % inner !== 0)) {
        throw new KpuError("KPU_BAD_NEST", `tile ${d} = ${t} does not nest in the enclosing tile's ${d} = ${o}`, {
          where: `${at}.tile.${d}`,
          hint: "An inner tile edge must divide the outer tile's edge (or the outer tile must span the whole dimension).",
        });
      }
    }
    if (!isNestOrder(level.order)) {
      throw new KpuError("KPU_BAD_NEST", `loop order "${String(level.order)}" is not a permutation of m, n, k`, {
        where: `${at}.order`,
        hint: `Use one of: ${NEST_ORDERS.join(", ")}.`,
      });
    }
    outer = level.tile;
  });
}

/** Number of step tiles (innermost level) of a nest. */
export function nestStepCount(nest: TileNest): number {
  const t = nest.levels[nest.levels.length - 1]!.tile;
  return tileCount(nest.dims.m, t.m) * tileCount(nest.dims.n, t.n) * tileCount(nest.dims.k, t.k);
}

/**
 * Calls `step(m, n, k, index)` with the innermost-tile indices of every step, in nest order, lazily (nothing is
 * materialised; no allocation per step). Return `false` from `step` to stop early.
 */
export function forEachTileStep(nest: TileNest, step: (m: number, n: number, k: number, index: number) => unknown): void {
  const levels = effectiveLevels(nest);
  const last = levels.length - 1;
  const inner = levels[last]!.tile;
  const tiles = levels.map((l) => [l.tile.m, l.tile.n, l.tile.k]);
  const orders = levels.map((l) => orderDims(l.order).map((d) => (d === "m" ? 0 : d === "n" ? 1 : 2)));
  const origin = [0, 0, 0];
  const lo = levels.map(() => [0, 0, 0]);
  const hi = levels.map(() => [0, 0, 0]);
  let index = 0;
  let stopped = false;
  // Walks level x inside the element box [lo[x], hi[x]) of the enclosing tile; dimension 0 = m, 1 = n, 2 = k.
  const walk = (x: number): void => {
    const tile = tiles[x]!;
    const [d0, d1, d2] = orders[x] as [number, number, number];
    const l = lo[x]!;
    const h = hi[x]!;
    for (let a = l[d0]!; a < h[d0]! && !stopped; a += tile[d0]!) {
      origin[d0] = a;
      for (let b = l[d1]!; b < h[d1]! && !stopped; b += tile[d1]!) {
        origin[d1] = b;
        for (let c = l[d2]!; c < h[d2]! && !stopped; c += tile[d2]!) {
          origin[d2] = c;
          if (x === last) {
            if (step(origin[0]! / inner.m, origin[1]! / inner.n, origin[2]! / inner.k, index++) === false) stopped = true;
            continue;
          }
          const nl = lo[x + 1]!;
          const nh = hi[x + 1]!;
          for (let d = 0; d < 3; d++) {
            nl[d] = origin[d]!;
            nh[d] = Math.min(h[d]!, origin[d]! + tile[d]!);
          }
          walk(x + 1);
          origin[d0] = a;
          origin[d1] = b;
        }
      }
    }
  };
  hi[0] = [nest.dims.m, nest.dims.n, nest.dims.k];
  walk(0);
}

/** The levels that loop: a level whose tile equals the one around it (clipped to the problem) has one iteration. */
function effectiveLevels(nest: TileNest): readonly NestLevel[] {
  const d = nest.dims;
  const clip = (t: TileShape): string => `${Math.min(t.m, d.m)},${Math.min(t.n, d.n)},${Math.min(t.k, d.k)}`;
  const out: NestLevel[] = [];
  for (const level of nest.levels) {
    const prev = out[out.length - 1];
    if (prev !== undefined && clip(prev.tile) === clip(level.tile)) continue;
    out.push(level);
  }
  return out;
}

/** A one-level nest: the classic three loops over `tile`-sized tiles in `order`. */
export function singleLevelNest(dims: TileShape, tile: TileShape, order: NestOrder): TileNest {
  return { dims, levels: [{ tile, order }] };
}
