import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, forEachTileStep, nestStepCount, parseMapping, strategyMapping, validateMapping, type KpuError, type NestOrder, type TileNest } from "../src/index.js";

/** Reference: every innermost tile, sorted by (outer tile position in the outer order, inner position in the inner order). */
function referenceSteps(nest: TileNest): number[][] {
  const inner = nest.levels[nest.levels.length - 1]!.tile;
  const all: number[][] = [];
  for (let m = 0; m * inner.m < nest.dims.m; m++)
    for (let n = 0; n * inner.n < nest.dims.n; n++) for (let k = 0; k * inner.k < nest.dims.k; k++) all.push([m, n, k]);
  const key = (s: number[]): number[] => {
    const el = { m: s[0]! * inner.m, n: s[1]! * inner.n, k: s[2]! * inner.k };
    const out: number[] = [];
    for (const level of nest.levels) for (const d of level.order) out.push(Math.floor(el[d as "m" | "n" | "k"] / level.tile[d as "m" | "n" | "k"]));
    return out;
  };
  return all
    .map((s) => ({ s, key: key(s) }))
    .sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i]! - b.key[i]!;
      return 0;
    })
    .map((x) => x.s);
}

function steps(nest: TileNest): number[][] {
  const out: number[][] = [];
  forEachTileStep(nest, (m, n, k, index) => {
    expect(index).toBe(out.length);
    out.push([m, n, k]);
  });
  return out;
}

const order = fc.constantFrom(...NEST_ORDERS);

describe("forEachTileStep", () => {
  it("walks a one-level nest in the order's loops (WS = k, m, n)", () => {
    const nest: TileNest = { dims: { m: 3, n: 2, k: 2 }, levels: [{ tile: { m: 1, n: 1, k: 1 }, order: "kmn" }] };
    expect(steps(nest).slice(0, 5)).toEqual([[0, 0, 0], [0, 1, 0], [1, 0, 0], [1, 1, 0], [2, 0, 0]]);
  });

  it("matches a sort-based reference on random two- and three-level nests with edge tiles", () => {
    fc.assert(
      fc.property(
        fc.record({ m: fc.integer({ min: 1, max: 13 }), n: fc.integer({ min: 1, max: 13 }), k: fc.integer({ min: 1, max: 13 }) }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), order), { minLength: 1, maxLength: 3 }),
        (dims, factors) => {
          // innermost tile first: each outer tile is a multiple of the one inside it
          let t = { m: 1, n: 1, k: 1 };
          const levels: { tile: { m: number; n: number; k: number }; order: NestOrder }[] = [];
          for (const [a, b, c, o] of factors) {
            t = { m: t.m * a, n: t.n * b, k: t.k * c };
            levels.unshift({ tile: t, order: o });
          }
          const nest = { dims, levels };
          const got = steps(nest);
          expect(got).toEqual(referenceSteps(nest));
          expect(got.length).toBe(nestStepCount(nest));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stops when the visitor returns false", () => {
    let count = 0;
    forEachTileStep({ dims: { m: 8, n: 8, k: 8 }, levels: [{ tile: { m: 2, n: 2, k: 2 }, order: "mnk" }] }, () => ++count < 5);
    expect(count).toBe(5);
  });
});

describe("kpu.mapping", () => {
  const fabric = { dataflow: "os" as const, rows: 16, cols: 16 };
  const fit = { capacityBytes: { l3: 1 << 20, l2: 1 << 18, l1: 1 << 16 }, elementBytes: 4, block: { m: 256, n: 256, k: 256 } };

  it("round-trips through JSON and names the field of a schema error", () => {
    const m = strategyMapping("ws", { m: 32, n: 32, k: 32 }, { fabric, buffers: { l1: 2 } });
    expect(parseMapping(JSON.stringify(m))).toEqual(m);
    const bad = JSON.stringify({ ...m, levels: { ...m.levels, l2: { ...m.levels.l2, tile: { m: 0, n: 32, k: 32 } } } });
    expect(() => parseMapping(bad, "map.json")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA", where: "map.json:levels.l2.tile.m" }) as KpuError);
    expect(() => parseMapping(JSON.stringify({ ...m, schemaVersion: 9 }), "map.json")).toThrow(/schemaVersion 9/);
  });

  it("says which level does not fit and by how many bytes", () => {
    const m = strategyMapping("os", { m: 64, n: 64, k: 64 }, { fabric, buffers: { l1: 2 } });
    // l1: 2 x 3 x 64 x 64 x 4 = 98,304 bytes against 65,536
    expect(() => validateMapping(m, fit)).toThrow(expect.objectContaining({ where: "mapping.levels.l1", message: expect.stringContaining("32768 bytes short") as string }) as KpuError);
  });

  it("refuses an inner tile that does not divide the outer one", () => {
    const m = strategyMapping("os", { m: 32, n: 32, k: 32 }, { fabric });
    const broken = { ...m, levels: { ...m.levels, l2: { ...m.levels.l2, tile: { m: 24, n: 32, k: 32 } } } };
    expect(() => validateMapping(broken, fit)).toThrow(expect.objectContaining({ code: "KPU_BAD_NEST", where: "mapping.levels.l2.tile.m" }) as KpuError);
  });
});
