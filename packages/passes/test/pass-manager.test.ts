import { describe, expect, it } from "vitest";
import { mlpExample, bertLayerExample } from "@kpu/ir";
import { compileGraph, fitTileToBudget, frontendPipeline } from "@kpu/passes";

describe("pass manager", () => {
  it("runs fusion, tiling and lowering in order with timings and the seed's statistics", () => {
    const { output, records } = compileGraph(mlpExample(), { tiling: { tile: 32 } }, { dumpAfter: ["fusion"] });
    expect(records.map((r) => r.name)).toEqual(["fusion", "tiling", "lowering"]);
    for (const r of records) expect(r.millis).toBeGreaterThanOrEqual(0);
    expect(records[0]!.stats).toMatchObject({ opsBefore: 5, opsAfter: 3 });
    expect(records[2]!.stats).toMatchObject({ uops: 148, LOAD: 88, EXEC: 44, STORE: 16 });
    expect(output.uops).toHaveLength(148);
    expect(records[0]!.dump).toMatchObject({ kind: "kpu.graph", ops: [{ id: "mm1" }, { id: "mm2" }, { id: "mm3" }] });
    expect(records[1]!.dump).toBeUndefined();
  });

  it("can skip fusion", () => {
    expect(frontendPipeline({ fusion: false, tiling: { tile: 32 } }).names).toEqual(["tiling", "lowering"]);
  });

  it("BERT-base layer at seq 384 with 32x32 tiles: 4 fused matmuls and 82,944 EXECs", () => {
    const { records } = compileGraph(bertLayerExample(384), { tiling: { tile: 32 } });
    // 12 row tiles x (72x24 + 24x24 + 96x24 + 24x96) column/reduction tiles.
    expect(records[2]!.stats).toMatchObject({ EXEC: 12 * (72 * 24 + 24 * 24 + 96 * 24 + 24 * 96), STORE: 12 * (72 + 24 + 96 + 24) });
  });
});

describe("budget tiling rule", () => {
  it("keeps A, B and C tiles within the budget and beats a square tile of the same budget on intensity", () => {
    const budget = 48 * 1024;
    const t = fitTileToBudget(1024, 1024, 1024, 4, budget, 16);
    expect((t.m * t.k + t.k * t.n + t.m * t.n) * 4).toBeLessThanOrEqual(budget);
    const intensity = (m: number, n: number, k: number) => (m * n * k) / (m * k + k * n);
    // The largest square tile in 48 KiB of fp32 is 64x64x64 (3 x 16 KiB).
    expect(intensity(t.m, t.n, t.k)).toBeGreaterThanOrEqual(intensity(64, 64, 64));
  });

  it("refuses a budget that holds no tile", () => {
    expect(() => fitTileToBudget(8, 8, 8, 4, 8)).toThrow(expect.objectContaining({ code: "KPU_BAD_TILES" }));
  });
});
