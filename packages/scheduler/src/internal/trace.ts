import type { Strategy } from "../strategy.js";

/** Tile-grid counts: tiles along M (i), N (j) and K (k). */
export interface Grid {
  readonly mt: number;
  readonly nt: number;
  readonly kt: number;
}

/** Loop extents outer->middle->inner and which tile index each loop drives (0 = i, 1 = j, 2 = k). */
export interface LoopNest {
  readonly extents: readonly [number, number, number];
  readonly roles: readonly [0 | 1 | 2, 0 | 1 | 2, 0 | 1 | 2];
}

export function loopNest(grid: Grid, strategy: Strategy): LoopNest {
  const { mt, nt, kt } = grid;
  if (strategy === "ws") return { extents: [kt, mt, nt], roles: [2, 0, 1] };
  if (strategy === "is") return { extents: [kt, nt, mt], roles: [2, 1, 0] };
  return { extents: [mt, nt, kt], roles: [0, 1, 2] };
}
