import { KpuError, type TileShape } from "@kpu/ir";
import { elementBytesOf, validateTiles, type MatmulProblem } from "./problem.js";
import type { Strategy } from "./strategy.js";

/** One L2 bank: 64 KiB. */
export const L2_BANK_BYTES = 64 * 1024;
/** Tiles are multiples of the 16x16 systolic array. */
export const TILE_GRANULE = 16;

export interface TileRuleOptions {
  /** Bytes the A, B and C tiles must fit together (default one L2 bank, 64 KiB). */
  readonly bankBytes?: number;
  /** Tile edges are multiples of this (default 16). */
  readonly granule?: number;
}

const roundDown = (x: number, g: number): number => Math.max(g, Math.floor(x / g) * g);

/** Bytes of one full A, B and C tile together. */
export function tileFootprintBytes(tiles: TileShape, elementBytes: number): number {
  return (tiles.m * tiles.k + tiles.k * tiles.n + tiles.m * tiles.n) * elementBytes;
}

/**
 * kpu-sim's tile rule (TileOptimizer::analytical_tiles), the same for every strategy. With C = bank bytes / element
 * bytes: Ti = floor(sqrt(C*M/(2K+M))), Tj = floor(sqrt(C*N/(2K+N))) (each at most the dimension), rounded down to a
 * multiple of 16 and at least 16; Tk = floor((C - Ti*Tj)/(Ti+Tj)) (at most K), same rounding; then Tk, Tj, Ti shrink
 * by 16 in that order until the three tiles fit the bank.
 */
export function kpuSimTiles(problem: MatmulProblem, options: TileRuleOptions = {}): TileShape {
  const { m, n, k } = problem;
  const g = options.granule ?? TILE_GRANULE;
  const bank = options.bankBytes ?? L2_BANK_BYTES;
  const eb = elementBytesOf(problem);
  const c = Math.floor(bank / eb);
  let ti = roundDown(Math.min(m, Math.floor(Math.sqrt((c * m) / (2 * k + m)))), g);
  let tj = roundDown(Math.min(n, Math.floor(Math.sqrt((c * n) / (2 * k + n)))), g);
  let remaining = c;
  if (ti * tj <= remaining) remaining -= ti * tj;
  let tk = roundDown(Math.min(k, Math.floor(remaining / (ti + tj))), g);
  while (tileFootprintBytes({ m: ti, n: tj, k: tk }, eb) > bank) {
    if (tk > g) tk -= g;
    else if (tj > g) tj -= g;
    else if (ti > g) ti -= g;
    else break;
  }
  return { m: ti, n: tj, k: tk };
}

/**
 * Per-strategy tile sizing (this package's own rule). Tiles are clamped to the dimension (rounded up to the granule),
 * so no padding is wasted on small dimensions, and the budget goes where the strategy gets reuse from it:
 * - WS (k->i->j) streams B tiles along j for a fixed A[i,k]: a deep, tall A tile (large Ti and Tk) cuts the number of
 *   passes over B; Tj takes what is left.
 * - IS (k->j->i) mirrors WS: large Tj and Tk.
 * - OS (i->j->k) keeps C[i,j] while k streams: square Ti = Tj, Tk takes the rest.
 * Every candidate fits the bank with A, B and C tiles together; among candidates on the granule grid the one with the
 * fewest modelled DRAM bytes for an L3 that holds one stripe is picked:
 * WS: |A| + |B|*ceil(M/Ti) + |C|*ceil(K/Tk) (approximately), IS symmetric, OS: |A|*ceil(N/Tj) + |B|*ceil(M/Ti) + |C|.
 */
export function strategyTiles(problem: MatmulProblem, strategy: Strategy, options: TileRuleOptions = {}): TileShape {
  const g = options.granule ?? TILE_GRANULE;
  const bank = options.bankBytes ?? L2_BANK_BYTES;
  const eb = elementBytesOf(problem);
  const { m, n, k } = problem;
  const cap = (d: number): number => Math.max(g, Math.ceil(d / g) * g);
  const maxI = cap(m);
  const maxJ = cap(n);
  const maxK = cap(k);
  let best: TileShape | undefined;
  let bestCost = Infinity;
  const ceil = Math.ceil;
  for (let ti = g; ti <= maxI; ti += g) {
    for (let tj = g; tj <= maxJ; tj += g) {
      if ((ti * tj + g * (ti + tj)) * eb > bank) break;
      const tkMax = Math.min(maxK, Math.floor((bank / eb - ti * tj) / (ti + tj) / g) * g);
      if (tkMax < g) continue;
      const tk = tkMax;
      const mt = ceil(m / ti);
      const nt = ceil(n / tj);
      const kt = ceil(k / tk);
      const a = m * k;
      const b = k * n;
      const c = m * n;
      let cost: number;
      if (strategy === "ws") cost = a + b * mt + 2 * c * (kt > 1 ? kt - 1 : 0) + c;
      else if (strategy === "is") cost = b + a * nt + 2 * c * (kt > 1 ? kt - 1 : 0) + c;
      else cost = a * nt + b * mt + c;
      // Tie-break towards fuller tiles (less padding), then larger tiles.
      cost += (mt * ti - m) * k + (nt * tj - n) * k + (kt * tk - k) * (m + n);
      if (cost < bestCost) {
        bestCost = cost;
        best = { m: ti, n: tj, k: tk };
      }
    }
  }
  if (best === undefined) {
    throw new KpuError("KPU_L3_BAD_TILES", `no ${g}-granule tiles fit ${bank} bytes`, {
      where: "bankBytes",
      hint: "Give a larger L2 bank or explicit tiles.",
    });
  }
  return best;
}

export const TILE_RULES = ["kpu-sim", "strategy"] as const;
export type TileRule = (typeof TILE_RULES)[number];

/** Tiles for a problem: user-given tiles (validated), else the named rule (default kpu-sim's rule). */
export function chooseTiles(
  problem: MatmulProblem,
  strategy: Strategy,
  options: TileRuleOptions & { readonly tiles?: TileShape; readonly rule?: TileRule } = {},
): TileShape {
  if (options.tiles !== undefined) {
    validateTiles(options.tiles);
    return options.tiles;
  }
  return options.rule === "strategy" ? strategyTiles(problem, strategy, options) : kpuSimTiles(problem, options);
}

/** Parses `Ti,Tj,Tk` (e.g. `64,64,96`). */
export function parseTiles(text: string, where = "--tiles"): TileShape {
  const parts = text.split(",").map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.length !== 3 || nums.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
    throw new KpuError("KPU_L3_BAD_TILES", `"${text}" is not three positive integers Ti,Tj,Tk`, {
      where,
      hint: "Write tiles as Ti,Tj,Tk in elements, e.g. --tiles 64,64,96.",
    });
  }
  const tiles = { m: nums[0]!, n: nums[1]!, k: nums[2]! };
  validateTiles(tiles, where);
  return tiles;
}
