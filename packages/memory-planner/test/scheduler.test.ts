import { describe, expect, it } from "vitest";
import { formatSchedOp, isKpuError, mlpExample, type LoopOrder } from "@kpu/ir";
import { blockForSram, checkSchedule, matmulTrafficLowerBound, minimumWorkingSet, scheduleProgram, type PolicyName } from "@kpu/memory-planner";
import { compileGraph, lowerProgram } from "@kpu/passes";

const KiB = 1024;
const mlp = (order: LoopOrder = "mnk") => compileGraph(mlpExample(), { tiling: { tile: 32 }, loopOrder: order }).output;

function kpuErrorOf(fn: () => unknown): { code: string; message: string; where?: string; hint?: string } {
  try {
    fn();
  } catch (e) {
    if (isKpuError(e)) return e as unknown as { code: string; message: string };
    throw e;
  }
  throw new Error("expected a KpuError");
}

describe("scheduleProgram on the seed MLP", () => {
  it("gives the seed's statistics at 256 KiB (acceptance)", () => {
    const r = scheduleProgram(mlp(), { sramBytes: 256 * KiB, policy: "lru", trace: true });
    expect(r.schedule.stats).toEqual({ schedOps: 99, loadsEmitted: 39, loadsEliminated: 49, stores: 16, peakSramBytes: 53248, finalLiveBytes: 0 });
    expect(checkSchedule(r.schedule, mlp(), r.trace)).toMatchObject({ ok: true, recountedPeakBytes: 53248 });
  });

  it("starts like the seed's sample: LOAD x, LOAD w1, EXEC, then the next k", () => {
    const r = scheduleProgram(mlp(), { sramBytes: 256 * KiB });
    const first = r.schedule.ops.slice(0, 6).map(formatSchedOp);
    expect(first).toEqual([
      "LOAD x(0, 0) -> @0x0000 (4096B)",
      "LOAD w1(0, 0) -> @0x1000 (4096B)",
      "EXEC mm1 (0,0,0) A=@0x0000 B=@0x1000 ACC=@0x3f000",
      "LOAD x(0, 1) -> @0x2000 (4096B)",
      "LOAD w1(1, 0) -> @0x3000 (4096B)",
      "EXEC mm1 (0,0,1) A=@0x2000 B=@0x3000 ACC=@0x3f000",
    ]);
  });

  const sizes = [52, 48, 40, 32, 24, 16];
  const loads = (policy: PolicyName, kib: number) => scheduleProgram(mlp(), { sramBytes: kib * KiB, policy }).schedule.stats.loadsEmitted;

  it("at 52, 48, 40, 32, 24 and 16 KiB: MIN never loads more than LRU (or FIFO)", () => {
    for (const kib of sizes) {
      expect(loads("min", kib)).toBeLessThanOrEqual(loads("lru", kib));
      expect(loads("min", kib)).toBeLessThanOrEqual(loads("fifo", kib));
    }
  });

  it("under LRU and MIN, loads never decrease as SRAM shrinks", () => {
    for (const policy of ["lru", "min"] as const) {
      const series = sizes.map((kib) => loads(policy, kib));
      for (let i = 1; i < series.length; i++) expect(series[i]).toBeGreaterThanOrEqual(series[i - 1]!);
    }
  });

  it("the measured table (documented in the README)", () => {
    const table = Object.fromEntries(sizes.map((kib) => [kib, (["lru", "fifo", "min"] as const).map((p) => loads(p, kib))]));
    expect(table).toEqual({ 52: [39, 39, 39], 48: [43, 41, 41], 40: [51, 47, 45], 32: [67, 67, 53], 24: [75, 75, 61], 16: [78, 78, 71] });
  });

  it("below the minimum working set (3 tiles; 5 with double buffering): a clear error naming the size and the minimum", () => {
    expect(minimumWorkingSet(mlp())).toMatchObject({ bytes: 12 * KiB, accBytes: 4 * KiB, operandBytes: 8 * KiB });
    expect(minimumWorkingSet(mlp(), { doubleBuffer: true }).bytes).toBe(20 * KiB);
    const e = kpuErrorOf(() => scheduleProgram(mlp(), { sramBytes: 8 * KiB }));
    expect(e.code).toBe("KPU_MEM_SRAM_TOO_SMALL");
    expect(e.message).toContain("8KiB");
    expect(e.message).toContain("12KiB");
    expect(e.where).toBe("--sram");
    expect(e.hint).toContain("12KiB");
    expect(() => scheduleProgram(mlp(), { sramBytes: 12 * KiB })).not.toThrow();
    const db = kpuErrorOf(() => scheduleProgram(mlp(), { sramBytes: 16 * KiB, doubleBuffer: true }));
    expect(db.message).toContain("20KiB");
    expect(db.hint).toContain("--double-buffer");
    expect(() => scheduleProgram(mlp(), { sramBytes: 20 * KiB, doubleBuffer: true })).not.toThrow();
  });

  it("refuses a zero, negative or fractional size and an unknown policy, naming the accepted forms", () => {
    for (const bad of [0, -1, 1.5]) expect(kpuErrorOf(() => scheduleProgram(mlp(), { sramBytes: bad })).code).toBe("KPU_BAD_SIZE");
    const e = kpuErrorOf(() => scheduleProgram(mlp(), { sramBytes: 256 * KiB, policy: "random" as PolicyName }));
    expect(e.code).toBe("KPU_BAD_POLICY");
    expect(e.message).toContain('"random"');
    expect(e.hint).toBe("Use one of: lru, fifo, min.");
  });

  it("the minimum working set grows with the accumulators an order keeps live", () => {
    expect(minimumWorkingSet(mlp("kmn")).accBytes).toBe(8 * 4 * KiB); // mm1 has 4x2 output tiles, all live at once
    expect(minimumWorkingSet(mlp("mkn")).accBytes).toBe(2 * 4 * KiB); // one row of mm1's output tiles
  });

  it("double buffering: loads for step k+1 come before EXEC k, in buffers EXEC k does not read", () => {
    const r = scheduleProgram(mlp(), { sramBytes: 24 * KiB, doubleBuffer: true, trace: true });
    const ops = r.schedule.ops;
    expect(ops.slice(0, 5).map((o) => o.kind)).toEqual(["LOAD", "LOAD", "LOAD", "LOAD", "EXEC"]);
    expect(ops[2]).toMatchObject({ kind: "LOAD", buffer: 1 });
    expect(ops[4]).toMatchObject({ kind: "EXEC", buffer: 0 });
    expect(r.prefetch.overlapped).toBeGreaterThan(0);
    expect(checkSchedule(r.schedule, mlp(), r.trace).violations).toEqual([]);
  });

  it("the blocked order keeps a block of accumulators resident and moves fewer tiles than mnk at small SRAM", () => {
    const tiled = mlp().tiled;
    const blocked = lowerProgram(tiled, "blocked", { block: { m: 2, n: 2 } });
    const rb = scheduleProgram(blocked, { sramBytes: 32 * KiB, policy: "lru", trace: true });
    const rm = scheduleProgram(mlp(), { sramBytes: 32 * KiB, policy: "lru" });
    expect(rb.layout.accRegionBytes).toBe(4 * 4 * KiB);
    expect(rb.schedule.stats.loadsEmitted).toBeLessThan(rm.schedule.stats.loadsEmitted);
    expect(rb.schedule.loopOrder).toBe("blocked:2x2");
    expect(checkSchedule(rb.schedule, blocked, rb.trace).violations).toEqual([]);
  });

  it("forwarding keeps the hidden activations on chip: no STORE + LOAD for a1 and a2", () => {
    const r = scheduleProgram(mlp(), { sramBytes: 256 * KiB, forward: true, trace: true });
    expect(r.forwardedTiles).toBe(12); // a1 is 4x2 tiles, a2 4x1
    expect(r.schedule.stats.stores).toBe(4); // only y
    expect(r.schedule.stats.loadsEmitted).toBe(39 - 12);
    expect(r.schedule.ops.some((o) => o.kind === "STORE" && o.forward === true)).toBe(true);
    expect(checkSchedule(r.schedule, mlp(), r.trace).violations).toEqual([]);
    // At 16 KiB forwarding does not fit beside the operands: nothing is forwarded.
    expect(scheduleProgram(mlp(), { sramBytes: 16 * KiB, forward: true }).forwardedTiles).toBe(0);
  });

  it("is deterministic: the same input gives a byte-identical schedule", () => {
    for (const policy of ["lru", "fifo", "min"] as const) {
      const a = JSON.stringify(scheduleProgram(mlp(), { sramBytes: 24 * KiB, policy, doubleBuffer: true }).schedule);
      const b = JSON.stringify(scheduleProgram(mlp(), { sramBytes: 24 * KiB, policy, doubleBuffer: true }).schedule);
      expect(a).toBe(b);
    }
  });
});

describe("data-movement lower bound", () => {
  it("worked example (README): mm1 of the MLP at 256 KiB, in words and in tiles", () => {
    // M=128, N=64, K=128, S = 65536 words: 2MNK/sqrt(S) - 2S < 0, so the bound is MK + KN + MN = 32768 words.
    expect(matmulTrafficLowerBound(128, 64, 128, 65536)).toBe(16384 + 8192 + 8192);
    // In 32x32 tiles: Mt=4, Nt=2, Kt=4, S = 64 tiles: 16 + 8 + 8 = 32 tiles; the schedule moves exactly 32.
    expect(matmulTrafficLowerBound(4, 2, 4, 64)).toBe(32);
    const r = scheduleProgram(mlp(), { sramBytes: 256 * KiB });
    expect(r.traffic[0]).toMatchObject({ op: "mm1", loadsEmitted: 24, stores: 8, actualTiles: 32, lowerBoundTiles: 32, ratioTiles: 1, actualWords: 32768, ratioWords: 1 });
  });

  it("at small SRAM the first term dominates and actual traffic stays above it", () => {
    // 2*4*2*4/sqrt(4) - 2*4 = 24 > 16 + 8, so 24 + 8 = 32 tiles; at 16 KiB the schedule moves more.
    expect(matmulTrafficLowerBound(4, 2, 4, 4)).toBe(32);
    for (const kib of [16, 24, 32, 48]) {
      const r = scheduleProgram(mlp(), { sramBytes: kib * KiB, policy: "min" });
      for (const t of r.traffic) expect(t.ratioTiles).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("blockForSram", () => {
  it("picks the largest square block whose accumulators, B row and step operands fit", () => {
    expect(blockForSram(256 * KiB, 4096)).toEqual({ m: 7, n: 7 }); // 49 + 7 + 2 = 58 <= 64 tiles; 8: 64 + 8 + 2 > 64
    expect(blockForSram(256 * KiB, 4096, { doubleBuffer: true })).toEqual({ m: 7, n: 7 }); // 49 + 7 + 4 = 60
    expect(blockForSram(16 * KiB, 4096)).toEqual({ m: 1, n: 1 });
    expect(blockForSram(64 * 1024 * KiB, 4096)).toEqual({ m: 16, n: 16 });
    const tiled = mlp().tiled;
    const program = lowerProgram(tiled, "blocked", { block: blockForSram(32 * KiB, 4096) });
    expect(minimumWorkingSet(program).bytes).toBeLessThanOrEqual(32 * KiB);
  });
});
