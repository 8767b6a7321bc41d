import { NEST_ORDERS, orderDims, tileCount, type NestOrder, type TileShape } from "@kpu/ir";

/**
 * The analytic traffic model of one compute tile's block under a mapping whose three on-chip levels hold the same
 * tile T and walk it in one loop order (the hierarchy engine then runs one loop nest, LRU at every level). Per tensor X
 * (A[m,k], B[k,n], C[m,n]) let u be the loop X does not depend on (n, m, k) and n_u its trip count. Loops with one
 * trip are dropped from the order. If u is dropped or innermost, every X tile is used in one run of consecutive steps
 * and crosses every boundary once. Otherwise every use of an X tile is a new run, each tile is used n_u times, and
 * between two uses the nest touches the group G of X tiles that share its indices of the loops outside u (all of X
 * when u is outermost). A reuse hits at a level iff the bytes of distinct tiles requested there since the tile's last
 * request (its reuse distance) fit the level (LRU keeps the largest recency prefix that fits). The model is exact when
 * for every such tensor the first level where the reuse hits is known: the levels below it miss every reuse (at L1
 * Dmin > S, Dmin the group and one period of the other tensors' tiles at their smallest; above, Gmin - slack > S,
 * slack the capacities below for C, whose write-backs come late) and the level itself hits every reuse
 * (Dmax + slack + one tile set <= S, the slack covering late write-backs of tiles touched before the window, at
 * most all of C; the tile set a margin the engine's eviction order needs at the boundary, found by the tests).
 * Otherwise the answer is flagged inexact and the mapper asks the hierarchy engine.
 */
export const TENSOR_NAMES = ["a", "b", "c"] as const;

/** Bytes across one boundary of one compute tile's block: fills into the level below it, write-backs out of it. */
export interface LevelFlow {
  /** Loaded into this level from the one above (DRAM for L3), per tensor A, B, C. */
  readonly fill: readonly [number, number, number];
  /** C written back from this level to the one above. */
  readonly writeBack: number;
}

export interface BlockTraffic {
  /** L1, L2, L3 (index 0 is the level next to the fabric). */
  readonly levels: readonly [LevelFlow, LevelFlow, LevelFlow];
  /** How many times each tile of A, B, C is loaded into each level (C: read back), and C written back out of it. */
  readonly multiplicity: readonly (readonly [number, number, number, number])[];
  /** True when the closed form is exact (see above); false: a lower bound, and the hierarchy engine must count. */
  readonly exact: boolean;
}

const DIM_INDEX = { m: 0, n: 1, k: 2 } as const;
/** Each order's loops as dimension indices (0 = m, 1 = n, 2 = k), outermost first. */
const ORDER_DIMS = Object.fromEntries(NEST_ORDERS.map((o) => [o, orderDims(o).map((d) => DIM_INDEX[d])])) as unknown as Record<NestOrder, readonly number[]>;
/** The loop each tensor does not depend on (A: n, B: m, C: k) and the two it does. */
const UNUSED = [1, 0, 2] as const;
const USES: readonly (readonly [number, number])[] = [
  [0, 2],
  [2, 1],
  [0, 1],
];

/**
 * The analytic traffic of a block under tile `tile` and order `order` with per-compute-tile capacities
 * `caps` = [L1, L2, L3] in bytes; every tile set must fit every level (the mapping space guarantees it).
 */
export function blockTraffic(block: TileShape, tile: TileShape, order: NestOrder, caps: readonly [number, number, number], elementBytes: number): BlockTraffic {
  const dims = [block.m, block.n, block.k];
  const t = [Math.min(tile.m, block.m), Math.min(tile.n, block.n), Math.min(tile.k, block.k)];
  const trips = [tileCount(dims[0]!, t[0]!), tileCount(dims[1]!, t[1]!), tileCount(dims[2]!, t[2]!)];
  const edge = [dims[0]! - (trips[0]! - 1) * t[0]!, dims[1]! - (trips[1]! - 1) * t[1]!, dims[2]! - (trips[2]! - 1) * t[2]!];
  const reduced: number[] = [];
  for (const d of ORDER_DIMS[order]) if (trips[d]! > 1) reduced.push(d);
  // per tensor: one full tile's bytes and the whole tensor's
  const full = [t[0]! * t[2]! * elementBytes, t[2]! * t[1]! * elementBytes, t[0]! * t[1]! * elementBytes];
  const total = [dims[0]! * dims[2]! * elementBytes, dims[2]! * dims[1]! * elementBytes, dims[0]! * dims[1]! * elementBytes];
  let exact = true;
  const mult: [number, number, number, number][] = [
    [1, 1, 0, 1],
    [1, 1, 0, 1],
    [1, 1, 0, 1],
  ];
  const w0 = reuseWindow(0, dims, t, trips, edge, reduced, elementBytes);
  const w1 = reuseWindow(1, dims, t, trips, edge, reduced, elementBytes);
  const w2 = reuseWindow(2, dims, t, trips, edge, reduced, elementBytes);
  const windows = [w0, w1, w2];
  // tensors whose every use misses L1 (or, without reuse, whose runs start with a miss): L2 sees their window tiles
  const missL1 = [w0 !== null && w0.dMin > caps[0], w1 !== null && w1.dMin > caps[0], w2 !== null && w2.dMin > caps[0]];
  const slack = Math.min(caps[0] + caps[1], total[2]!);
  const set = full[0]! + full[1]! + full[2]!;
  for (let x = 0; x < 3; x++) {
    const w = windows[x] ?? null;
    if (w === null) continue;
    let seenAbove = w.gMin;
    // the window tiles of A and B that L2 and L3 surely see
    for (let y = 0; y < 2; y++) {
      if (y === x) continue;
      const least = w.least[y]!;
      seenAbove += missL1[y] ? least : windows[y] === null ? Math.max(0, least - full[y]!) : 0;
    }
    const { first, sure } = firstHitLevel(w.dMin, seenAbove, w.dMax + set, caps, x === 2 ? set : 0, slack);
    if (!sure) exact = false;
    const nu = trips[UNUSED[x]!]!;
    for (let level = 0; level < 3; level++) {
      const below = level < first;
      if (x < 2) mult[level]![x] = below ? nu : 1;
      else {
        mult[level]![2] = below ? nu - 1 : 0;
        mult[level]![3] = below ? nu : 1;
      }
    }
  }
  const flow = (mu: readonly [number, number, number, number]): LevelFlow => ({ fill: [total[0]! * mu[0], total[1]! * mu[1], total[2]! * mu[2]], writeBack: total[2]! * mu[3] });
  return { levels: [flow(mult[0]!), flow(mult[1]!), flow(mult[2]!)], multiplicity: mult, exact };
}

interface ReuseWindow {
  /** The tensor's own group: fewest bytes. */
  readonly gMin: number;
  /** Distinct bytes requested between two uses of a tile, at least and at most, and per other tensor at least. */
  readonly dMin: number;
  readonly dMax: number;
  readonly least: readonly number[];
}

/**
 * The reuse window of tensor x (null when every tile of x is used in one run). Its group: the block's extent along
 * loops inside u, one tile along loops outside it. The other tensors' tiles in one window (from a use to the next: one
 * period of the loops inside u) are those of one period: the block's extent along their inner loops, one tile along
 * the others; when they depend on u, those of both values of u the window straddles (at most one tile per step).
 */
function reuseWindow(x: number, dims: readonly number[], t: readonly number[], trips: readonly number[], edge: readonly number[], reduced: readonly number[], eb: number): ReuseWindow | null {
  const u = UNUSED[x]!;
  const q = reduced.indexOf(u);
  if (q < 0 || q === reduced.length - 1) return null;
  // the loops inside u, as a bit set over dimensions
  let inner = 0;
  let period = 1;
  for (let i = q + 1; i < reduced.length; i++) {
    inner |= 1 << reduced[i]!;
    period *= trips[reduced[i]!]!;
  }
  let gMax = eb;
  let gMin = eb;
  for (const d of USES[x]!) {
    const inside = (inner >> d) & 1;
    gMax *= inside ? dims[d]! : t[d]!;
    gMin *= inside ? dims[d]! : Math.min(t[d]!, edge[d]!);
  }
  let dMax = gMax;
  let dMin = gMin;
  const least = [0, 0, 0];
  for (let y = 0; y < 3; y++) {
    if (y === x) continue;
    let most = eb;
    let few = eb;
    const uses = USES[y]!;
    for (const d of uses) {
      const inside = (inner >> d) & 1;
      most *= inside ? dims[d]! : t[d]!;
      few *= inside ? dims[d]! : Math.min(t[d]!, edge[d]!);
    }
    // depending on u, the window may see a period's worth at each of its two values of u, yet one tile per step
    dMax += uses[0] === u || uses[1] === u ? Math.min(2 * most, (period + 1) * t[uses[0]]! * t[uses[1]]! * eb) : most;
    dMin += few;
    least[y] = few;
  }
  return { gMin, dMin, dMax, least };
}

/**
 * The first level (0 = L1, 3 = DRAM) where every reuse hits (`sure`), or the first level that is neither sure to miss
 * every reuse nor sure to hit every one (not `sure`: counting its reuses as hits gives a lower bound). Write-backs of C
 * reach a level late, after tiles touched before the window: at most the capacities below it, and at most all of C
 * (`slack`). `late` (C itself, whose own write-back is such a late request: one tile set): a miss above L1 is sure
 * only when the window less every capacity below and one tile set is larger than the level.
 */
function firstHitLevel(dMin: number, seenAbove: number, dMax: number, caps: readonly [number, number, number], late: number, slack: number): { first: number; sure: boolean } {
  let below = 0;
  for (let level = 0; level < 3; level++) {
    const cap = caps[level]!;
    const extra = Math.min(below, slack);
    if (dMax + extra <= cap) return { first: level, sure: true };
    // L1 sees every request (dMin); a level above is sure to see the misses below (`seenAbove`)
    if ((level === 0 ? dMin : seenAbove - (late > 0 ? below + late : 0)) <= cap) return { first: level, sure: false };
    below += cap;
  }
  return { first: 3, sure: true };
}
