import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, STRATEGY_ORDER, singleLevelNest, type NestOrder, type ReplacementPolicyName } from "@kpu/ir";
import { STRATEGIES, analyzeL3, simulateHierarchy, type HierarchySpec } from "@kpu/scheduler";
import { referenceWithMin, type RefCase } from "./hierarchy-reference.js";

const order = fc.constantFrom(...NEST_ORDERS);
const policy = fc.constantFrom<ReplacementPolicyName>("lru", "fifo", "min");

/** Random three-level hierarchies: each level's tile a multiple of the one below, capacities in tiles of its level. */
const caseArb = fc
  .record({
    dims: fc.record({ m: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }) }),
    step: fc.record({ m: fc.integer({ min: 1, max: 8 }), n: fc.integer({ min: 1, max: 8 }), k: fc.integer({ min: 1, max: 8 }) }),
    f2: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    f3: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    orders: fc.tuple(order, order, order),
    caps: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 })),
    policies: fc.tuple(policy, policy, policy),
    levels: fc.integer({ min: 1, max: 3 }),
    rmw: fc.boolean(),
    eb: fc.constantFrom(1, 4),
  })
  .map((r) => {
    const t1 = r.step;
    const t2 = { m: t1.m * r.f2[0], n: t1.n * r.f2[1], k: t1.k * r.f2[2] };
    const t3 = { m: t2.m * r.f3[0], n: t2.n * r.f3[1], k: t2.k * r.f3[2] };
    const tiles = [t1, t2, t3].slice(0, r.levels);
    const unit = (t: { m: number; n: number; k: number }) => Math.max(t.m * t.k, t.k * t.n, t.m * t.n) * r.eb;
    return {
      ...r,
      levelSpecs: tiles.map((tile, x) => ({ name: `l${x + 1}`, tile, capacityBytes: r.caps[x]! * unit(tile), policy: r.policies[x]! })),
      nest: tiles.map((tile, x) => ({ tile, order: r.orders[x]! as NestOrder })).reverse(),
    };
  });

function engineSpec(c: ReturnType<(typeof caseArb)["generate"]>["value"]): HierarchySpec {
  return { nest: { dims: c.dims, levels: c.nest }, elementBytes: c.eb, levels: c.levelSpecs, cAccounting: c.rmw ? "rmw" : "read-once" };
}

function refCase(c: ReturnType<(typeof caseArb)["generate"]>["value"]): RefCase {
  return {
    dims: c.dims,
    nest: c.nest.map((l) => ({ tile: l.tile, order: l.order })),
    eb: c.eb,
    levels: c.levelSpecs.map((l) => ({ cap: l.capacityBytes, tile: l.tile, policy: l.policy })),
    rmw: c.rmw,
  };
}

describe("the hierarchy engine", () => {
  it("equals a brute-force multi-level simulator: bytes per level and tensor, requests, hits, evictions, peaks", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const got = simulateHierarchy(engineSpec(c));
        const want = referenceWithMin(refCase(c));
        got.levels.forEach((l, x) => {
          const w = want[x]!;
          expect([...l.fillBytes]).toEqual(w.fill);
          expect([...l.writeBackBytes]).toEqual(w.writeBack);
          expect([...l.requests]).toEqual(w.requests);
          expect([...l.hits]).toEqual(w.hits);
          expect(l.evictions).toBe(w.evictions);
          expect(l.peakBytes).toBe(w.peak);
        });
      }),
      { numRuns: 400 },
    );
  });

  it("as one LRU level, equals the one-pass multi-capacity L3 analysis (with the steady-state skip)", () => {
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 200 }), n: fc.integer({ min: 1, max: 60 }), k: fc.integer({ min: 1, max: 200 }) }),
        fc.record({ m: fc.integer({ min: 1, max: 24 }), n: fc.integer({ min: 1, max: 24 }), k: fc.integer({ min: 1, max: 24 }) }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(...STRATEGIES),
        fc.constantFrom("rmw" as const, "read-once" as const),
        (dims, tiles, scale, strategy, cAccounting) => {
          const cap = scale * Math.min(tiles.m * tiles.k, tiles.k * tiles.n, tiles.m * tiles.n) * 4;
          const [r] = analyzeL3(dims, { tiles, l3Bytes: [cap], strategies: [strategy], cAccounting });
          const h = simulateHierarchy({ nest: singleLevelNest(dims, tiles, STRATEGY_ORDER[strategy]), elementBytes: 4, levels: [{ name: "l3", capacityBytes: cap, tile: tiles }], cAccounting });
          const l = h.levels[0]!;
          expect([...l.fillBytes]).toEqual([r!.tensors.a.readBytes, r!.tensors.b.readBytes, r!.tensors.c.readBytes]);
          expect(l.writeBackBytes[2]).toBe(r!.dramWriteBytes);
          expect([...l.hits]).toEqual([r!.tensors.a.hits, r!.tensors.b.hits, r!.tensors.c.hits]);
          expect(l.peakBytes).toBe(r!.peakBytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
