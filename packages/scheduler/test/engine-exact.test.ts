import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STRATEGIES, analyzeL3, type CAccounting, type L3Model, type Strategy } from "@kpu/scheduler";
import { referenceSim } from "./reference-sim.js";

const models: L3Model[] = ["kpu", "kpu-sim"];
const accountings: CAccounting[] = ["rmw", "read-once"];

const caseArb = fc.record({
  m: fc.integer({ min: 1, max: 90 }),
  n: fc.integer({ min: 1, max: 90 }),
  k: fc.integer({ min: 1, max: 90 }),
  ti: fc.integer({ min: 1, max: 24 }),
  tj: fc.integer({ min: 1, max: 24 }),
  tk: fc.integer({ min: 1, max: 24 }),
  eb: fc.constantFrom(1, 2, 4),
  // capacities as multiples of the smallest tile, so that some thrash and some hold everything
  capScales: fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 5 }),
});

describe("the one-pass multi-capacity engine equals the plain trace-driven simulator", () => {
  for (const model of models) {
    for (const cAccounting of accountings) {
      if (model === "kpu-sim" && cAccounting === "read-once") continue; // kpu-sim ignores the C accounting
      it(`${model} ${cAccounting}: every strategy, random shapes, tiles and L3 sizes`, () => {
        fc.assert(
          fc.property(caseArb, (c) => {
            const tiles = { m: c.ti, n: c.tj, k: c.tk };
            const smallest = Math.min(c.ti * c.tk, c.tk * c.tj, c.ti * c.tj) * c.eb;
            const caps = c.capScales.map((s) => s * smallest);
            const results = analyzeL3(
              { m: c.m, n: c.n, k: c.k, elementBytes: c.eb },
              { model, cAccounting, tiles, l3Bytes: caps },
            );
            for (const r of results) {
              const ref = referenceSim({ ...c, strategy: r.strategy, model, cAccounting, capBytes: r.l3Bytes });
              const t = r.tensors;
              expect([t.a.readBytes, t.b.readBytes, t.c.readBytes]).toEqual(ref.readBytes);
              expect([t.a.requests, t.b.requests, t.c.requests]).toEqual(ref.requests);
              expect([t.a.hits, t.b.hits, t.c.hits]).toEqual(ref.hits);
              expect(r.dramWriteBytes).toBe(ref.writeBytes);
              if (model === "kpu-sim" || !results.some((x) => x.l3Bytes < maxTile(c))) {
                expect(r.evictions).toBe(ref.evictions);
              }
              expect(r.peakBytes).toBe(ref.peakBytes);
            }
          }),
          { numRuns: 60, seed: 4 },
        );
      });
    }
  }

  it("long outer loops (where the steady-state skip applies) stay exact", () => {
    const shapes = [
      { m: 40, n: 56, k: 3000, tiles: { m: 16, n: 16, k: 16 } }, // WS/IS: 188 outer k iterations
      { m: 3000, n: 40, k: 56, tiles: { m: 16, n: 16, k: 16 } }, // OS: 188 outer i iterations
      { m: 2500, n: 33, k: 2500, tiles: { m: 16, n: 8, k: 48 } }, // edge tiles, kpu-sim aliasing (kt > Ti)
    ];
    for (const sh of shapes) {
      for (const model of models) {
        for (const cAccounting of accountings) {
          const caps = [1, 4, 12, 40].map((x) => x * 3 * 16 * 48 * 4);
          const results = analyzeL3({ m: sh.m, n: sh.n, k: sh.k }, { model, cAccounting, tiles: sh.tiles, l3Bytes: caps });
          for (const r of results) {
            const ref = referenceSim({ m: sh.m, n: sh.n, k: sh.k, eb: 4, ti: sh.tiles.m, tj: sh.tiles.n, tk: sh.tiles.k, strategy: r.strategy, model, cAccounting, capBytes: r.l3Bytes });
            expect([r.tensors.a.readBytes, r.tensors.b.readBytes, r.tensors.c.readBytes]).toEqual(ref.readBytes);
            expect([r.tensors.a.hits, r.tensors.b.hits, r.tensors.c.hits]).toEqual(ref.hits);
            expect(r.dramWriteBytes).toBe(ref.writeBytes);
            expect(r.evictions).toBe(ref.evictions);
            expect(r.peakBytes).toBe(ref.peakBytes);
          }
        }
      }
    }
  }, 120_000);

  it("kpu-sim flushes on a tile larger than L3 and the kpu model streams it, both exactly", () => {
    for (const strategy of STRATEGIES as readonly Strategy[]) {
      for (const model of models) {
        const p = { m: 40, n: 33, k: 50, elementBytes: 4 };
        const tiles = { m: 16, n: 8, k: 16 }; // A tile 1024 B, B 512 B, C 512 B
        const caps = [600, 1100, 3000];
        const results = analyzeL3(p, { model, tiles, l3Bytes: caps, strategies: [strategy] });
        for (const r of results) {
          const ref = referenceSim({ ...p, eb: 4, ti: tiles.m, tj: tiles.n, tk: tiles.k, strategy, model, cAccounting: "rmw", capBytes: r.l3Bytes });
          expect([r.tensors.a.readBytes, r.tensors.b.readBytes, r.tensors.c.readBytes]).toEqual(ref.readBytes);
          expect(r.dramWriteBytes).toBe(ref.writeBytes);
          expect(r.peakBytes).toBe(ref.peakBytes);
        }
      }
    }
  });
});

function maxTile(c: { m: number; n: number; k: number; ti: number; tj: number; tk: number; eb: number }): number {
  const e = (t: number, d: number): number => Math.min(t, d);
  return Math.max(e(c.ti, c.m) * e(c.tk, c.k), e(c.tk, c.k) * e(c.tj, c.n), e(c.ti, c.m) * e(c.tj, c.n)) * c.eb;
}
