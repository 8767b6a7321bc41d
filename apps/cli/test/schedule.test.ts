import { describe, expect, it } from "vitest";
import { kpu, kpuProcess } from "./helpers.js";

describe("kpu compile --emit schedule and kpu run", () => {
  it("gives the seed's statistics for the MLP at 256 KiB (acceptance)", async () => {
    const r = await kpu("compile", "--example", "mlp", "--tile", "32", "--sram", "256KiB", "--policy", "lru", "--emit", "schedule", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { stats: object; ir: { kind: string; ops: unknown[] } };
    expect(doc.stats).toEqual({ schedOps: 99, loadsEmitted: 39, loadsEliminated: 49, stores: 16, peakSramBytes: 53248, finalLiveBytes: 0 });
    expect(doc.ir.kind).toBe("kpu.schedule");
    expect(doc.ir.ops).toHaveLength(99);
  });

  it("kpu run with the same flags verifies the numerics", async () => {
    const r = await kpu("run", "--example", "mlp", "--tile", "32", "--sram", "256KiB", "--policy", "lru", "--emit", "schedule", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; stats: { schedOps: number }; invariants: { ok: boolean }; verify: { ok: boolean; maxAbsError: number } };
    expect(doc.stats.schedOps).toBe(99);
    expect(doc.verify.ok).toBe(true);
    expect(doc.invariants.ok).toBe(true);
    expect(doc.ok).toBe(true);
    expect(doc.verify.maxAbsError).toBeLessThan(1e-3);
    const human = await kpu("run", "--example", "mlp", "--sram", "16KiB", "--policy", "min", "--double-buffer");
    expect(human.code).toBe(2); // 16 KiB < 20 KiB double-buffered working set
    const ok = await kpu("run", "--example", "mlp", "--sram", "20KiB", "--policy", "min", "--double-buffer");
    expect(ok.stdout).toMatch(/verified: the schedule computes the graph/);
  });

  it("kpu run exits 1 when verification fails (the README's claim; fault injected with KPU_FAULT_RUN)", () => {
    const args = ["run", "--example", "mlp", "--tile", "32", "--sram", "256KiB"];
    process.env.KPU_FAULT_RUN = "exec-a-addr";
    let bad;
    try {
      bad = kpuProcess(...args);
    } finally {
      delete process.env.KPU_FAULT_RUN;
    }
    expect(bad.stdout).toMatch(/VERIFICATION FAILED: max error/);
    expect(bad.stdout).toMatch(/invariants: ok/); // the planner's schedule is fine: only the executed one is wrong
    expect(bad.code).toBe(1);
    const good = kpuProcess(...args);
    expect(good.stdout).toMatch(/verified: the schedule computes the graph/);
    expect(good.code).toBe(0);
  }, 60_000);

  it("prints a statistics table and the first ops, as in the seed", async () => {
    const r = await kpu("compile", "--example", "mlp", "--tile", "32", "--sram", "256KiB", "--emit", "schedule");
    expect(r.stdout).toMatch(/loads eliminated\s*│ 49 of 88 \(55\.7% reuse\)/);
    expect(r.stdout).toContain("LOAD x(0, 0) -> @0x0000 (4096B)");
  });

  const bad: [string[], RegExp][] = [
    [["--sram", "8KiB"], /KPU_MEM_SRAM_TOO_SMALL at --sram: SRAM 8KiB .* minimum working set of 12KiB/],
    [["--sram", "256KB"], /KPU_BAD_SIZE at --sram: "256KB" is ambiguous/],
    [["--sram", "0"], /KPU_BAD_SIZE at --sram/],
    [["--sram", "-1"], /KPU_BAD_SIZE at --sram/],
    [["--policy", "random"], /KPU_BAD_FLAG at --policy: "random".*\n.*lru, fifo, min/],
    [["--order", "zigzag"], /KPU_BAD_FLAG at --order: "zigzag".*\n.*blocked/],
    [["--order", "blocked", "--block", "0x2"], /KPU_BAD_FLAG at --block/],
  ];
  it.each(bad)("bad input %j exits 2 with a hint", async (args, pattern) => {
    const r = await kpu("compile", "--example", "mlp", "--emit", "schedule", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/hint: /);
  });
});
