import { describe, expect, it } from "vitest";
import { mlpExample, type SchedOp, type Schedule } from "@kpu/ir";
import { checkSchedule, scheduleProgram } from "@kpu/memory-planner";
import { compileGraph } from "@kpu/passes";

const program = compileGraph(mlpExample(), { tiling: { tile: 32 } }).output;
const base = scheduleProgram(program, { sramBytes: 24 * 1024, doubleBuffer: true, trace: true });

function mutate(f: (ops: SchedOp[]) => void): Schedule {
  const ops = base.schedule.ops.map((o) => ({ ...o })) as SchedOp[];
  f(ops);
  return { ...base.schedule, ops };
}
const firstIndex = (ops: SchedOp[], kind: SchedOp["kind"], after = 0) => ops.findIndex((o, i) => i >= after && o.kind === kind);

describe("checkSchedule catches broken schedules", () => {
  it("accepts the planner's schedule", () => {
    expect(checkSchedule(base.schedule, program, base.trace).violations).toEqual([]);
  });

  it("an EXEC reading the wrong address", () => {
    const s = mutate((ops) => {
      const i = firstIndex(ops, "EXEC", 10);
      const e = ops[i] as { aAddr: number; bAddr: number };
      e.aAddr = e.bAddr;
    });
    expect(checkSchedule(s, program).violations.join("\n")).toMatch(/does not hold x@/);
  });

  it("a LOAD into a buffer the running EXEC reads (a broken ping-pong)", () => {
    const s = mutate((ops) => {
      // The prefetch LOADs before EXEC k: move one onto EXEC k's A buffer.
      const e = firstIndex(ops, "EXEC", 10);
      const l = e - 1;
      (ops[l] as { addr: number }).addr = (ops[e] as { aAddr: number }).aAddr;
    });
    expect(checkSchedule(s, program).violations.join("\n")).toMatch(/a buffer the running op \d+ reads/);
  });

  it("an accumulator overwritten before its STORE, or stored early", () => {
    const s = mutate((ops) => {
      const e = firstIndex(ops, "EXEC", 0);
      const l = firstIndex(ops, "LOAD", e + 1);
      (ops[l] as { addr: number }).addr = (ops[e] as { accAddr: number }).accAddr;
    });
    expect(checkSchedule(s, program).ok).toBe(false);
    const early = mutate((ops) => {
      const st = firstIndex(ops, "STORE", 0);
      const [store] = ops.splice(st, 1);
      ops.splice(firstIndex(ops, "EXEC", 0) + 1, 0, store!);
    });
    expect(checkSchedule(early, program).violations.join("\n")).toMatch(/got 1 EXECs, expected 4/);
  });

  it("statistics that do not add up and a peak that does not recount", () => {
    const s = { ...base.schedule, stats: { ...base.schedule.stats, loadsEliminated: base.schedule.stats.loadsEliminated + 1, peakSramBytes: 1 } };
    const v = checkSchedule(s, program, base.trace).violations.join("\n");
    expect(v).toMatch(/loads emitted \+ eliminated/);
    expect(v).toMatch(/peak recounted/);
  });

  it("overlapping live allocations in the trace", () => {
    const trace = base.trace!.map((e) => ({ ...e }));
    const second = trace.findIndex((e, i) => i > 0 && e.kind === "alloc");
    trace[second] = { ...trace[second]!, addr: trace[0]!.addr };
    expect(checkSchedule(base.schedule, program, trace).violations.join("\n")).toMatch(/overlaps live/);
  });
});
