import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GraphBuilder } from "@kpu/ir";
import { batchMatmulGemm, fuseGraph, lowerToLayers, type FabricLayer, type VectorLayer } from "@kpu/passes";

/** Output size of a window along one axis, from the definition. */
const outSize = (i: number, k: number, s: number, p: number, d: number) => Math.floor((i + p - d * (k - 1) - 1) / s) + 1;

describe("lowering a graph into layer workloads", () => {
  it("conv MACs are N x OC x OH x OW x C/g x KH x KW for any stride, padding, dilation and groups (property)", () => {
    fc.assert(
      fc.property(
        fc.record({ n: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 4 }), g: fc.integer({ min: 1, max: 4 }), ocg: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 5, max: 12 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }) }),
        (c) => {
          const b = new GraphBuilder("c");
          const x = b.input("x", [c.n, c.cg * c.g, c.h, c.h + 1]);
          b.output(b.conv2d(x, b.weight("w", [c.ocg * c.g, c.cg, c.k, c.k]), { groups: c.g, stride: [c.s, c.s], padding: [c.p, c.p, c.p, c.p], dilation: [c.d, c.d] }));
          const [layer] = lowerToLayers(b.build()) as [FabricLayer];
          const oh = outSize(c.h, c.k, c.s, 2 * c.p, c.d);
          const ow = outSize(c.h + 1, c.k, c.s, 2 * c.p, c.d);
          expect(layer.macs).toBe(c.n * c.ocg * c.g * oh * ow * c.cg * c.k * c.k);
          expect(layer.gemm).toEqual({ m: c.n * oh * ow, n: c.ocg, k: c.cg * c.k * c.k, batch: c.g, aCount: c.g, bCount: c.g });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("batch_matmul stacks broadcast batch dimensions into M (shared B) or N (shared A), and keeps GQA's per-group K", () => {
    // x[2, 16, 32] @ W[32, 8]: W is shared by the whole batch, so the rows stack: one 32x8x32 GEMM
    expect(batchMatmulGemm([2, 16, 32], [32, 8], [2, 16, 8])).toEqual({ m: 32, n: 8, k: 32, batch: 1, aCount: 1, bCount: 1 });
    // A shared: [16, 32] @ [3, 32, 8] puts the three B matrices side by side
    expect(batchMatmulGemm([16, 32], [3, 32, 8], [3, 16, 8])).toEqual({ m: 16, n: 24, k: 32, batch: 1, aCount: 1, bCount: 1 });
    // grouped-query attention: Q [kv=2, group=4, S=16, d=8] x K^T [2, 1, 8, 16]: each K serves 4 query heads
    expect(batchMatmulGemm([2, 4, 16, 8], [2, 1, 8, 16], [2, 4, 16, 16])).toEqual({ m: 64, n: 16, k: 8, batch: 2, aCount: 2, bCount: 2 });
    // plain multi-head attention: nothing is shared
    expect(batchMatmulGemm([2, 4, 16, 8], [2, 4, 8, 16], [2, 4, 16, 16])).toEqual({ m: 16, n: 16, k: 8, batch: 8, aCount: 8, bCount: 8 });
    // a partial broadcast further out: B varies over the outer dim only where A does not
    expect(batchMatmulGemm([1, 4, 16, 8], [3, 4, 8, 16], [3, 4, 16, 16])).toEqual({ m: 16, n: 16, k: 8, batch: 12, aCount: 4, bCount: 12 });
  });

  it("MACs of batch_matmul are every batch element's M x N x K (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom("a", "b", "both")), { maxLength: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (dims, m, n, k) => {
        const a = [...dims.map(([d, who]) => (who === "b" ? 1 : d)), m, k];
        const bs = [...dims.map(([d, who]) => (who === "a" ? 1 : d)), k, n];
        const out = [...dims.map(([d]) => d), m, n];
        const g = batchMatmulGemm(a, bs, out);
        expect(g.m * g.n * g.k * g.batch).toBe(dims.reduce((p, [d]) => p * d, 1) * m * n * k);
        expect(g.aCount).toBeLessThanOrEqual(g.batch);
        expect(g.bCount).toBeLessThanOrEqual(g.batch);
      }),
    );
  });

  it("vector layers carry the README's op counts; shape ops move bytes or are free", () => {
    const b = new GraphBuilder("t");
    const x = b.input("x", [4, 64]);
    const s = b.softmax(x, -1, { id: "softmax" });
    const n = b.layerNorm(s, b.weight("g", [64]), b.weight("beta", [64]), { id: "ln" });
    const t = b.transpose(n, [1, 0], { id: "tr" });
    b.output(b.reshape(t, [256], { id: "rs" }));
    const layers = lowerToLayers(fuseGraph(b.build(), { elementwiseChains: true }));
    const [soft, ln, tr, rs] = layers as [VectorLayer, VectorLayer, (typeof layers)[number], (typeof layers)[number]];
    // softmax over 4 rows of 64: per element 2 reduce, 2 alu, 1 exp; per row a reciprocal
    expect(soft.vectorOps).toEqual({ alu: 512, transcendental: 256 + 4, reduce: 512 });
    // layer norm with scale and bias: per element 2 reduce and 3 + 2 alu; per row a reciprocal square root
    expect(ln.vectorOps).toEqual({ alu: 5 * 256, transcendental: 4, reduce: 512 });
    expect([tr.unit, tr.readElements, tr.writeElements]).toEqual(["none", 256, 256]);
    expect([rs.unit, rs.readElements, rs.writeElements]).toEqual(["none", 0, 0]);
  });

  it("a fused conv keeps its epilogue's vector work and the bytes of the tensors it reads", () => {
    const b = new GraphBuilder("c");
    const x = b.input("x", [1, 4, 8, 8]);
    const c = b.conv2d(x, b.weight("w", [4, 4, 3, 3]), { padding: [1, 1, 1, 1] });
    b.output(b.silu(b.add(c, b.weight("bias", [1, 4, 1, 1]))));
    const [layer] = lowerToLayers(fuseGraph(b.build())) as [FabricLayer];
    expect(layer.epilogue).toEqual(["add", "silu"]);
    // 256 outputs: add 1 alu, silu 3 alu + 2 transcendental
    expect(layer.vectorOps).toEqual({ alu: 4 * 256, transcendental: 2 * 256, reduce: 0 });
    expect(layer.epilogueElements).toBe(4);
  });
});
