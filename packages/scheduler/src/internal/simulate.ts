import { KpuError } from "@kpu/ir";
import type { Strategy } from "../strategy.js";
import { MultiLru } from "./lru-engine.js";
import { tileGrid, type TileGrid } from "@kpu/ir";
import { loopNest } from "./trace.js";

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


/**
 * Simulates the tile trace of one strategy against LRU caches of every given capacity in one pass.
 * kpu model: tiles keyed by their true index and sized exactly (edge tiles smaller), each step touches A, B, C in that
 * order (C only on its first k with `read-once`), a first touch of C reads nothing, tiles larger than a capacity stream
 * through. kpu-sim model: kpu-sim's keys (byte offsets that alias), full padded tiles, C first then A, B, C only on its
 * first touch, and an oversize tile flushes the cache.
 */
export function simulateL3(input: SimInput): SimCapResult[] {
  const { m, n, k, elementBytes: eb, ti, tj, tk, model } = input;
  const grid = tileGrid(m, n, k, { m: ti, n: tj, k: tk });
  const { mt, nt, kt } = grid;
  const steps = mt * nt * kt;
  if (steps > MAX_STEPS) {
    throw new KpuError("KPU_TOO_LARGE", `${steps.toExponential(2)} tile steps is too many to simulate`, {
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
    for (let i = 0; i < mt; i++) for (let kk = 0; kk < kt; kk++) lru.setSize(i * sA + kk, rows(i, ti, m) * rows(kk, tk, k) * eb);
    for (let kk = 0; kk < kt; kk++) for (let j = 0; j < nt; j++) lru.setSize(offB + kk * sB + j, rows(kk, tk, k) * rows(j, tj, n) * eb);
    for (let i = 0; i < mt; i++) for (let j = 0; j < nt; j++) lru.setSize(offC + i * sC + j, rows(i, ti, m) * rows(j, tj, n) * eb);
  };

  const caps = input.capsBytes;
  const ei = sim ? ti : Math.min(ti, m);
  const ej = sim ? tj : Math.min(tj, n);
  const ek = sim ? tk : Math.min(tk, k);
  const maxA = ei * ek * eb;
  const maxB = ek * ej * eb;
  const maxC = ei * ej * eb;
  const maxTile = Math.max(maxA, maxB, maxC);
  if (maxTile >= 2 ** 31) {
    throw new KpuError("KPU_BAD_TILES", `a ${maxTile}-byte tile is above 2 GiB`, {
      where: "tiles",
      hint: "Use smaller tiles; a tile must fit in on-chip memory.",
    });
  }
  // Bypass breaks inclusion: run each capacity that a tile exceeds on its own.
  const groups: (readonly number[])[] = [];
  if (!sim && caps.some((c) => c < maxTile)) for (const c of caps) groups.push([c]);
  else groups.push(caps);

  const out: SimCapResult[] = [];
  for (const group of groups) {
    const lru = new MultiLru(total, group, sim ? "flush" : "bypass");
    fillSizes(lru);
    // Pinning the tile that is constant across a run is exact when the smallest capacity holds one of each tile.
    const pin = maxA + maxB + maxC <= group[0]!;
    runTrace(lru, input, grid, { total, sA, sB, sC, offB, offC }, pin);
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

function sameShifted(
  prev: ReturnType<MultiLru["snapshot"]>,
  cur: ReturnType<MultiLru["snapshot"]>,
  shift: (x: number) => number,
): boolean {
  if (prev.ids.length !== cur.ids.length) return false;
  for (let p = 0; p < cur.ids.length; p++) {
    if (cur.ids[p] !== shift(prev.ids[p]!) || cur.levels[p] !== prev.levels[p] || cur.sizes[p] !== prev.sizes[p]) return false;
  }
  return true;
}

interface Layout {
  readonly total: number;
  readonly sA: number;
  readonly sB: number;
  readonly sC: number;
  readonly offB: number;
  readonly offC: number;
}

function runTrace(lru: MultiLru, input: SimInput, grid: TileGrid, lay: Layout, pin: boolean): void {
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
  const strategy = input.strategy;
  // Steady state: outer iterations oFirst..oLast-1 run the same trace shifted by one outer tile index (same tile
  // sizes, same first-touch flags). When the LRU state at the start of iteration o is the state at the start of o-1
  // with every node shifted the same way, iterations o..oLast-1 repeat iteration o-1 exactly: their counts are added
  // in bulk and the state is relabelled. Exact, and checked against the trace simulator like the rest.
  const oFirst = strategy === "os" ? 0 : 1;
  const outerTile = [input.ti, input.tj, input.tk][rO]!;
  const outerDim = [input.m, input.n, input.k][rO]!;
  const oLast = !sim && outerDim % outerTile !== 0 ? nO - 1 : nO;
  const stepsPerOuter = nM * nI;
  const shiftId = (x: number, r: number): number => (x < offB ? x + r * aO : x < offC ? x + r * bO : x + r * cO);
  const inRange = (x: number, r: number): boolean => {
    const y = shiftId(x, r);
    return x < offB ? y >= 0 && y < offB : x < offC ? y >= offB && y < offC : y >= offC && y < lay.total;
  };
  let prevSnap: ReturnType<MultiLru["snapshot"]> | undefined;
  let prevCounters: Float64Array | undefined;
  let trySkip = oLast - oFirst > 2;
  for (let o = 0; o < nO; o++) {
    if (trySkip && o >= oFirst && o < oLast) {
      const snap = lru.snapshot();
      if (snap.ids.length > 12 * stepsPerOuter + 64) {
        trySkip = false; // the state spans many iterations: comparing it would cost more than simulating
      } else {
        const counters = lru.counters();
        if (prevSnap !== undefined && prevCounters !== undefined && o > oFirst && sameShifted(prevSnap, snap, (x) => shiftId(x, 1))) {
          const r = oLast - o; // iterations o .. oLast-1 repeat iteration o-1
          if (r > 0 && snap.ids.every((x) => inRange(x, r))) {
            lru.addCounters(prevCounters, counters, r);
            lru.relabel((x) => shiftId(x, r));
            o += r;
            trySkip = false;
            if (o >= nO) break;
          }
        }
        prevSnap = snap;
        prevCounters = counters;
      }
    }
    for (let mm = 0; mm < nM; mm++) {
      let a = o * aO + mm * aM;
      let b = offB + o * bO + mm * bM;
      let c = offC + o * cO + mm * cM;
      if (sim) {
        if (strategy === "os") {
          // C[i,j] is first touched at k = 0, the run's first step; A and B change every step
          lru.touch(c, 2, true);
          for (let x = 0; x < nI; x++) {
            lru.touch(a, 0, true);
            lru.touch(b, 1, true);
            a += aI;
            b += bI;
          }
        } else if (strategy === "ws") {
          // per step: C (first touch, k = 0 only), A (constant across the run), B
          const firstC = o === 0;
          if (firstC) lru.touch(c, 2, true);
          lru.touch(a, 0, true);
          if (pin) lru.detachHead(a);
          lru.touch(b, 1, true);
          for (let x = 1; x < nI; x++) {
            b += bI;
            c += cI;
            if (firstC) lru.touch(c, 2, true);
            if (!pin) lru.touch(a, 0, true);
            lru.touch(b, 1, true);
          }
          if (pin) {
            lru.countHits(0, nI - 1);
            lru.reattach(a, 2);
          }
        } else {
          // IS: C (k = 0 only), A, B (constant across the run)
          const firstC = o === 0;
          if (firstC) lru.touch(c, 2, true);
          lru.touch(a, 0, true);
          lru.touch(b, 1, true);
          if (pin) lru.detachHead(b);
          for (let x = 1; x < nI; x++) {
            a += aI;
            c += cI;
            if (firstC) lru.touch(c, 2, true);
            lru.touch(a, 0, true);
            if (!pin) lru.touch(b, 1, true);
          }
          if (pin) {
            lru.countHits(1, nI - 1);
            lru.reattach(b, 1);
          }
        }
      } else if (strategy === "os") {
        // C[i,j] constant across the run; first touch (no read) at k = 0
        lru.touch(a, 0, true);
        lru.touch(b, 1, true);
        lru.touch(c, 2, false);
        const pinC = pin && rmw;
        if (pinC) lru.detachHead(c);
        for (let x = 1; x < nI; x++) {
          a += aI;
          b += bI;
          lru.touch(a, 0, true);
          lru.touch(b, 1, true);
          if (rmw && !pinC) lru.touch(c, 2, true);
        }
        if (pinC) {
          lru.countHits(2, nI - 1);
          lru.reattach(c, 1);
        }
      } else {
        // WS pins A (touched first in the step), IS pins B (second); C touched every step (rmw) or on k = 0 only
        const first = o === 0; // k is the outer loop for WS and IS
        const touchC = rmw || first;
        const ws = strategy === "ws";
        lru.touch(a, 0, true);
        if (pin && ws) lru.detachHead(a);
        lru.touch(b, 1, true);
        if (pin && !ws) lru.detachHead(b);
        if (touchC) lru.touch(c, 2, !first);
        for (let x = 1; x < nI; x++) {
          if (ws) b += bI;
          else a += aI;
          c += cI;
          if (!pin || !ws) lru.touch(a, 0, true);
          if (!pin || ws) lru.touch(b, 1, true);
          if (touchC) lru.touch(c, 2, !first);
        }
        if (pin) {
          const after = touchC ? 1 : 0;
          if (ws) {
            lru.countHits(0, nI - 1);
            lru.reattach(a, 2 + after);
          } else {
            lru.countHits(1, nI - 1);
            lru.reattach(b, 1 + after);
          }
        }
      }
    }
  }
}
