import { describe, expect, it } from "vitest";
import { hardwarePreset, ruleMapping, simulateMatmul } from "@kpu/kpu-model";
import { exactMappingRule, mapGemm, mapNetwork, type NetworkGemm } from "@kpu/mapper";

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
});
