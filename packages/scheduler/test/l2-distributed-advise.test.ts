import { describe, expect, it } from "vitest";
import {
  FOCUSED_WORKLOADS,
  adviseL3,
  analyzeDistributed,
  analyzeL3,
  pickStrategies,
  splitExtent,
} from "@kpu/scheduler";

describe("distributed L3", () => {
  it("splits C into near-equal blocks and adds up per-tile traffic; multicast never costs more", () => {
    expect(splitExtent(10, 3)).toEqual([4, 3, 3]);
    const p = { m: 2048, n: 2048, k: 1024 };
    const [d] = analyzeDistributed(p, { gridRows: 2, gridCols: 2, sliceBytes: [1024 * 1024], strategy: "ws" });
    expect(d!.tiles).toHaveLength(4);
    const one = analyzeL3({ m: 1024, n: 1024, k: 1024 }, { l3Bytes: [1024 * 1024], strategies: ["ws"] })[0]!;
    expect(d!.dramReadBytes).toBe(4 * one.dramReadBytes);
    expect(d!.multicastReadBytes).toBeLessThanOrEqual(d!.dramReadBytes);
    // with multicast each A stripe is fetched once per grid row: the A traffic halves on a 2-wide row
    expect(d!.multicastReadBytes).toBe(2 * one.tensors.a.readBytes + 2 * one.tensors.b.readBytes + 4 * one.tensors.c.readBytes);
    expect(() => analyzeDistributed(p, { gridRows: 0, gridCols: 2, sliceBytes: [1024 * 1024], strategy: "ws" })).toThrow(/grid rows/);
  });
});

describe("auto and advice", () => {
  it("auto picks WS for the seed's 32768x7168x7168 at 16 MiB and says why", () => {
    const [pick] = pickStrategies({ m: 32768, n: 7168, k: 7168 }, { l3Bytes: [16 * 1024 * 1024], model: "kpu-sim" });
    expect(pick!.best.strategy).toBe("ws");
    expect(pick!.reason).toMatch(/^WS moves the least DRAM traffic/);
    expect(pick!.candidates).toHaveLength(3);
  });

  it("advise: the smallest L3 keeping every workload within the target", () => {
    const ws = FOCUSED_WORKLOADS.slice(0, 3);
    const a = adviseL3(ws, { within: 1.25, candidatesBytes: [1, 2, 4, 16, 64].map((x) => x * 1024 * 1024) });
    expect(a.l3Bytes).toBeDefined();
    for (const p of a.perWorkload) {
      expect(p.ratio!).toBeLessThanOrEqual(1.25);
      expect(p.l3Bytes!).toBeLessThanOrEqual(a.l3Bytes!);
    }
    expect(a.l3Bytes).toBe(Math.max(...a.perWorkload.map((p) => p.l3Bytes!)));
    const none = adviseL3(ws, { within: 1.0, candidatesBytes: [1024 * 1024] });
    expect(none.perWorkload.some((p) => p.l3Bytes === undefined)).toBe(true);
    expect(() => adviseL3(ws, { within: 0.9 })).toThrow(expect.objectContaining({ code: "KPU_BAD_FLAG" }));
  });
});

describe("bad input", () => {
  it("names the field", () => {
    const l3 = [16 * 1024 * 1024];
    expect(() => analyzeL3({ m: 0, n: 1, k: 1 }, { l3Bytes: l3 })).toThrow(expect.objectContaining({ code: "KPU_BAD_DIM", where: "--m" }));
    expect(() => analyzeL3({ m: 1.5, n: 1, k: 1 }, { l3Bytes: l3 })).toThrow(expect.objectContaining({ where: "--m" }));
    expect(() => analyzeL3({ m: 2 ** 20, n: 1, k: 2 ** 12 }, { l3Bytes: l3 })).toThrow(/above 2\^31/);
    expect(() => analyzeL3({ m: 64, n: 64, k: 64 }, { l3Bytes: [100] })).toThrow(expect.objectContaining({ code: "KPU_BAD_SIZE", where: "--l3" }));
    expect(() => analyzeL3({ m: 64, n: 64, k: 64 }, { l3Bytes: [] })).toThrow(/no L3 size/);
  });
});
