import { KpuError } from "@kpu/ir";
import type { Strategy } from "../strategy.js";
import { MultiLru } from "./lru-engine.js";
import { loopNest, type Grid } from "./trace.js";

export type L3Model = "kpu" | "kpu-sim";
export type CAccounting = "rmw" | "read-once";

export interface SimInput {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly elementBytes: number;
  readonly ti: number;
  readonly tj: number;
  readonly tk: number;
  readonly strategy: Strategy;
  readonly model: L3Model;
  readonly cAccounting: CAccounting;
  /** Capacities in bytes, ascending and distinct. */
  readonly capsBytes: readonly number[];
}

export interface SimCapResult {
  readonly capBytes: number;
  /** Tile requests per tensor (A, B, C) and how many hit. */
  readonly requests: readonly [number, number, number];
  readonly hits: readonly [number, number, number];
  /** DRAM bytes read per tensor on misses (first touches of C excluded in the kpu model). */
  readonly readBytes: readonly [number, number, number];
  readonly evictions: number;
  readonly peakBytes: number;
  readonly residentTiles: number;
}

/** The most steps one analysis may simulate; beyond it the tiles are too small for the shape. */
export const MAX_STEPS = 4e9;

export function gridOf(input: { m: number; n: number; k: number; ti: number; tj: number; tk: number }): Grid {
  return { mt: Math.ceil(input.m / input.ti), nt: Math.ceil(input.n / input.tj), kt: Math.ceil(input.k / input.tk) };
}

/**
 * Simulates the tile trace of one strategy against LRU caches of every given capacity in one pass.
 * kpu model: tiles keyed by their true index and sized exactly (edge tiles smaller), each step touches A, B, C in that
 * order (C only on its first k with `read-once`), a first touch of C reads nothing, tiles larger than a capacity stream
 * through. kpu-sim model: kpu-sim's keys (byte offsets that alias), full padded tiles, C first then A, B, C only on its
 * first touch, and an oversize tile flushes the cache.
 */
export function simulateL3(input: SimInput): SimCapResult[] {
  const { m, n, k, elementBytes: eb, ti, tj, tk, model } = input;
  const grid = gridOf(input);
  const { mt, nt, kt } = grid;
  const steps = mt * nt * kt;
  if (steps > MAX_STEPS) {
    throw new KpuError("KPU_L3_TOO_LARGE", `${steps.toExponential(2)} tile steps is too many to simulate`, {
      where: "tiles",
      hint: "Use larger tiles (fewer than 4e9 (i,j,k) steps).",
    });
  }
  const sim = model === "kpu-sim";
  // Key strides: node id = u*S + v. kpu-sim aliases when the v-count exceeds its stride (quirk 1).
  const sA = sim && kt > ti ? ti : kt;
  const sB = sim && nt > tk ? tk : nt;
  const sC = sim && nt > ti ? ti : nt;
  const nA = (mt - 1) * sA + kt;
  const nB = (kt - 1) * sB + nt;
  const nC = (mt - 1) * sC + nt;
  const offB = nA;
  const offC = nA + nB;
  const total = nA + nB + nC;

  const rows = (idx: number, tile: number, dim: number): number => (sim ? tile : Math.min(tile, dim - idx * tile));
  const fillSizes = (lru: MultiLru): void => {
    const size = lru.size;
    for (let i = 0; i < mt; i++) for (let kk = 0; kk < kt; kk++) size[i * sA + kk] = rows(i, ti, m) * rows(kk, tk, k) * eb;
    for (let kk = 0; kk < kt; kk++) for (let j = 0; j < nt; j++) size[offB + kk * sB + j] = rows(kk, tk, k) * rows(j, tj, n) * eb;
    for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) size[offC + i * sC + j] = rows(i, ti, m) * rows(j, tj, n) * eb;
  };

  const caps = input.capsBytes;
  const maxTile = Math.max(
    (sim ? ti : Math.min(ti, m)) * (sim ? tk : Math.min(tk, k)) * eb,
    (sim ? tk : Math.min(tk, k)) * (sim ? tj : Math.min(tj, n)) * eb,
    (sim ? ti : Math.min(ti, m)) * (sim ? tj : Math.min(tj, n)) * eb,
  );
  // Bypass breaks inclusion: run each capacity that a tile exceeds on its own.
  const groups: (readonly number[])[] = [];
  if (!sim && caps.some((c) => c < maxTile)) for (const c of caps) groups.push([c]);
  else groups.push(caps);

  const out: SimCapResult[] = [];
  for (const group of groups) {
    const lru = new MultiLru(total, group, sim ? "flush" : "bypass");
    fillSizes(lru);
    runTrace(lru, input, grid, { sA, sB, sC, offB, offC });
    const L = lru.levels;
    for (let c = 0; c < L; c++) {
      const req: [number, number, number] = [0, 0, 0];
      const hit: [number, number, number] = [0, 0, 0];
      const rd: [number, number, number] = [0, 0, 0];
      for (let t = 0; t < 3; t++) {
        for (let l = 0; l <= L; l++) {
          const a = lru.accessesAt[t * (L + 1) + l]!;
          req[t]! += a;
          if (l <= c) hit[t]! += a;
          else rd[t]! += lru.readBytesAt[t * (L + 1) + l]!;
        }
      }
      out.push({
        capBytes: group[c]!,
        requests: req,
        hits: hit,
        readBytes: rd,
        evictions: lru.evictions[c]!,
        peakBytes: lru.peak[c]!,
        residentTiles: lru.residentCount(c),
      });
    }
  }
  return out;
}

interface Layout {
  readonly sA: number;
  readonly sB: number;
  readonly sC: number;
  readonly offB: number;
  readonly offC: number;
}

function runTrace(lru: MultiLru, input: SimInput, grid: Grid, lay: Layout): void {
  const nest = loopNest(grid, input.strategy);
  const [nO, nM, nI] = nest.extents;
  const [rO, rM, rI] = nest.roles;
  const sim = input.model === "kpu-sim";
  const rmw = !sim && input.cAccounting === "rmw";
  const { sA, sB, sC, offB, offC } = lay;
  // id deltas per unit step of each tile index: A = i*sA + k, B = offB + k*sB + j, C = offC + i*sC + j
  const dA = [sA, 0, 1];
  const dB = [0, 1, sB];
  const dC = [sC, 1, 0];
  const aO = dA[rO]!, aM = dA[rM]!, aI = dA[rI]!;
  const bO = dB[rO]!, bM = dB[rM]!, bI = dB[rI]!;
  const cO = dC[rO]!, cM = dC[rM]!, cI = dC[rI]!;
  const kInner = rI === 2;
  const kOuter = rO === 2;
  for (let o = 0; o < nO; o++) {
    for (let mm = 0; mm < nM; mm++) {
      let a = o * aO + mm * aM;
      let b = offB + o * bO + mm * bM;
      let c = offC + o * cO + mm * cM;
      if (sim) {
        if (kInner) {
          // OS: C[i,j] is first touched at k = 0, the run's first step
          lru.touch(c, 2, true);
          for (let x = 0; x < nI; x++) {
            lru.touch(a, 0, true);
            lru.touch(b, 1, true);
            a += aI;
            b += bI;
          }
        } else if (kOuter && o === 0) {
          for (let x = 0; x < nI; x++) {
            lru.touch(c, 2, true);
            lru.touch(a, 0, true);
            lru.touch(b, 1, true);
            a += aI;
            b += bI;
            c += cI;
          }
        } else {
          for (let x = 0; x < nI; x++) {
            lru.touch(a, 0, true);
            lru.touch(b, 1, true);
            a += aI;
            b += bI;
          }
        }
      } else if (kInner) {
        // OS: C[i,j] constant across the run; first touch at x = 0
        for (let x = 0; x < nI; x++) {
          lru.touch(a, 0, true);
          lru.touch(b, 1, true);
          if (rmw) lru.touch(c, 2, x !== 0);
          else if (x === 0) lru.touch(c, 2, false);
          a += aI;
          b += bI;
        }
      } else {
        const first = o === 0; // k is the outer loop for WS and IS
        for (let x = 0; x < nI; x++) {
          lru.touch(a, 0, true);
          lru.touch(b, 1, true);
          if (rmw) lru.touch(c, 2, !first);
          else if (first) lru.touch(c, 2, false);
          a += aI;
          b += bI;
          c += cI;
        }
      }
    }
  }
}
