import { describe, expect, it } from "vitest";
import { KpuError, STRATEGIES } from "@kpu/ir";
import { buildMapping, hardwarePreset, simulateMatmul } from "@kpu/kpu-model";
import { OBJECTIVES, mapGemm, type Objective } from "@kpu/mapper";

/** Held-out shapes (none is a power of two in every dimension) on the presets. */
const HELD_OUT = [
  { hw: "minimal", m: 100, n: 72, k: 90 },
  { hw: "minimal", m: 33, n: 200, k: 48 },
  { hw: "edge-ai", m: 96, n: 160, k: 120 },
] as const;

const simDram = (hwName: string, m: number, n: number, k: number, mapping: Parameters<typeof simulateMatmul>[0]["mapping"]) =>
  simulateMatmul({ hardware: hardwarePreset(hwName), m, n, k, ...(mapping === undefined ? {} : { mapping }) }).report.levels.find((l) => l.level === "dram")!.bytes;

describe("mapGemm", () => {
  for (const { hw, m, n, k } of HELD_OUT) {
    it(`${m}x${n}x${k} on ${hw}: deterministic, consistent with kpu sim, within the bounds`, async () => {
      const hardware = hardwarePreset(hw);
      const builtIn = Math.min(...STRATEGIES.map((strategy) => simDram(hw, m, n, k, buildMapping(hardware, { m, n, k }, { strategy }))));
      for (const objective of OBJECTIVES) {
        const a = await mapGemm({ m, n, k }, hardware, { objective, threads: 1 });
        const b = await mapGemm({ m, n, k }, hardware, { objective, threads: 1 });
        expect(b.best).toEqual(a.best);
        expect(b.runnerUp).toEqual(a.runnerUp);
        // the mapping the mapper returns moves exactly the DRAM bytes it reported
        expect(simDram(hw, m, n, k, a.best.mapping)).toBe(a.best.dramBytes);
        expect(a.best.dramBytes).toBeGreaterThanOrEqual(a.lowerBoundDramBytes);
        expect(a.best.cycles).toBeGreaterThanOrEqual(a.computeBoundCycles);
        if (objective === "dram") expect(a.best.dramBytes).toBeLessThanOrEqual(builtIn);
      }
    }, 60_000);
  }

  it("gives the same answer on 2 worker threads as on 1", async () => {
    const hardware = hardwarePreset("edge-ai");
    for (const objective of ["dram"] as Objective[]) {
      const one = await mapGemm({ m: 96, n: 160, k: 120 }, hardware, { objective, threads: 1 });
      const two = await mapGemm({ m: 96, n: 160, k: 120 }, hardware, { objective, threads: 2 });
      expect(two.best).toEqual(one.best);
      expect(two.runnerUp).toEqual(one.runnerUp);
      expect(two.threads).toBe(2);
    }
  }, 60_000);

  it("scales a batch: the same mapping, costs times the batch", async () => {
    const hardware = hardwarePreset("minimal");
    const one = await mapGemm({ m: 64, n: 48, k: 40 }, hardware, { objective: "energy", threads: 1 });
    const four = await mapGemm({ m: 64, n: 48, k: 40, batch: 4 }, hardware, { objective: "energy", threads: 1 });
    expect(four.best.mapping).toEqual(one.best.mapping);
    expect(four.best.energyPj).toBeCloseTo(4 * one.best.energyPj, 6);
    expect(four.best.dramBytes).toBe(4 * one.best.dramBytes);
    expect(four.lowerBoundDramBytes).toBe(4 * one.lowerBoundDramBytes);
  });

  it("refuses bad input with typed errors naming the field", async () => {
    const hardware = hardwarePreset("minimal");
    await expect(mapGemm({ m: 0, n: 8, k: 8 }, hardware)).rejects.toMatchObject({ code: "KPU_BAD_DIM", where: "--m" });
    await expect(mapGemm({ m: 8, n: 8, k: 8, batch: 1.5 }, hardware)).rejects.toMatchObject({ code: "KPU_BAD_DIM", where: "--batch" });
    await expect(mapGemm({ m: 8, n: 8, k: 8 }, hardware, { objective: "speed" as Objective })).rejects.toBeInstanceOf(KpuError);
    await expect(mapGemm({ m: 8, n: 8, k: 8 }, hardware, { threads: 0 })).rejects.toMatchObject({ code: "KPU_BAD_FLAG", where: "--threads" });
  });
});
