import { describe, expect, it } from "vitest";
import type { SchedOp, Schedule } from "@kpu/ir";
import { hardwarePreset, injectionSchedule, simulateSchedule } from "../src/index.js";
import { RESOURCES } from "../src/index.js";

const FABRIC = RESOURCES.indexOf("fabric");

/** A memory-planner-style schedule for C[M,N] = A x B in m,n,k order with ping-pong A and B buffers (fp32). */
function pingPongSchedule(M: number, N: number, K: number, T: number): Schedule {
  const eb = 4;
  const tile = T * T * eb;
  const ops: SchedOp[] = [];
  const acc = 4 * tile;
  let step = 0;
  for (let i = 0; i * T < M; i++) {
    for (let j = 0; j * T < N; j++) {
      for (let k = 0; k * T < K; k++) {
        const tm = Math.min(T, M - i * T);
        const tn = Math.min(T, N - j * T);
        const tk = Math.min(T, K - k * T);
        const buf = step % 2;
        ops.push({ kind: "LOAD", op: "mm", operand: "A", tensor: "a", row: i, col: k, rows: tm, cols: tk, addr: buf * tile, bytes: tm * tk * eb, buffer: buf });
        ops.push({ kind: "LOAD", op: "mm", operand: "B", tensor: "b", row: k, col: j, rows: tk, cols: tn, addr: (2 + buf) * tile, bytes: tk * tn * eb, buffer: buf });
        ops.push({ kind: "EXEC", op: "mm", m: i, n: j, k, tm, tn, tk, aAddr: buf * tile, bAddr: (2 + buf) * tile, accAddr: acc, buffer: buf });
        step++;
      }
      const tm = Math.min(T, M - i * T);
      const tn = Math.min(T, N - j * T);
      ops.push({ kind: "STORE", op: "mm", tensor: "c", row: i, col: j, rows: tm, cols: tn, addr: acc, bytes: tm * tn * eb, epilogue: [], buffer: null });
    }
  }
  const loads = ops.filter((o) => o.kind === "LOAD").length;
  const stores = ops.filter((o) => o.kind === "STORE").length;
  return {
    sramBytes: 5 * tile,
    alignmentBytes: 64,
    policy: "lru",
    loopOrder: "mnk",
    doubleBuffer: true,
    ops,
    stats: { schedOps: ops.length, loadsEmitted: loads, loadsEliminated: 0, stores, peakSramBytes: 5 * tile, finalLiveBytes: 0 },
  };
}

describe("simulating a memory-planner schedule", () => {
  const hw = hardwarePreset("edge-ai");
  const schedule = pingPongSchedule(200, 96, 160, 32);

  it("moves exactly the schedule's LOAD and STORE bytes and computes every EXEC once", () => {
    const run = simulateSchedule({ hardware: hw, schedule });
    const r = run.report;
    const loadBytes = schedule.ops.reduce((s, o) => s + (o.kind === "LOAD" ? o.bytes : 0), 0);
    const storeBytes = schedule.ops.reduce((s, o) => s + (o.kind === "STORE" ? o.bytes : 0), 0);
    expect(r.source).toBe("schedule");
    expect([r.m, r.n, r.k]).toEqual([200, 96, 160]);
    expect(r.levels[0]).toMatchObject({ level: "dram", readBytes: loadBytes, writeBytes: storeBytes });
    const p = run.plan.program;
    let computes = 0;
    for (let t = 0; t < p.n; t++) if (p.res[t] === FABRIC) computes++;
    expect(computes).toBe(schedule.ops.filter((o) => o.kind === "EXEC").length);
    expect(r.totalCycles).toBeGreaterThanOrEqual(Math.max(r.fabricCycles, r.dataMovementBoundCycles));
    for (const row of injectionSchedule(run)) expect(row.aInL1!).toBeLessThanOrEqual(row.inject);
  });

  it("with unlimited bandwidth and zero latency takes the fabric's own cycles", () => {
    const r = simulateSchedule({ hardware: hw, schedule, unlimitedBandwidth: true, zeroLatency: true }).report;
    expect(r.totalCycles).toBe(r.fabricCycles);
  });

  it("a LOAD never overwrites a buffer before the streamer has read it", () => {
    const run = simulateSchedule({ hardware: hw, schedule, buffers: 1 });
    const tr = run.trace;
    // The step s+2 load of A goes to the buffer step s read: its block-mover move starts after that read finished.
    for (let s = 0; s + 2 < run.plan.steps; s++) {
      const readA = run.plan.stepArrivals[s * 6 + 2]!;
      const moveA2 = run.plan.stepArrivals[(s + 2) * 6 + 1]!;
      expect(tr.startTick[moveA2]).toBeGreaterThanOrEqual(tr.doneTick[readA]!);
    }
  });

  it("refuses a schedule whose SRAM does not fit L2", () => {
    expect(() => simulateSchedule({ hardware: hardwarePreset("minimal"), schedule: { ...schedule, sramBytes: 1 << 20 } })).toThrow(/does not fit/);
  });
});
