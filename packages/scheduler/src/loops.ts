import { tileCount, type TileShape } from "@kpu/ir";
import type { MatmulProblem } from "./problem.js";
import { STRATEGY_INFO, type Strategy } from "./strategy.js";

/** Tile counts along M, N and K (edge tiles included). */
export interface TileGridCounts {
  readonly mt: number;
  readonly nt: number;
  readonly kt: number;
}

export function tileGridOf(problem: MatmulProblem, tiles: TileShape): TileGridCounts {
  return { mt: tileCount(problem.m, tiles.m), nt: tileCount(problem.n, tiles.n), kt: tileCount(problem.k, tiles.k) };
}

/**
 * Calls `step(i, j, k, index)` for every tile step in the strategy's loop order (WS k->i->j, IS k->j->i, OS i->j->k),
 * lazily: nothing is materialised. Return `false` from `step` to stop early.
 */
export function forEachTileStep(
  grid: TileGridCounts,
  strategy: Strategy,
  step: (i: number, j: number, k: number, index: number) => unknown,
): void {
  const extent = { i: grid.mt, j: grid.nt, k: grid.kt };
  const [lo, lm, li] = STRATEGY_INFO[strategy].loops;
  const idx = { i: 0, j: 0, k: 0 };
  let index = 0;
  for (let o = 0; o < extent[lo]; o++) {
    idx[lo] = o;
    for (let m = 0; m < extent[lm]; m++) {
      idx[lm] = m;
      for (let n = 0; n < extent[li]; n++) {
        idx[li] = n;
        if (step(idx.i, idx.j, idx.k, index++) === false) return;
      }
    }
  }
}

/** The tile steps as a lazy iterable of `[i, j, k]` (allocates one small array per step; prefer forEachTileStep). */
export function* tileSteps(grid: TileGridCounts, strategy: Strategy): Generator<readonly [number, number, number]> {
  const extent = { i: grid.mt, j: grid.nt, k: grid.kt };
  const [lo, lm, li] = STRATEGY_INFO[strategy].loops;
  const idx = { i: 0, j: 0, k: 0 };
  for (let o = 0; o < extent[lo]; o++) {
    idx[lo] = o;
    for (let m = 0; m < extent[lm]; m++) {
      idx[lm] = m;
      for (let n = 0; n < extent[li]; n++) {
        idx[li] = n;
        yield [idx.i, idx.j, idx.k];
      }
    }
  }
}
