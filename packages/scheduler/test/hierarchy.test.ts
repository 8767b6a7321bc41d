import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, STRATEGY_ORDER, singleLevelNest, type ReplacementPolicyName } from "@kpu/ir";
import { STRATEGIES, TRANSFER_LOAD, analyzeL3, simulateHierarchy, type HierarchySink, type HierarchySpec } from "@kpu/scheduler";
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
      nest: tiles.map((tile, x) => ({ tile, order: r.orders[x]! })).reverse(),
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

/** Counts transfers per (kind, level) from the engine's transfer list. */
function countTransfers(spec: HierarchySpec): { loads: number[]; writeBacks: number[]; traffic: ReturnType<typeof simulateHierarchy> } {
  const loads = spec.levels.map(() => 0);
  const writeBacks = spec.levels.map(() => 0);
  let id = 0;
  const sink: HierarchySink = {
    transfer: (kind, level) => {
      (kind === TRANSFER_LOAD ? loads : writeBacks)[level]!++;
      return id++;
    },
    compute: () => id++,
    require: () => undefined,
  };
  return { loads, writeBacks, traffic: simulateHierarchy(spec, sink) };
}

describe("hierarchy properties", () => {
  it("a level sees exactly the misses and write-backs of the level below it", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { loads, writeBacks, traffic } = countTransfers(engineSpec(c));
        for (let x = 0; x + 1 < traffic.levels.length; x++) {
          const up = traffic.levels[x + 1]!;
          expect(up.requests[0] + up.requests[1] + up.requests[2]).toBe(loads[x]! + writeBacks[x]!);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("more capacity at a level never increases the traffic above it (LRU, uniform tiles)", () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 8 }), (c0, which, extra) => {
        // uniform tiles: every level holds the step tile and the dimensions are whole tiles
        const t = c0.step;
        const dims = { m: t.m * Math.ceil(c0.dims.m / t.m), n: t.n * Math.ceil(c0.dims.n / t.n), k: t.k * Math.ceil(c0.dims.k / t.k) };
        const unit = Math.max(t.m * t.k, t.k * t.n, t.m * t.n) * c0.eb;
        const levels = c0.levelSpecs.map((l) => ({ ...l, tile: t, policy: "lru" as const }));
        const x = Math.min(which, levels.length - 1);
        const spec = (grow: number): HierarchySpec => ({
          nest: { dims, levels: c0.nest.map((l) => ({ ...l, tile: t })) },
          elementBytes: c0.eb,
          levels: levels.map((l, y) => (y === x ? { ...l, capacityBytes: l.capacityBytes + grow * unit } : l)),
          cAccounting: c0.rmw ? "rmw" : "read-once",
        });
        const above = (h: ReturnType<typeof simulateHierarchy>) => {
          const l = h.levels[x]!;
          return l.fillBytes[0] + l.fillBytes[1] + l.fillBytes[2] + l.writeBackBytes[0] + l.writeBackBytes[1] + l.writeBackBytes[2];
        };
        expect(above(simulateHierarchy(spec(extra)))).toBeLessThanOrEqual(above(simulateHierarchy(spec(0))));
      }),
      { numRuns: 300 },
    );
  });
});
