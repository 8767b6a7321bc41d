import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GraphBuilder, type Conv2dOp } from "@kpu/ir";
import { convGemm, convInputOffset, convOutputOffset, convWeightOffset } from "@kpu/passes";

/** Direct convolution, written from the definition: y[n,oc,oh,ow] = sum over c in oc's group, kh, kw of x * w. */
function directConv(x: Float64Array, xs: number[], w: Float64Array, ws: number[], groups: number, s: number[], p: number[], d: number[], ys: number[]): Float64Array {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [OC, CG, KH, KW] = ws as [number, number, number, number];
  const [, , OH, OW] = ys as [number, number, number, number];
  const y = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++) {
      const g = Math.floor(oc / (OC / groups));
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let c = 0; c < CG; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * s[0]! - p[0]! + kh * d[0]!;
                const iw = ow * s[1]! - p[1]! + kw * d[1]!;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + g * CG + c) * H + ih) * W + iw]! * w[((oc * CG + c) * KH + kh) * KW + kw]!;
              }
          y[((n * OC + oc) * OH + oh) * OW + ow] = acc;
        }
    }
  return y;
}

describe("conv2d as an implicit GEMM", () => {
  it("the GEMM over the offsets equals a direct convolution and writes every output once (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }),
          cg: fc.integer({ min: 1, max: 3 }),
          ocg: fc.integer({ min: 1, max: 3 }),
          groups: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 3, max: 7 }),
          w: fc.integer({ min: 3, max: 7 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
          d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          seed: fc.integer(),
        }),
        (c) => {
          const xs = [c.n, c.cg * c.groups, c.h, c.w];
          const ws = [c.ocg * c.groups, c.cg, c.kh, c.kw];
          if (c.h + c.p[0] + c.p[2] < c.d[0] * (c.kh - 1) + 1 || c.w + c.p[1] + c.p[3] < c.d[1] * (c.kw - 1) + 1) return;
          const b = new GraphBuilder("c");
          const y = b.conv2d(b.input("x", xs), b.weight("w", ws), { groups: c.groups, stride: c.s, padding: c.p, dilation: c.d, id: "conv" });
          b.output(y);
          const op = b.build().ops[0] as Conv2dOp;
          let state = c.seed;
          const rand = (): number => ((state = (state * 1103515245 + 12345) | 0) >>> 8) / 2 ** 24 - 0.5;
          const x = Float64Array.from({ length: xs.reduce((a, v) => a * v, 1) }, rand);
          const w = Float64Array.from({ length: ws.reduce((a, v) => a * v, 1) }, rand);
          const g = convGemm(op, xs, ws, y.shape);
          const out = new Float64Array(y.shape.reduce((a, v) => a * v, 1));
          const writes = new Uint8Array(out.length);
          for (let grp = 0; grp < g.groups; grp++)
            for (let r = 0; r < g.m; r++)
              for (let j = 0; j < g.n; j++) {
                let acc = 0;
                for (let k = 0; k < g.k; k++) {
                  const xi = convInputOffset(g, grp, r, k);
                  if (xi >= 0) acc += x[xi]! * w[convWeightOffset(g, grp, k, j)]!;
                }
                const o = convOutputOffset(g, grp, r, j);
                out[o] = acc;
                writes[o]!++;
              }
          expect([...writes].every((v) => v === 1)).toBe(true);
          const ref = directConv(x, xs, w, ws, c.groups, c.s, c.p, c.d, [...y.shape]);
          for (let i = 0; i < ref.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 10);
        },
      ),
      { numRuns: 60 },
    );
  });
});
