import { describe, expect, it } from "vitest";
import { GraphBuilder } from "@kpu/ir";
import { analysisLayers, hardwarePreset, ruleMapping, simulateMatmul } from "@kpu/kpu-model";
import { costPoint, exactMappingRule, mapGemm, mapNetwork, type NetworkGemm } from "@kpu/mapper";

const hw = hardwarePreset("minimal");
const layers: NetworkGemm[] = [
  { id: "fc1", op: "matmul", m: 40, n: 72, k: 56, batch: 1 },
  { id: "attn", op: "batch_matmul", m: 24, n: 24, k: 16, batch: 6 },
  { id: "fc2", op: "matmul", m: 40, n: 72, k: 56, batch: 1 },
];

describe("mapNetwork", () => {
  it("maps each distinct shape once, scales batches, and sums the layers", async () => {
    const net = await mapNetwork(layers, hw, { objective: "energy", threads: 2 });
    expect(net.totals.distinctShapes).toBe(2);
    expect(net.layers.map((l) => l.sameAs)).toEqual([null, null, "fc1"]);
    for (const layer of layers) {
      const single = await mapGemm({ m: layer.m, n: layer.n, k: layer.k, batch: layer.batch }, hw, { objective: "energy", threads: 1 });
      const got = net.layers.find((l) => l.id === layer.id)!;
      expect(got.best.mapping).toEqual(single.best.mapping);
      expect([got.best.cycles, got.best.energyPj, got.best.dramBytes]).toEqual([single.best.cycles, single.best.energyPj, single.best.dramBytes]);
      expect(got.lowerBoundDramBytes).toBe(single.lowerBoundDramBytes);
    }
    const bytes = net.layers.reduce((s, l) => s + l.best.dramBytes, 0);
    expect(net.totals.dramBytes).toBe(bytes);
    // the batched layer's DRAM bytes are what kpu sim moves for one GEMM, six times
    const attn = net.layers[1]!;
    const one = simulateMatmul({ hardware: hw, m: 24, n: 24, k: 16, mapping: attn.best.mapping }).report.levels.find((l) => l.level === "dram")!.bytes;
    expect(attn.best.dramBytes).toBe(6 * one);
  });

  it("answers kpu analyze --mapper exact with the mapper's mapping, and falls back to the rule for other shapes", async () => {
    const net = await mapNetwork(layers.slice(0, 1), hw, { objective: "latency", threads: 1 });
    const rule = exactMappingRule(net, ruleMapping);
    const hit = rule(hw, { m: 40, n: 72, k: 56 });
    expect(hit.source).toBe("exact");
    expect(hit.mapping).toEqual(net.layers[0]!.best.mapping);
    const miss = rule(hw, { m: 20, n: 72, k: 56 });
    expect(miss.source).toBe("rule");
    expect(miss.why).toMatch(/not in the exact mapping/);
  });

  it("searches each shape and conv geometry once, ranks convs by their halo, and the rule tells geometries apart", async () => {
    // three convs of one implicit GEMM, 144 x 16 x 72: two alike, one dilated (a wider halo per tile)
    const b = new GraphBuilder("convs");
    const x = b.input("x", [1, 8, 12, 12]);
    const near = b.conv2d(x, b.weight("w1", [16, 8, 3, 3]), { padding: [1, 1, 1, 1], id: "near" });
    const far = b.conv2d(x, b.weight("w2", [16, 8, 3, 3]), { padding: [2, 2, 2, 2], dilation: [2, 2], id: "far" });
    const again = b.conv2d(x, b.weight("w3", [16, 8, 3, 3]), { padding: [1, 1, 1, 1], id: "again" });
    b.output(b.concat([near, far, again], 1));
    const gemms: NetworkGemm[] = analysisLayers(b.build()).flatMap((l) => (l.unit === "fabric" ? [{ id: l.id, op: l.op, ...l.gemm, conv: l.conv! }] : []));
    expect(gemms.map((g) => [g.id, g.m, g.n, g.k])).toEqual(["near", "far", "again"].map((id) => [id, 144, 16, 72]));
    const net = await mapNetwork(gemms, hw, { objective: "dram", threads: 1 });
    expect(net.totals.distinctShapes).toBe(2);
    expect(net.layers.map((l) => l.sameAs)).toEqual([null, null, "near"]);
    const dense = await mapGemm({ m: 144, n: 16, k: 72 }, hw, { objective: "dram", threads: 1 });
    const rule = exactMappingRule(net, ruleMapping);
    for (const [i, g] of gemms.entries()) {
      const single = await mapGemm(g, hw, { objective: "dram", threads: 1 });
      const got = net.layers[i]!;
      expect(got.best.mapping).toEqual(single.best.mapping);
      expect(got.best.dramBytes).toBe(single.best.dramBytes);
      expect(got.shape.conv).toEqual(g.conv);
      // the halo only removes bytes; the conv's bound (distinct input, weights, output once) stays below
      expect(got.best.dramBytes).toBeLessThan(dense.best.dramBytes);
      expect(got.lowerBoundDramBytes).toBeLessThanOrEqual(got.best.dramBytes);
      expect(rule(hw, g).mapping).toEqual(got.best.mapping);
    }
    // the dilated conv's 16 x 16 tiles read more of the input than the plain one's
    const point = { grid: { rows: 1, cols: 1 }, tile: { m: 16, n: 16, k: 16 }, order: "mnk", dataflow: "os", buffers: [1, 1, 1] } as const;
    const [plain, dilated] = [gemms[0]!, gemms[1]!].map((g) => costPoint(hw, g, point));
    expect(dilated!.haloFactor).toBeGreaterThan(plain!.haloFactor);
    expect(dilated!.dramBytes).toBeGreaterThan(plain!.dramBytes);
    expect(rule(hw, { m: 144, n: 16, k: 72 }).source).toBe("rule");
    await expect(mapGemm({ ...gemms[0]!, k: 71 }, hw)).rejects.toMatchObject({ code: "KPU_BAD_DIM", where: "conv.k" });
  });
});
