import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GraphBuilder, KpuError, graphToJson, parseGraphJson } from "@kpu/ir";

/** Shapes from published networks and PyTorch's documented behaviour, written out by hand (not from the formula). */
describe("shape inference of the v2 ops", () => {
  it("convs: ResNet-50's stem, a strided 3x3, depthwise, pointwise and dilated", () => {
    const b = new GraphBuilder("convs");
    const x = b.input("x", [2, 3, 224, 224]);
    const stem = b.conv2d(x, b.weight("w1", [64, 3, 7, 7]), { stride: [2, 2], padding: [3, 3, 3, 3] });
    expect(stem.shape).toEqual([2, 64, 112, 112]);
    const pool = b.maxPool(stem, [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1] });
    expect(pool.shape).toEqual([2, 64, 56, 56]);
    const s2 = b.conv2d(pool, b.weight("w2", [128, 64, 3, 3]), { stride: [2, 2], padding: [1, 1, 1, 1] });
    expect(s2.shape).toEqual([2, 128, 28, 28]);
    const dw = b.conv2d(s2, b.weight("w3", [128, 1, 3, 3]), { groups: 128, padding: [1, 1, 1, 1] });
    expect(dw.shape).toEqual([2, 128, 28, 28]);
    const pw = b.conv2d(dw, b.weight("w4", [32, 128, 1, 1]));
    expect(pw.shape).toEqual([2, 32, 28, 28]);
    const dil = b.conv2d(pw, b.weight("w5", [32, 32, 3, 3]), { dilation: [2, 2] });
    expect(dil.shape).toEqual([2, 32, 24, 24]);
    const gap = b.globalAvgPool(dil);
    expect(gap.shape).toEqual([2, 32, 1, 1]);
    expect(b.flatten(gap).shape).toEqual([2, 32]);
  });

  it("pools with ceil mode drop a window that would start in the padding (PyTorch: 6 -> 4 for k2 s2 p1 and 6 -> 3 for k3 s2)", () => {
    const b = new GraphBuilder("pool");
    const x = b.input("x", [1, 1, 6, 6]);
    expect(b.maxPool(x, [2, 2], { stride: [2, 2], padding: [1, 1, 1, 1], ceilMode: true }).shape).toEqual([1, 1, 4, 4]);
    expect(b.maxPool(x, [3, 3], { stride: [2, 2], ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(b.avgPool(x, [3, 3], { stride: [2, 2] }).shape).toEqual([1, 1, 2, 2]);
    const y = b.input("y", [1, 1, 5, 5]);
    // (5 + 2 - 2) / 2 = 2.5 -> ceil 3 windows; the third starts at 4 < 5 + 1, so it stays.
    expect(b.maxPool(y, [2, 2], { stride: [2, 2], padding: [1, 1, 1, 1], ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
  });

  it("attention: batched matmuls broadcast the batch, grouped-query K and V shared over a group", () => {
    const b = new GraphBuilder("attn");
    const q = b.input("q", [2, 8, 4, 128, 64]); // batch, kv heads, queries per kv head, seq, head dim
    const kT = b.input("kT", [2, 8, 1, 64, 128]);
    const s = b.batchMatmul(q, kT);
    expect(s.shape).toEqual([2, 8, 4, 128, 128]);
    const p = b.softmax(s);
    const v = b.input("v", [2, 8, 1, 128, 64]);
    expect(b.batchMatmul(p, v).shape).toEqual([2, 8, 4, 128, 64]);
    const w = b.weight("w", [64, 32]);
    expect(b.batchMatmul(b.input("h", [3, 10, 64]), w).shape).toEqual([3, 10, 32]);
  });

  it("norms, reductions, elementwise broadcasting and the shape ops", () => {
    const b = new GraphBuilder("misc");
    const x = b.input("x", [2, 197, 768]);
    expect(b.layerNorm(x, b.weight("g", [768]), b.weight("be", [768])).shape).toEqual([2, 197, 768]);
    expect(b.rmsNorm(x, b.weight("g2", [768])).shape).toEqual([2, 197, 768]);
    expect(b.reduce("reduce_mean", x, [-1]).shape).toEqual([2, 197, 1]);
    expect(b.reduce("reduce_sum", x, [0, 2], false).shape).toEqual([197]);
    expect(b.mul(x, b.input("s", [197, 1])).shape).toEqual([2, 197, 768]);
    expect(b.add(b.input("r", [4, 1, 3]), b.input("c", [5, 1])).shape).toEqual([4, 5, 3]);
    expect(b.reshape(x, [2, 197, 12, 64]).shape).toEqual([2, 197, 12, 64]);
    expect(b.transpose(b.input("t", [2, 197, 12, 64]), [0, 2, 1, 3]).shape).toEqual([2, 12, 197, 64]);
    expect(b.concat([b.input("cls", [2, 1, 768]), b.input("p", [2, 196, 768])], 1).shape).toEqual([2, 197, 768]);
    expect(b.slice(x, [0], [1], [1]).shape).toEqual([2, 1, 768]);
    expect(b.slice(x, [-10, 0], [1000, 768], [1, 2], [3, 2]).shape).toEqual([2, 4, 384]);
    expect(b.pad(b.input("img", [1, 3, 8, 8]), [0, 0, 1, 2, 0, 0, 3, 4]).shape).toEqual([1, 3, 12, 14]);
    expect(b.gather(b.weight("emb", [50257, 768]), b.input("ids", [2, 16], "int64")).shape).toEqual([2, 16, 768]);
    expect(b.flatten(b.input("f", [2, 3, 4, 5]), 0).shape).toEqual([1, 120]);
    expect(b.clip(x, 0, 6).shape).toEqual([2, 197, 768]);
  });

  it("names the op and the tensor in shape errors", () => {
    const errorOf = (f: () => unknown): KpuError => {
      try {
        f();
      } catch (e) {
        if (e instanceof KpuError) return e;
      }
      throw new Error("expected a KpuError");
    };
    const b = new GraphBuilder("bad");
    const x = b.input("x", [1, 3, 4, 4]);
    let e = errorOf(() => b.conv2d(x, b.weight("w", [8, 3, 5, 5]), { id: "c1" }));
    expect([e.code, e.where]).toEqual(["KPU_IR_BAD_ATTR", 'op "c1" (conv2d)']);
    expect(e.message).toMatch(/"x" \[1x3x4x4\] gives an output of 0x0/);
    e = errorOf(() => b.conv2d(x, b.weight("w2", [8, 3, 3, 3]), { groups: 2, id: "c2" }));
    expect(e.code).toBe("KPU_IR_BAD_ATTR");
    e = errorOf(() => b.conv2d(x, b.weight("w3", [8, 2, 3, 3]), { id: "c3" }));
    expect(e.message).toMatch(/"w3".*2 input channels per group but "x" has 3/);
    e = errorOf(() => b.batchMatmul(b.input("a", [2, 4, 8]), b.input("bb", [3, 8, 5])));
    expect(e.message).toMatch(/batch dimensions/);
    e = errorOf(() => b.reshape(x, [5, 10]));
    expect(e.message).toMatch(/48 elements/);
    e = errorOf(() => b.transpose(x, [0, 1, 1, 3]));
    expect(e.code).toBe("KPU_IR_BAD_ATTR");
    e = errorOf(() => b.gather(b.weight("emb", [10, 4]), b.input("ids", [3])));
    expect(e.message).toMatch(/indices "ids" are fp32/);
    e = errorOf(() => b.softmax(x, 4));
    expect(e.message).toMatch(/axis 4 is outside \[-4, 3\]/);
    e = errorOf(() => b.layerNorm(x, b.weight("g", [3])));
    expect(e.message).toMatch(/"g" has shape \[3\] but the normalized dimensions of "x" are \[4\]/);
  });

  it("conv output size matches a brute-force count of window positions (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (h, k, s, p0, p1, d) => {
          // Count the window origins o = i*s in padded coordinates whose last tap o + d*(k-1) stays inside.
          let count = 0;
          for (let o = 0; o + d * (k - 1) <= h + p0 + p1 - 1; o += s) count++;
          const b = new GraphBuilder("p");
          const x = b.input("x", [1, 1, h, 1]);
          const w = b.weight("w", [1, 1, k, 1]);
          const conv = (): number[] => [...b.conv2d(x, w, { stride: [s, 1], padding: [p0, 0, p1, 0], dilation: [d, 1] }).shape];
          if (count === 0) expect(conv).toThrow(KpuError);
          else expect(conv()[2]).toBe(count);
        },
      ),
    );
  });

  it("round-trips every v2 op through kpu.graph JSON", () => {
    const b = new GraphBuilder("missing");
    const x = b.input("x", [1, 4, 8, 8]);
    expect(() => b.conv2d(x, b.weight("w", [4, 1, 3, 3]), { groups: 4, epilogue: [{ kind: "bias_add", tensor: "cb" }] })).toThrow(/"cb" is not declared/);
    const g = new GraphBuilder("all2");
    const x2 = g.input("x", [1, 4, 8, 8]);
    const bias = g.weight("cb", [4]);
    const y = g.conv2d(x2, g.weight("w", [4, 1, 3, 3]), { groups: 4, padding: [1, 1, 1, 1], epilogue: [{ kind: "bias_add", tensor: bias.name }, { kind: "clip", min: 0, max: 6 }] });
    const p = g.avgPool(y, [2, 2], { stride: [2, 2], countIncludePad: true });
    const f = g.flatten(p);
    const n = g.layerNorm(f, undefined, undefined, { epsilon: 1e-6 });
    g.output(g.fusedElementwise(n, [{ kind: "mul", tensor: g.input("m", [1, 64]).name }, { kind: "silu" }]));
    const graph = g.build();
    const json = graphToJson(graph);
    expect(graphToJson(parseGraphJson(JSON.stringify(json)))).toEqual(json);
    expect(json.tensors.filter((t) => t.weight === true).map((t) => t.name)).toEqual(["cb", "w"]);
  });
});
