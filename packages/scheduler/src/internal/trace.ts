import { orderDims, STRATEGY_ORDER, type Strategy, type TileGrid } from "@kpu/ir";

/** Loop extents outer->middle->inner and which tile index each loop drives (0 = i/m, 1 = j/n, 2 = k). */
export interface LoopNest {
  readonly extents: readonly [number, number, number];
  readonly roles: readonly [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
}

/** The strategy's one-level loop nest (its @kpu/ir loop order) as extents and roles, for the unrolled L3 trace. */
export function loopNest(grid: TileGrid, strategy: Strategy): LoopNest {
  const role = (d: "m" | "n" | "k"): 0 | 1 | 2 => (d === "m" ? 0 : d === "n" ? 1 : 2);
  const extent = [grid.mt, grid.nt, grid.kt];
  const roles = orderDims(STRATEGY_ORDER[strategy]).map(role) as [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
  return { extents: [extent[roles[0]]!, extent[roles[1]]!, extent[roles[2]]!], roles };
}
