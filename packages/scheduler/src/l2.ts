import { KpuError, orderDims, tileGrid, type TileShape } from "@kpu/ir";
import { elementBytesOf, validateProblem, validateTiles, type MatmulProblem } from "./problem.js";
import { STRATEGY_INFO, type Strategy } from "./strategy.js";

export const L2_POLICIES = ["lru", "fifo", "belady"] as const;
export type L2Policy = (typeof L2_POLICIES)[number];

export interface L2Options {
  readonly strategy: Strategy;
  readonly tiles: TileShape;
  /** L2 capacity in bytes; slots = floor(l2Bytes / largest full tile), with no minimum imposed. */
  readonly l2Bytes: number;
  readonly policy?: L2Policy;
}

export interface L2TensorLoads {
  /** Loads into L2 (initial loads included). */
  readonly loads: number;
  /** First loads of each tile. */
  readonly initialLoads: number;
  /** Loads of a tile that had been in L2 before and was evicted. */
  readonly reloads: number;
  readonly loadBytes: number;
}

export interface L2Schedule {
  readonly strategy: Strategy;
  readonly policy: L2Policy;
  readonly tiles: TileShape;
  readonly slots: number;
  readonly slotBytes: number;
  readonly steps: number;
  readonly requests: number;
  readonly hits: number;
  readonly hitRate: number;
  readonly a: L2TensorLoads;
  readonly b: L2TensorLoads;
  readonly c: L2TensorLoads;
}

/**
 * The L2 tile scheduler: tile-granular slots (each holds one tile of any tensor), every (i,j,k) step in the
 * strategy's order requests A[i,k], B[k,j] and C[i,j]; on a miss the victim is chosen by LRU, FIFO (oldest load) or
 * Belady's MIN (the tile whose next use is furthest away; the next use is computed from the loop nest, so the future
 * is never materialised). Steps are iterated lazily with index arithmetic.
 */
export function scheduleL2(problem: MatmulProblem, options: L2Options): L2Schedule {
  validateProblem(problem, "--");
  validateTiles(options.tiles);
  const policy = options.policy ?? "lru";
  const eb = elementBytesOf(problem);
  const { m: ti, n: tj, k: tk } = options.tiles;
  const slotBytes = Math.max(ti * tk, tk * tj, ti * tj) * eb;
  const slots = Math.floor(options.l2Bytes / slotBytes);
  if (!Number.isSafeInteger(options.l2Bytes) || slots < 1) {
    throw new KpuError("KPU_L3_BAD_SIZE", `L2 of ${options.l2Bytes} bytes holds no ${slotBytes}-byte tile`, {
      where: "--l2",
      hint: `Give an L2 of at least ${slotBytes} bytes or smaller tiles.`,
    });
  }
  const grid = tileGrid(problem.m, problem.n, problem.k, options.tiles);
  const { mt, nt, kt } = grid;
  const ext = (d: number, t: number, idx: number): number => Math.min(t, d - idx * t);
  const nA = mt * kt;
  const nB = kt * nt;
  const total = nA + nB + mt * nt;
  // per tile: slot index or -1, and whether it was ever loaded
  const slotOf = new Int32Array(total).fill(-1);
  const seen = new Uint8Array(total);
  const slotTile = new Int32Array(slots).fill(-1);
  const stamp = new Float64Array(slots); // LRU: last use; FIFO: load time
  const nextUse = new Float64Array(slots); // Belady
  let used = 0;
  const loads = [0, 0, 0];
  const initial = [0, 0, 0];
  const bytes = [0, 0, 0];
  let hits = 0;
  let requests = 0;

  // linear step index of (i, j, k) and the next step after `s` using a tile (Belady)
  const ijk = { m: "i", n: "j", k: "k" } as const;
  const [lo, lm, li] = orderDims(STRATEGY_INFO[options.strategy].loopOrder).map((d) => ijk[d]) as ["i" | "j" | "k", "i" | "j" | "k", "i" | "j" | "k"];
  const extent = { i: mt, j: nt, k: kt };
  const stride = { i: 0, j: 0, k: 0 };
  stride[li] = 1;
  stride[lm] = extent[li];
  stride[lo] = extent[li] * extent[lm];
  const free = (t: number): "i" | "j" | "k" => (t === 0 ? "j" : t === 1 ? "i" : "k");
  const nextUseOf = (t: number, u: number, v: number, s: number): number => {
    // tile (u, v) of tensor t: A(i=u, k=v), B(k=u, j=v), C(i=u, j=v); its uses vary the free index
    const f = free(t);
    const base = t === 0 ? u * stride.i + v * stride.k : t === 1 ? u * stride.k + v * stride.j : u * stride.i + v * stride.j;
    const st = stride[f];
    const q = Math.floor((s - base) / st) + 1;
    return q < extent[f] ? base + Math.max(q, 0) * st : Infinity;
  };

  const request = (t: number, id: number, u: number, v: number, s: number, size: number): void => {
    requests++;
    const slot = slotOf[id]!;
    if (slot >= 0) {
      hits++;
      if (policy === "lru") stamp[slot] = s * 3 + t;
      else if (policy === "belady") nextUse[slot] = nextUseOf(t, u, v, s);
      return;
    }
    loads[t]!++;
    bytes[t]! += size;
    if (seen[id] === 0) {
      seen[id] = 1;
      initial[t]!++;
    }
    let target: number;
    if (used < slots) target = used++;
    else {
      target = 0;
      if (policy === "belady") {
        for (let x = 1; x < slots; x++) if (nextUse[x]! > nextUse[target]!) target = x;
      } else {
        for (let x = 1; x < slots; x++) if (stamp[x]! < stamp[target]!) target = x;
      }
      slotOf[slotTile[target]!] = -1;
    }
    slotTile[target] = id;
    slotOf[id] = target;
    stamp[target] = s * 3 + t;
    if (policy === "belady") nextUse[target] = nextUseOf(t, u, v, s);
  };

  const idx = { i: 0, j: 0, k: 0 };
  let s = 0;
  for (idx[lo] = 0; idx[lo] < extent[lo]; idx[lo]++) {
    for (idx[lm] = 0; idx[lm] < extent[lm]; idx[lm]++) {
      for (idx[li] = 0; idx[li] < extent[li]; idx[li]++) {
        const { i, j, k } = idx;
        const ri = ext(problem.m, ti, i);
        const cj = ext(problem.n, tj, j);
        const dk = ext(problem.k, tk, k);
        request(0, i * kt + k, i, k, s, ri * dk * eb);
        request(1, nA + k * nt + j, k, j, s, dk * cj * eb);
        request(2, nA + nB + i * nt + j, i, j, s, ri * cj * eb);
        s++;
      }
    }
  }
  const per = (t: number): L2TensorLoads => ({
    loads: loads[t]!,
    initialLoads: initial[t]!,
    reloads: loads[t]! - initial[t]!,
    loadBytes: bytes[t]!,
  });
  return {
    strategy: options.strategy,
    policy,
    tiles: options.tiles,
    slots,
    slotBytes,
    steps: s,
    requests,
    hits,
    hitRate: requests === 0 ? 0 : hits / requests,
    a: per(0),
    b: per(1),
    c: per(2),
  };
}
