import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ganttAscii, ganttChart, ganttSvg, hardwarePreset, injectionCsv, injectionSchedule, simulateMatmul, truncationNote } from "../src/index.js";

const run = simulateMatmul({ hardware: hardwarePreset("minimal"), m: 96, n: 64, k: 96, strategy: "ws", tiles: { m: 32, n: 32, k: 32 }, buffers: 1 });

describe("Gantt charts", () => {
  const chart = ganttChart(run);

  it("has one lane per resource and a bar per task, labelled with its tile", () => {
    expect(chart.lanes).toHaveLength(4);
    expect(chart.bars).toHaveLength(run.plan.program.n);
    expect(chart.truncated).toBe(false);
    expect(chart.bars.some((b) => /^B\[k=\d+,j=\d+\]$/.test(b.label) && b.lane === 0)).toBe(true);
    expect(chart.bars.filter((b) => b.kind === "compute")).toHaveLength(run.plan.steps);
    expect(chart.bars.some((b) => b.stallCause === "data")).toBe(true);
    expect(chart.bars.some((b) => b.stallCause === "credit")).toBe(true);
    expect(chart.endNs).toBeCloseTo(run.report.timeNs, 6);
  });

  it("writes deterministic SVG with the tile labels and stalls", () => {
    const svg = ganttSvg(chart);
    expect(svg).toBe(ganttSvg(ganttChart(run)));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("B[k=0,j=0]");
    expect(svg).toContain("waiting for credit");
    expect(svg).toContain("waiting for data");
    expect(svg.match(/<rect/g)!.length).toBeGreaterThan(run.plan.program.n);
  });

  it("renders ASCII lanes of the requested width", () => {
    const text = ganttAscii(chart, { width: 60 });
    const lanes = text.split("\n").filter((l) => l.includes("|"));
    expect(lanes).toHaveLength(4);
    for (const l of lanes) expect(l.slice(l.indexOf("|") + 1, l.lastIndexOf("|"))).toHaveLength(60);
    expect(lanes[3]).toContain("#");
  });

  it("draws only the first tasks of a large run, and says up to when the chart is complete", () => {
    const small = ganttChart(run, { maxBars: 10 });
    expect(small.bars).toHaveLength(10);
    expect(small.truncated).toBe(true);
    // reference: the 11th task by start time, from the raw trace
    const starts = Array.from(run.trace.startTick).sort((a, b) => a - b);
    const nsPerTick = 1000 / run.hardware.derived.timebaseMhz;
    expect(small.completeUntilNs).toBeCloseTo(starts[10]! * nsPerTick, 9);
    expect(small.runNs).toBeCloseTo(run.report.timeNs, 6);
    const svg = ganttSvg(small);
    expect(svg).toContain(`first 10 of ${run.plan.program.n} tasks: complete up to ${Math.round(small.completeUntilNs).toLocaleString("en-US")} ns of ${Math.round(run.report.timeNs).toLocaleString("en-US")} ns`);
    expect(svg).toContain("not drawn");
  });

  it("says what the README says for a cut 1024^3 run on edge-ai", () => {
    const big = simulateMatmul({ hardware: hardwarePreset("edge-ai"), m: 1024, n: 1024, k: 1024, strategy: "os" });
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    expect(readme).toContain(`\`${truncationNote(ganttChart(big))}\``);
  });

  it("draws bars without strokes, so bars narrower than a stroke stay visible", () => {
    const svg = ganttSvg(chart);
    const bars = svg.match(/<rect [^>]*><title>[^<]*(?:load|compute|write-back)[^<]*<\/title>/g)!;
    expect(bars.length).toBe(run.plan.program.n);
    for (const b of bars) expect(b).not.toMatch(/stroke/);
  });
});

describe("injection schedule", () => {
  const rows = injectionSchedule(run);
  it("has one row per step in loop order, with times ordered DRAM -> L3 -> L2 -> L1 -> inject", () => {
    expect(rows).toHaveLength(run.plan.steps);
    expect(rows[0]).toMatchObject({ step: 0, i: 0, j: 0, k: 0, tile: "C[0,0] += A[0,0] * B[0,0]" });
    expect(rows[1]).toMatchObject({ i: 0, j: 1, k: 0 });
    for (const r of rows) {
      expect(r.aLeaveDram!).toBeLessThan(r.aInL3!);
      expect(r.bLeaveDram!).toBeLessThan(r.bInL3!);
      expect(r.aInL1!).toBeLessThanOrEqual(r.inject);
      expect(r.bInL1!).toBeLessThanOrEqual(r.inject);
      expect(r.inject).toBeLessThan(r.computeDone);
    }
    const injects = rows.map((r) => r.inject);
    expect(injects).toEqual([...injects].sort((a, b) => a - b));
  });

  it("writes CSV with a header", () => {
    const csv = injectionCsv(rows.slice(0, 2)).split("\n");
    expect(csv[0]).toBe("step,i,j,k,tile,aLeaveDram,aInL3,aInL2,aInL1,bLeaveDram,bInL3,bInL2,bInL1,inject,computeDone");
    expect(csv[1]).toMatch(/^0,0,0,0,"C\[0,0\] \+= A\[0,0\] \* B\[0,0\]",0,/);
  });
});
