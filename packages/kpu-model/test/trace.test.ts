import { describe, expect, it } from "vitest";
import { GANTT_LANES, MAX_TRACE_TASKS, SIM_TRACE_KIND, hardwarePreset, simTrace, simulateMatmul, type TraceEvent } from "../src/index.js";

const run = simulateMatmul({ hardware: hardwarePreset("minimal"), m: 96, n: 64, k: 96, strategy: "ws", tiles: { m: 32, n: 32, k: 32 }, buffers: 1 });
const doc = JSON.parse(JSON.stringify(simTrace(run))) as { traceEvents: TraceEvent[]; displayTimeUnit: string; otherData: { kind: string; report: unknown } };
const spans = doc.traceEvents.filter((e) => e.ph === "X");

/** The Trace Event Format's rules for the events we write (JSON Object Format, complete and metadata events). */
function checkEvent(e: TraceEvent): void {
  expect(typeof e.name).toBe("string");
  expect(["X", "M"]).toContain(e.ph);
  expect(Number.isInteger(e.pid)).toBe(true);
  expect(Number.isInteger(e.tid)).toBe(true);
  expect(Number.isFinite(e.ts) && e.ts >= 0).toBe(true);
  if (e.ph === "X") expect(typeof e.dur === "number" && e.dur >= 0).toBe(true);
  if (e.ph === "M") expect(["process_name", "process_sort_index", "thread_name", "thread_sort_index"]).toContain(e.name);
}

describe("simTrace (Trace Event Format)", () => {
  it("is a JSON Object Format document whose every event follows the format", () => {
    expect(Array.isArray(doc.traceEvents)).toBe(true);
    expect(doc.displayTimeUnit).toBe("ns");
    expect(doc.otherData.kind).toBe(SIM_TRACE_KIND);
    expect(doc.otherData.report).toEqual(JSON.parse(JSON.stringify(run.report)));
    for (const e of doc.traceEvents) checkEvent(e);
  });

  it("names one process for the compute tile and one thread per engine", () => {
    const meta = doc.traceEvents.filter((e) => e.ph === "M");
    expect(meta.filter((e) => e.name === "process_name")).toHaveLength(1);
    const threads = meta.filter((e) => e.name === "thread_name").map((e) => [e.tid, e.args!.name]);
    expect(threads).toEqual(GANTT_LANES.map((name, i) => [i + 1, name]));
    expect(new Set(spans.map((e) => e.tid))).toEqual(new Set([1, 2, 3, 4]));
  });

  it("has one span per task, transfers on the movers and compute on the fabric", () => {
    const tasks = spans.filter((e) => e.cat !== "stall");
    expect(tasks).toHaveLength(run.plan.program.n);
    expect(tasks.filter((e) => e.cat === "compute").every((e) => e.tid === 4)).toBe(true);
    expect(tasks.filter((e) => e.cat === "transfer").every((e) => e.tid <= 3)).toBe(true);
    expect(tasks.some((e) => /^A\[i=\d+,k=\d+\]$/.test(e.name))).toBe(true);
  });

  it("never overlaps two slices on one thread (each engine does one thing at a time)", () => {
    for (const tid of [1, 2, 3, 4]) {
      const on = spans.filter((e) => e.tid === tid).sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < on.length; i++) expect(on[i]!.ts).toBeGreaterThanOrEqual(on[i - 1]!.ts + on[i - 1]!.dur! - 1e-9);
    }
  });

  it("adds up to the report: busy and stalled time per engine, and the run's end", () => {
    const delivered = Math.max(...spans.map((e) => Math.max(e.ts + e.dur!, Number(e.args?.deliveredUs ?? 0))));
    expect(delivered).toBeCloseTo(run.report.timeNs / 1000, 6);
    run.report.resources.forEach((r, i) => {
      const on = spans.filter((e) => e.tid === i + 1);
      const sum = (cat: (e: TraceEvent) => boolean) => on.filter(cat).reduce((s, e) => s + e.dur!, 0);
      expect(sum((e) => e.cat !== "stall")).toBeCloseTo(r.busyCycles / r.clockMhz, 6);
      expect(sum((e) => e.args?.cause === "data")).toBeCloseTo(r.stalledDataCycles / r.clockMhz, 6);
      expect(sum((e) => e.args?.cause === "credit")).toBeCloseTo(r.stalledCreditCycles / r.clockMhz, 6);
    });
    expect(spans.some((e) => e.args?.cause === "data")).toBe(true);
    expect(spans.some((e) => e.args?.cause === "credit")).toBe(true);
  });

  it("refuses a trace too large to write", () => {
    expect(MAX_TRACE_TASKS).toBeGreaterThan(run.plan.program.n);
    const big = { ...run, plan: { ...run.plan, program: Object.assign(Object.create(Object.getPrototypeOf(run.plan.program) as object) as object, run.plan.program, { n: MAX_TRACE_TASKS + 1 }) } } as typeof run;
    expect(() => simTrace(big)).toThrow(/KPU_TOO_LARGE|more than kpu writes/);
  });
});
