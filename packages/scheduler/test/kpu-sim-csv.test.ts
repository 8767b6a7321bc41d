import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  COMPREHENSIVE_WORKLOADS,
  FOCUSED_WORKLOADS,
  KPU_SIM_COLUMNS,
  analyzeL3,
  kpuSimRecord,
  parseStrategy,
  type Workload,
} from "@kpu/scheduler";

const MiB = 1024 * 1024;

function readCsv(name: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(join(import.meta.dirname, "fixtures", name), "utf8").trim().split("\n");
  return { header: lines[0]!.split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

/** Equal to 5 significant digits (numbers) or exactly (text). */
function sameCell(mine: string, ref: string): boolean {
  const a = Number(mine);
  const b = Number(ref);
  if (Number.isNaN(b)) return mine === ref;
  if (a === b) return true;
  return Math.abs(a - b) <= 5e-5 * Math.max(Math.abs(a), Math.abs(b));
}

function checkFile(name: string, workloads: readonly Workload[]): { cells: number; identical: number } {
  const { header, rows } = readCsv(name);
  expect(header).toEqual(KPU_SIM_COLUMNS.slice(0, header.length));
  const byName = new Map(workloads.map((w) => [w.name, w]));
  // group rows by (workload, strategy) so one pass answers every L3 size, as the sweep does
  const groups = new Map<string, string[][]>();
  for (const r of rows) {
    const key = `${r[0]}|${r[6]}`;
    const g = groups.get(key) ?? [];
    g.push(r);
    groups.set(key, g);
  }
  let cells = 0;
  let identical = 0;
  const mismatches: string[] = [];
  for (const g of groups.values()) {
    const w = byName.get(g[0]![0]!)!;
    expect(w, g[0]![0]).toBeDefined();
    const results = analyzeL3(w, {
      model: "kpu-sim",
      strategies: [parseStrategy(g[0]![6]!)],
      l3Bytes: g.map((r) => Number(r[7]) * MiB),
    });
    g.forEach((ref, x) => {
      const mine = kpuSimRecord(w, results[x]!);
      header.forEach((col, c) => {
        cells++;
        const m = mine[col as (typeof KPU_SIM_COLUMNS)[number]];
        if (m === ref[c]) identical++;
        if (!sameCell(m, ref[c]!)) mismatches.push(`${ref[0]} ${ref[6]} ${ref[7]}MB ${col}: ${m} vs ${ref[c]}`);
      });
    });
  }
  expect(mismatches).toEqual([]);
  return { cells, identical };
}

describe("--model kpu-sim reproduces kpu-sim's published CSVs", () => {
  it("l3_focused_analysis.csv, every row and column", () => {
    const { cells, identical } = checkFile("l3_focused_analysis.csv", FOCUSED_WORKLOADS);
    expect(cells).toBe(108 * 19);
    expect(identical).toBe(cells); // byte-identical text, not just 5 digits
  });
  it("l3_comprehensive_analysis.csv, every row and column", () => {
    const { cells, identical } = checkFile("l3_comprehensive_analysis.csv", COMPREHENSIVE_WORKLOADS);
    expect(cells).toBe(567 * 20);
    expect(identical).toBe(cells);
  }, 120_000);
});
