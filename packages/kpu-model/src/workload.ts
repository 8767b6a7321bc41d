import { KpuError, tileCount, tileExtent, type TileShape } from "@kpu/ir";
import { STRATEGIES as SCHEDULER_STRATEGIES, chooseTiles, type Strategy as SchedulerStrategy, type TileRule } from "@kpu/scheduler";

/** Tile-level dataflow strategies with kpu-sim's loop orders: WS = k->i->j, IS = k->j->i, OS = i->j->k. */
export const STRATEGIES: readonly SchedulerStrategy[] = SCHEDULER_STRATEGIES;
export type Strategy = SchedulerStrategy;

export const STRATEGY_LOOP_ORDER: Readonly<Record<Strategy, string>> = { ws: "kij", is: "kji", os: "ijk" };

/** A tiled matmul C[M,N] = A[M,K] x B[K,N]: the unit the timing model simulates. */
export interface MatmulWorkload {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly tiles: TileShape;
  readonly strategy: Strategy;
}

/** Largest operand the model accepts along one dimension. */
export const MAX_DIM = 2 ** 31;

export function checkDim(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_DIM) {
    throw new KpuError("KPU_BAD_DIM", `${name} = ${value} must be a positive integer up to 2^31`, {
      where: `--${name}`,
      hint: `Pass a whole number such as --${name} 1024.`,
    });
  }
}

/**
 * The default tiles: @kpu/scheduler's kpu-sim rule sized to one L2 bank (so the simulation and the scheduler agree on
 * tiles), or its per-strategy rule with `rule: "strategy"`. The kpu-sim rule: with C = bankBytes / elementBytes, Ti = floor(sqrt(C*M/(2K+M))), Tj = floor(sqrt(C*N/(2K+N))),
 * Tk = floor((C - Ti*Tj)/(Ti+Tj)), multiples of 16, shrunk until A, B and C tiles fit the bank.
 */
export function defaultTiles(
  m: number,
  n: number,
  k: number,
  bankBytes: number,
  elementBytes: number,
  options: { readonly strategy?: Strategy; readonly rule?: TileRule } = {},
): TileShape {
  return chooseTiles({ m, n, k, elementBytes }, options.strategy ?? "os", { bankBytes, rule: options.rule ?? "kpu-sim" });
}

/** Number of (i, j, k) tile steps. */
export function stepCount(w: MatmulWorkload): number {
  return tileCount(w.m, w.tiles.m) * tileCount(w.n, w.tiles.n) * tileCount(w.k, w.tiles.k);
}

/**
 * Calls `visit(i, j, k)` for every tile step in the strategy's loop order, without materialising the steps.
 */
export function forEachStep(w: MatmulWorkload, visit: (i: number, j: number, k: number) => void): void {
  const mt = tileCount(w.m, w.tiles.m);
  const nt = tileCount(w.n, w.tiles.n);
  const kt = tileCount(w.k, w.tiles.k);
  switch (w.strategy) {
    case "ws":
      for (let k = 0; k < kt; k++) for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) visit(i, j, k);
      return;
    case "is":
      for (let k = 0; k < kt; k++) for (let j = 0; j < nt; j++) for (let i = 0; i < mt; i++) visit(i, j, k);
      return;
    case "os":
      for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) for (let k = 0; k < kt; k++) visit(i, j, k);
      return;
  }
}

/** True extents of the tiles of step (i, j, k) (edge tiles are shorter). */
export function stepExtents(w: MatmulWorkload, i: number, j: number, k: number): { tm: number; tn: number; tk: number } {
  return { tm: tileExtent(w.m, w.tiles.m, i), tn: tileExtent(w.n, w.tiles.n, j), tk: tileExtent(w.k, w.tiles.k, k) };
}

/** One compute tile's share of a matmul split over the chip, and how many compute tiles get that share. */
export interface WorkShare {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly count: number;
}

/**
 * Splits C over `computeTiles` compute tiles as a grid of gm x gn blocks (gm x gn = computeTiles): each block is
 * ceil(dim / g) rounded up to a multiple of 16, and every compute tile runs the same strategy on its block. The grid
 * minimises the largest block's area, then its perimeter (the operand stripes it reads); ties keep the split along M.
 * Shares are listed largest first; fewer than `computeTiles` may be active for small matrices.
 */
export function partitionWork(m: number, n: number, k: number, computeTiles: number): WorkShare[] {
  const chunk = (dim: number, g: number) => (g === 1 ? dim : Math.min(dim, Math.ceil(Math.ceil(dim / g) / 16) * 16));
  let best = { cm: m, cn: n, area: Infinity, perimeter: Infinity };
  for (let gm = computeTiles; gm >= 1; gm--) {
    if (computeTiles % gm !== 0) continue;
    const cm = chunk(m, gm);
    const cn = chunk(n, computeTiles / gm);
    const area = cm * cn;
    const perimeter = cm + cn;
    if (area < best.area || (area === best.area && perimeter < best.perimeter)) best = { cm, cn, area, perimeter };
  }
  const split = (dim: number, c: number): [number, number][] => {
    const full = Math.floor(dim / c);
    const rest = dim - full * c;
    return rest > 0 ? [[c, full], [rest, 1]] : [[c, full]];
  };
  const shares: WorkShare[] = [];
  for (const [sm, cmCount] of split(m, best.cm)) {
    for (const [sn, cnCount] of split(n, best.cn)) shares.push({ m: sm, n: sn, k, count: cmCount * cnCount });
  }
  return shares.sort((a, b) => b.m * b.n - a.m * a.n);
}
