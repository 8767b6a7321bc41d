import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, singleLevelNest } from "@kpu/ir";
import { simulateHierarchy } from "@kpu/scheduler";
import { blockTraffic, engineBlockTraffic } from "@kpu/mapper";

/**
 * The closed-form traffic against the hierarchy engine (the reference: it walks every step with LRU at every level):
 * equal at every level for every tensor where the model says it is exact, and never above it where it is not.
 */
const arb = fc.record({
  block: fc.record({ m: fc.integer({ min: 1, max: 96 }), n: fc.integer({ min: 1, max: 96 }), k: fc.integer({ min: 1, max: 96 }) }),
  tile: fc.record({ m: fc.integer({ min: 1, max: 24 }), n: fc.integer({ min: 1, max: 24 }), k: fc.integer({ min: 1, max: 24 }) }),
  order: fc.constantFrom(...NEST_ORDERS),
  sets: fc.tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 })),
  jitter: fc.tuple(fc.nat(64), fc.nat(64), fc.nat(64)),
  eb: fc.constantFrom(1, 2, 4),
});

function engine(block: { m: number; n: number; k: number }, tile: { m: number; n: number; k: number }, order: (typeof NEST_ORDERS)[number], caps: readonly number[], eb: number) {
  const h = simulateHierarchy({
    nest: singleLevelNest(block, tile, order),
    elementBytes: eb,
    cAccounting: "rmw",
    levels: ["l1", "l2", "l3"].map((name, x) => ({ name, capacityBytes: caps[x]!, tile, policy: "lru" as const })),
  });
  return h.levels.map((l) => [l.fillBytes[0], l.fillBytes[1], l.fillBytes[2], l.writeBackBytes[2]]);
}

describe("engineBlockTraffic (memoised per process)", () => {
  it("answers every call as a fresh engine run would, whatever came before (each input is in the key)", () => {
    fc.assert(
      fc.property(arb, fc.constantFrom(...NEST_ORDERS), ({ block, tile, order, sets, eb }, other) => {
        const caps = sets.map((s) => s * 64) as [number, number, number];
        // the same block with one input changed at a time, then all of them again from the memo
        const calls = [
          { block, tile, order, caps, eb },
          ...[0, 1, 2].map((x) => ({ block, tile, order, caps: caps.map((c, y) => (y === x ? Math.max(1, c >> 3) : c)) as [number, number, number], eb })),
          { block, tile, order: other, caps, eb },
          { block, tile, order, caps, eb: eb === 4 ? 2 : 4 },
          { block, tile: { ...tile, k: tile.k + 1 }, order, caps, eb },
          { block: { ...block, n: block.n + 1 }, tile, order, caps, eb },
        ];
        for (const c of [...calls, ...calls]) {
          const t = engineBlockTraffic(c.block, c.tile, c.order, c.caps, c.eb);
          expect(t.levels.map((l) => [l.fill[0], l.fill[1], l.fill[2], l.writeBack])).toEqual(engine(c.block, c.tile, c.order, c.caps, c.eb));
        }
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});

describe("blockTraffic", () => {
  it("equals the hierarchy engine where exact and bounds it from below elsewhere", () => {
    let exact = 0;
    let reuse = 0;
    fc.assert(
      fc.property(arb, ({ block, tile, order, sets, jitter, eb }) => {
        const set = (Math.min(tile.m, block.m) * Math.min(tile.k, block.k) + Math.min(tile.k, block.k) * Math.min(tile.n, block.n) + Math.min(tile.m, block.m) * Math.min(tile.n, block.n)) * eb;
        // capacities around a few tile sets, where reuse distances straddle them, and far above
        const caps = sets.map((s, x) => set * (s > 300 ? s : 1 + (s % 6)) + jitter[x]! * eb);
        const a = blockTraffic(block, tile, order, caps as [number, number, number], eb);
        const model = a.levels.map((l) => [l.fill[0], l.fill[1], l.fill[2], l.writeBack]);
        const ref = engine(block, tile, order, caps, eb);
        if (a.exact) {
          exact++;
          if (a.multiplicity.some((mu) => mu[0] > 1 || mu[1] > 1 || mu[2] > 0)) reuse++;
          expect(model).toEqual(ref);
        } else {
          for (let x = 0; x < 3; x++) for (let t = 0; t < 4; t++) expect(model[x]![t]!).toBeLessThanOrEqual(ref[x]![t]!);
        }
      }),
      { numRuns: 400, seed: 13 },
    );
    // the property covered both exact answers and re-fetching ones
    expect(exact).toBeGreaterThan(200);
    expect(reuse).toBeGreaterThan(50);
  });

  it("matches a hand count: 64^3 in 16^3 tiles, order mnk, L1 holds one tile set, L2 all of A and B", () => {
    // C: one run per tile (k innermost); A (not indexed by n) and B (not indexed by m) miss L1 on every reuse: 4 reads
    const eb = 4;
    const caps: [number, number, number] = [3 * 16 * 16 * eb, 64 * 64 * eb * 4, 64 * 64 * eb * 4];
    const t = blockTraffic({ m: 64, n: 64, k: 64 }, { m: 16, n: 16, k: 16 }, "mnk", caps, eb);
    expect(t.exact).toBe(true);
    expect(t.levels[0].fill).toEqual([4 * 64 * 64 * eb, 4 * 64 * 64 * eb, 0]);
    expect(t.levels[1].fill).toEqual([64 * 64 * eb, 64 * 64 * eb, 0]);
    expect(t.levels[2].writeBack).toBe(64 * 64 * eb);
  });
});
