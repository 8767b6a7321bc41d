import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GraphBuilder, type Conv2dOp } from "@kpu/ir";
import { convGemm, convHalo, convInputOffset, convTileInputElements } from "@kpu/passes";

const convArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  cg: fc.integer({ min: 1, max: 4 }),
  groups: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 9 }),
  w: fc.integer({ min: 3, max: 9 }),
  kh: fc.integer({ min: 1, max: 3 }),
  kw: fc.integer({ min: 1, max: 3 }),
  s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  tm: fc.integer({ min: 1, max: 40 }),
  tk: fc.integer({ min: 1, max: 20 }),
});

type Conv = typeof convArb extends fc.Arbitrary<infer T> ? T : never;

function geometry(c: Conv) {
  const xs = [c.n, c.cg * c.groups, c.h, c.w];
  const ws = [2 * c.groups, c.cg, c.kh, c.kw];
  if (c.h + c.p[0] + c.p[2] < c.d[0] * (c.kh - 1) + 1 || c.w + c.p[1] + c.p[3] < c.d[1] * (c.kw - 1) + 1) return undefined;
  const b = new GraphBuilder("c");
  const y = b.conv2d(b.input("x", xs), b.weight("w", ws), { groups: c.groups, stride: c.s, padding: c.p, dilation: c.d, id: "conv" });
  b.output(y);
  return convGemm(b.build().ops[0] as Conv2dOp, xs, ws, y.shape);
}

/** Brute force: the set of input offsets the tile's A elements name (padding excluded). */
function bruteTile(g: NonNullable<ReturnType<typeof geometry>>, group: number, r0: number, r1: number, c0: number, c1: number): number {
  const seen = new Set<number>();
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) {
    const o = convInputOffset(g, group, r, c);
    if (o >= 0) seen.add(o);
  }
  return seen.size;
}

describe("the implicit GEMM's A-tile halo", () => {
  it("counts the distinct input elements of every tile like a brute force over convInputOffset (property)", () => {
    fc.assert(
      fc.property(convArb, (c) => {
        const g = geometry(c);
        if (g === undefined) return;
        let brute = 0;
        for (let r = 0; r < g.m; r += c.tm) {
          for (let k = 0; k < g.k; k += c.tk) {
            const r1 = Math.min(g.m, r + c.tm);
            const k1 = Math.min(g.k, k + c.tk);
            const expected = bruteTile(g, g.groups - 1, r, r1, k, k1);
            expect(convTileInputElements(g, r, r1, k, k1)).toBe(expected);
            brute += expected;
          }
        }
        const halo = convHalo(g, c.tm, c.tk);
        expect(halo.distinctElements).toBe(brute);
        expect(halo.denseElements).toBe(g.m * g.k);
        expect(halo.factor).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
  });

  it("a 3x3 stride-1 conv's one-tile halo is the padded-out image, a 1x1 conv reads each element once", () => {
    // 1 image, 1 channel, 8x8, 3x3 pad 1: a tile of all 64 pixels x 9 taps reads the 64 pixels once
    const b = new GraphBuilder("c");
    const y = b.conv2d(b.input("x", [1, 1, 8, 8]), b.weight("w", [1, 1, 3, 3]), { padding: [1, 1, 1, 1], id: "conv" });
    b.output(y);
    const g = convGemm(b.build().ops[0] as Conv2dOp, [1, 1, 8, 8], [1, 1, 3, 3], y.shape);
    expect(convTileInputElements(g, 0, 64, 0, 9)).toBe(64);
    expect(convHalo(g, 64, 9).factor).toBeCloseTo(64 / (64 * 9));
    // one output row (8 pixels) and all taps: rows 0..1 of the input (row -1 is padding), 16 elements
    expect(convTileInputElements(g, 0, 8, 0, 9)).toBe(16);
  });
});
