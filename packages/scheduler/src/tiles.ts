import { KpuError, tileSetBytes, type TileShape } from "@kpu/ir";
import { elementBytesOf, validateTiles, type MatmulProblem } from "./problem.js";
import type { Strategy } from "./strategy.js";

/** One L2 bank: 64 KiB (the default tile budget). */
export const L2_BANK_BYTES = 64 * 1024;
/** Tiles are multiples of the 16x16 systolic array (the default requested granule). */
export const TILE_GRANULE = 16;

export interface TileRuleOptions {
  /**
   * Bytes one full A, B and C tile set may take together: `(Ti*Tk + Tk*Tj + Ti*Tj) * elementBytes <= budgetBytes`.
   * A whole number of at least 3 element sizes, any value (not only powers of two). Default one L2 bank, 64 KiB.
   */
  readonly budgetBytes?: number;
  /** The former name of `budgetBytes`, with the same meaning (kept for existing callers; prefer budgetBytes). Give one
   *  of the two, or both equal. */
  readonly bankBytes?: number;
  /**
   * Requested tile granule (default 16): tile edges are multiples of it when a tile set of three granule x granule
   * tiles fits the budget, else of the largest power of two below it that does (at worst 1).
   */
  readonly granule?: number;
}

const badBudget = (message: string, where: string, hint: string): KpuError =>
  new KpuError("KPU_BAD_TILES", message, { where, hint });

/** The budget in bytes from the options (budgetBytes, or its former name bankBytes), checked against 3 elements. */
function budgetOf(options: TileRuleOptions, elementBytes: number): number {
  const { budgetBytes, bankBytes } = options;
  if (budgetBytes !== undefined && bankBytes !== undefined && budgetBytes !== bankBytes) {
    throw badBudget(`budgetBytes ${budgetBytes} and bankBytes ${bankBytes} disagree`, "budgetBytes", "Give only budgetBytes (bankBytes is its former name).");
  }
  const budget = budgetBytes ?? bankBytes ?? L2_BANK_BYTES;
  if (!Number.isSafeInteger(budget)) {
    throw badBudget(`a tile budget of ${String(budget)} bytes is not a whole number of bytes`, "budgetBytes", "Give the budget in whole bytes.");
  }
  if (budget < 3 * elementBytes) {
    throw badBudget(
      `a tile budget of ${budget} bytes cannot hold one A, B and C element (${3 * elementBytes} bytes)`,
      "budgetBytes",
      `Give at least ${3 * elementBytes} bytes.`,
    );
  }
  return budget;
}

/**
 * The granule the rules use: the requested one when three granule x granule tiles fit the budget, else the largest
 * power of two below it for which they do. Budget >= 3 element sizes, so 1 always fits.
 */
function granuleOf(options: TileRuleOptions, budgetElements: number): number {
  const requested = options.granule ?? TILE_GRANULE;
  if (!Number.isSafeInteger(requested) || requested <= 0 || requested > 2 ** 20) {
    throw new KpuError("KPU_BAD_TILES", `granule ${String(requested)} is not a positive integer up to 2^20`, {
      where: "granule",
      hint: "Give the tile granule in elements, e.g. 16 for a 16x16 systolic array.",
    });
  }
  if (3 * requested * requested <= budgetElements) return requested;
  let g = 1; // fitting is monotone in g: double while the next power of two is below the request and fits
  while (2 * g < requested && 3 * (2 * g) * (2 * g) <= budgetElements) g *= 2;
  return g;
}

/** Budget (whole elements) and granule of one call. */
function ruleSetup(problem: MatmulProblem, options: TileRuleOptions): { eb: number; budget: number; elements: number; g: number } {
  const eb = elementBytesOf(problem);
  const budget = budgetOf(options, eb);
  const elements = Math.floor(budget / eb);
  return { eb, budget, elements, g: granuleOf(options, elements) };
}

/** Bytes of one full A, B and C tile together. */
export function tileFootprintBytes(tiles: TileShape, elementBytes: number): number {
  return tileSetBytes(tiles, elementBytes);
}

/**
 * kpu-sim's tile rule (TileOptimizer::analytical_tiles), the same for every strategy. With C = budget bytes / element
 * bytes (whole elements) and g the granule: Ti = floor(sqrt(C*M/(2K+M))), Tj = floor(sqrt(C*N/(2K+N))) (each at
 * most the dimension), rounded down to a multiple of g and at least g; Tk = floor((C - Ti*Tj)/(Ti+Tj)) (at most K),
 * same rounding; then Tk, Tj, Ti shrink by g in that order until the three full tiles fit the budget. The granule
 * fits (see TileRuleOptions.granule), so the shrinking always ends with a fit.
 */
export function kpuSimTiles(problem: MatmulProblem, options: TileRuleOptions = {}): TileShape {
  const { m, n, k } = problem;
  const { eb, budget, elements: c, g } = ruleSetup(problem, options);
  const roundDown = (x: number): number => Math.max(g, Math.floor(x / g) * g);
  let ti = roundDown(Math.min(m, Math.floor(Math.sqrt((c * m) / (2 * k + m)))));
  let tj = roundDown(Math.min(n, Math.floor(Math.sqrt((c * n) / (2 * k + n)))));
  let remaining = c;
  if (ti * tj <= remaining) remaining -= ti * tj;
  let tk = roundDown(Math.min(k, Math.floor(remaining / (ti + tj))));
  while (tileFootprintBytes({ m: ti, n: tj, k: tk }, eb) > budget) {
    if (tk > g) tk -= g;
    else if (tj > g) tj -= g;
    else if (ti > g) ti -= g;
    else break; // not reached: g x g x g fits the budget
  }
  return { m: ti, n: tj, k: tk };
}

/**
 * DRAM traffic of a strategy in the streaming regime, in elements (bytes = elements * element bytes): the L3 holds
 * one A, B and C tile set (so the tile constant across the inner loop is reused) but not the stripe reused across
 * the middle loop, so every other reuse misses; C is read-modify-written (`rmw`). Counts mt, nt, kt.
 */
function streamingElements(strategy: Strategy, m: number, n: number, k: number, mt: number, nt: number, kt: number): number {
  const a = m * k;
  const b = k * n;
  const c = m * n;
  if (strategy === "os") return (kt === 1 ? 1 : nt) * a + (kt === 1 && nt === 1 ? 1 : mt) * b + c;
  const cReads = mt * nt === 1 ? 0 : (kt - 1) * c;
  if (strategy === "ws") return a + (nt === 1 ? 1 : mt) * b + c + 2 * cReads;
  return (mt === 1 ? 1 : nt) * a + b + c + 2 * cReads;
}

/**
 * Tile edges worth trying along one dimension, ascending: for each tile count ceil(dim/T), the smallest multiple of
 * g that gives it (a larger edge with the same count costs the same and pads more), up to `max` and to the
 * dimension rounded up to g. O(sqrt(dim/g)) values.
 */
function edgesOf(dim: number, g: number, max: number): number[] {
  const top = Math.min(max, Math.ceil(dim / g) * g);
  const out: number[] = [];
  let t = g;
  while (t <= top) {
    out.push(t);
    const count = Math.ceil(dim / t);
    if (count === 1) break;
    t = Math.ceil(dim / ((count - 1) * g)) * g; // smallest multiple of g with at most count - 1 tiles
  }
  return out;
}

/** Index of the last value <= x in an ascending array whose first value is <= x. */
function lastAtMost(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (values[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Per-strategy tile sizing (this package's own rule): among all tiles on the granule grid whose full A, B and C tiles
 * fit the budget, with each edge at most its dimension rounded up to the granule, the one of least cost, compared in
 * this order (see the README's "Tiles" section):
 * 1. DRAM bytes in the streaming regime (L3 holds one tile set, not a stripe; `rmw` C), with mt, nt, kt the counts:
 *    - WS: |A| + |B| * (nt = 1 ? 1 : mt) + |C| * (1 + 2r),
 *    - IS: |A| * (mt = 1 ? 1 : nt) + |B| + |C| * (1 + 2r), with r = (mt*nt = 1 ? 0 : kt - 1) C re-reads,
 *    - OS: |A| * (kt = 1 ? 1 : nt) + |B| * (kt = 1 and nt = 1 ? 1 : mt) + |C|;
 * 2. padding: mt*Ti * nt*Tj * kt*Tk - M*N*K multiply-accumulates on padded edge tiles (fewer first);
 * 3. fewer tile steps mt*nt*kt (with 2 equal, larger tiles); 4. larger Ti; 5. larger Tj.
 * The search is exact: only the smallest edge for each tile count can win (same cost, less padding), and those are
 * all enumerated.
 */
export function strategyTiles(problem: MatmulProblem, strategy: Strategy, options: TileRuleOptions = {}): TileShape {
  const { m, n, k } = problem;
  const { elements: cap, g } = ruleSetup(problem, options);
  // another edge is at least g, so an edge T needs T*g + g*g + g*T <= cap
  const maxEdge = Math.floor((cap - g * g) / (2 * g));
  const is = edgesOf(m, g, maxEdge);
  const js = edgesOf(n, g, maxEdge);
  const ks = edgesOf(k, g, maxEdge);
  const kCounts = ks.map((t) => Math.ceil(k / t));
  let best: TileShape = { m: g, n: g, k: g };
  let bestCost = Infinity;
  let bestPad = Infinity;
  let bestSteps = Infinity;
  for (const ti of is) {
    const mt = Math.ceil(m / ti);
    for (const tj of js) {
      if (ti * tj + g * (ti + tj) > cap) break;
      const nt = Math.ceil(n / tj);
      const tkMax = Math.floor((cap - ti * tj) / (ti + tj));
      const volume = mt * ti * (nt * tj); // padded MACs per padded k: padding = volume * kt*Tk - M*N*K
      // Tk from the largest that fits down: the cost never falls as Tk falls (kt only grows), so stop once it is
      // above the best, or once even kt*Tk = K could not bring the padding down to the best's
      for (let x = lastAtMost(ks, tkMax); x >= 0; x--) {
        const tk = ks[x]!;
        const kt = kCounts[x]!;
        const cost = streamingElements(strategy, m, n, k, mt, nt, kt);
        if (cost > bestCost || (cost === bestCost && volume * k > bestPad)) break;
        const pad = volume * (kt * tk);
        const steps = mt * nt * kt;
        const better =
          cost < bestCost ||
          pad < bestPad ||
          (pad === bestPad && (steps < bestSteps || (steps === bestSteps && (ti > best.m || (ti === best.m && tj > best.n)))));
        if (better) {
          bestCost = cost;
          bestPad = pad;
          bestSteps = steps;
          best = { m: ti, n: tj, k: tk };
        }
      }
    }
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
    throw new KpuError("KPU_BAD_TILES", `"${text}" is not three positive integers Ti,Tj,Tk`, {
      where,
      hint: "Write tiles as Ti,Tj,Tk in elements, e.g. --tiles 64,64,96.",
    });
  }
  const tiles = { m: nums[0]!, n: nums[1]!, k: nums[2]! };
  validateTiles(tiles, where);
  return tiles;
}
