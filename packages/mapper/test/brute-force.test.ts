import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, type NestOrder } from "@kpu/ir";
import type { Dataflow } from "@kpu/kpu-model";
import { OBJECTIVES, costPoint, mapGemm, type Objective } from "@kpu/mapper";
import { smallHardware } from "./hardware.js";

/**
 * The acceptance check of exactness: on small spaces every point is enumerated here from the space's definition (its
 * own loops, not the mapper's enumeration or bounds), costed with the public cost model, and sorted by the documented
 * tie order; the mapper's best and runner-up must be the first two, for every objective.
 */
interface BrutePoint {
  grid: { rows: number; cols: number };
  tile: { m: number; n: number; k: number };
  order: NestOrder;
  dataflow: Dataflow;
  buffers: [number, number, number];
  key: Record<Objective, number[]>;
}

function candidates(extent: number, granule: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= extent; t++) {
    const divides = extent % t === 0;
    if (extent < granule ? divides : t % granule === 0 || (divides && t >= granule)) out.push(t);
  }
  return out;
}

function bruteForce(hw: ReturnType<typeof smallHardware>, m: number, n: number, k: number): BrutePoint[] {
  const points: BrutePoint[] = [];
  const P = hw.computeTiles;
  const eb = hw.derived.elementBytes;
  const caps = [hw.derived.levels.l1.perTileCapacityBytes, hw.derived.levels.l2.perTileCapacityBytes, hw.derived.levels.l3.perTileCapacityBytes];
  const grids: { rows: number; cols: number }[] = [];
  for (let r = P; r >= 1; r--) {
    if (P % r !== 0) continue;
    const g = { rows: Math.min(r, m), cols: Math.min(P / r, n) };
    if (!grids.some((x) => x.rows === g.rows && x.cols === g.cols)) grids.push(g);
  }
  for (const grid of grids) {
    const bm = Math.ceil(m / grid.rows);
    const bn = Math.ceil(n / grid.cols);
    for (const tm of candidates(bm, hw.fabric.rows)) for (const tn of candidates(bn, hw.fabric.cols)) for (const tk of candidates(k, hw.fabric.rows)) {
      const set = (tm * tk + tk * tn + tm * tn) * eb;
      if (set > Math.min(...caps)) continue;
      for (const order of NEST_ORDERS) for (const dataflow of ["os", "ws", "is"] as const) for (let code = 0; code < 8; code++) {
        const buffers: [number, number, number] = [(code & 1) + 1, ((code >> 1) & 1) + 1, ((code >> 2) & 1) + 1];
        if (buffers.some((b, x) => b * set > caps[x]!)) continue;
        const tile = { m: tm, n: tn, k: tk };
        const c = costPoint(hw, { m, n, k }, { grid, tile, order, dataflow, buffers });
        const tail = [c.cycles, c.energyPj, c.dramBytes];
        const key = { latency: [c.cycles, ...tail], energy: [c.energyPj, ...tail], edp: [c.cycles * c.energyPj, ...tail], dram: [c.dramBytes, ...tail] };
        points.push({ grid, tile, order, dataflow, buffers, key });
      }
    }
  }
  return points;
}

function firstTwo(points: BrutePoint[], objective: Objective): BrutePoint[] {
  const ranked = points.map((p, i) => ({ p, i }));
  ranked.sort((a, b) => {
    for (let x = 0; x < 4; x++) if (a.p.key[objective][x] !== b.p.key[objective][x]) return a.p.key[objective][x]! - b.p.key[objective][x]!;
    return a.i - b.i;
  });
  return ranked.slice(0, 2).map((r) => r.p);
}

const describePoint = (p: BrutePoint) => ({ grid: p.grid, tile: p.tile, order: p.order, dataflow: p.dataflow, buffers: p.buffers });

async function checkAgainstBruteForce(c: { m: number; n: number; k: number; tiles: number; array: number; kib: [number, number, number] }): Promise<void> {
  const hw = smallHardware({ tiles: c.tiles, array: c.array, l1KiB: c.kib[0], l2KiB: c.kib[1], l3KiB: c.kib[2] });
  const points = bruteForce(hw, c.m, c.n, c.k);
  for (const objective of OBJECTIVES) {
    const r = await mapGemm({ m: c.m, n: c.n, k: c.k }, hw, { objective, threads: 1 });
    const [best, second] = firstTwo(points, objective);
    const lv = r.best.mapping.levels;
    expect({ grid: { rows: r.best.mapping.grid.rows, cols: r.best.mapping.grid.cols }, tile: lv.l1.tile, order: lv.l1.order, dataflow: r.best.mapping.fabric.dataflow, buffers: [lv.l1.buffers, lv.l2.buffers, lv.l3.buffers] }).toEqual(describePoint(best!));
    expect([r.best.cost, r.best.cycles, r.best.energyPj, r.best.dramBytes]).toEqual(best!.key[objective]);
    expect(r.runnerUp === null ? undefined : [r.runnerUp.cost, r.runnerUp.cycles, r.runnerUp.energyPj, r.runnerUp.dramBytes]).toEqual(second?.key[objective]);
    expect(r.evaluated + r.pruned).toBe(points.length);
  }
}

describe("mapGemm against brute force", () => {
  it("returns the brute-force best and runner-up for every objective", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 1, max: 20 }),
          n: fc.integer({ min: 1, max: 20 }),
          k: fc.integer({ min: 1, max: 20 }),
          tiles: fc.constantFrom(1, 2),
          array: fc.constantFrom(2, 4),
          kib: fc.tuple(fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4)),
        }),
        checkAgainstBruteForce,
      ),
      { numRuns: 8, seed: 13 },
    );
  }, 120_000);

  it("also where C's partial sums go back and forth (long k, a small L1): the round trip in the cycles", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 4, max: 12 }),
          n: fc.integer({ min: 4, max: 12 }),
          k: fc.integer({ min: 24, max: 40 }),
          tiles: fc.constant(1),
          array: fc.constant(4),
          kib: fc.constant<[number, number, number]>([1, 2, 4]),
        }),
        checkAgainstBruteForce,
      ),
      { numRuns: 4, seed: 5 },
    );
  }, 120_000);
});
