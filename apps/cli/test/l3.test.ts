import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-l3-"));

interface AnalyzeRecord {
  strategy: string;
  l3Bytes: number;
  tiles: { m: number; n: number; k: number };
  overfetchTotal: number;
  overfetchA: number;
  overfetchB: number;
  overfetchC: number;
  dramReadBytes: number;
  dramWriteBytes: number;
  lowerBoundBytes: number;
}

describe("kpu l3 analyze", () => {
  it("gives one record per (strategy, L3 size) with the documented fields", async () => {
    const r = await kpu("l3", "analyze", "--m", "512", "--n", "512", "--k", "512", "--strategy", "all", "--l3", "256KiB,16MiB", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { results: AnalyzeRecord[] };
    expect(doc.results).toHaveLength(6);
    const compulsory = 3 * 512 * 512 * 4; // A and B read once, C written once
    for (const rec of doc.results) {
      expect(["WS", "IS", "OS"]).toContain(rec.strategy.toUpperCase());
      expect(rec.tiles.m).toBeGreaterThan(0);
      expect(rec.dramReadBytes + rec.dramWriteBytes).toBeGreaterThanOrEqual(compulsory);
      expect(rec.dramReadBytes + rec.dramWriteBytes).toBeGreaterThanOrEqual(rec.lowerBoundBytes);
      expect(rec.overfetchTotal).toBeGreaterThanOrEqual(1);
    }
    // 16 MiB holds all of A, B and C (3 MiB): every strategy moves exactly the compulsory traffic.
    for (const rec of doc.results.filter((x) => x.l3Bytes === 16 * 2 ** 20)) {
      expect(rec.dramReadBytes).toBe(2 * 512 * 512 * 4);
      expect(rec.dramWriteBytes).toBe(512 * 512 * 4);
      expect(rec.overfetchTotal).toBe(1);
    }
  });

  it("reproduces kpu-sim's published row for Small Square, WS, 16 MB", async () => {
    const r = await kpu("l3", "analyze", "--m", "512", "--n", "512", "--k", "512", "--strategy", "ws", "--l3", "16MiB", "--model", "kpu-sim", "--json");
    const doc = JSON.parse(r.stdout) as { results: AnalyzeRecord[] };
    // From shared/reference/kpu-sim/l3_focused_analysis.csv: 1.08333, 1.125, 1.125, 1.
    expect(doc.results[0]!.overfetchTotal).toBeCloseTo(1.08333, 5);
    expect(doc.results[0]!.overfetchA).toBeCloseTo(1.125, 5);
    expect(doc.results[0]!.overfetchB).toBeCloseTo(1.125, 5);
    expect(doc.results[0]!.overfetchC).toBeCloseTo(1, 5);
  });

  const bad: [string, string[], RegExp][] = [
    ["zero dimension", ["--m", "0", "--n", "8", "--k", "8"], /KPU_BAD_DIM at --m/],
    ["absurd dimensions", ["--m", "100000", "--n", "100000", "--k", "100000"], /KPU_BAD_DIM|2\^31/],
    ["L3 without a unit", ["--m", "64", "--n", "64", "--k", "64", "--l3", "16"], /KPU_BAD_SIZE.*no unit/],
    ["unknown strategy", ["--m", "64", "--n", "64", "--k", "64", "--strategy", "xs"], /KPU_BAD_FLAG at --strategy/],
    ["unknown model", ["--m", "64", "--n", "64", "--k", "64", "--model", "timeloop"], /KPU_BAD_FLAG at --model/],
  ];
  it.each(bad)("%s: exit 2 with the field named", async (_name, args, pattern) => {
    const r = await kpu("l3", "analyze", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/hint: /);
  });
});

describe("kpu l3 sweep", () => {
  it("sweeps a grid file, records a bad point as a failed row, and resumes without duplicating rows", async () => {
    const grid = join(dir, "grid.yaml");
    writeFileSync(
      grid,
      ["workloads:", "  - { name: sq, m: 256, n: 256, k: 256 }", "  - { name: tall, m: 1024, n: 64, k: 128 }", "l3: [64KiB, 1MiB]", "strategies: [ws, os]", ""].join("\n"),
    );
    const out = join(dir, "sweep");
    const first = await kpu("l3", "sweep", "--grid", grid, "--out", out, "--workers", "1", "--no-plots", "--json");
    expect(first.code).toBe(0);
    const rows = readFileSync(join(out, "sweep.csv"), "utf8").trim().split("\n");
    expect(rows).toHaveLength(1 + 2 * 2 * 2);
    expect(rows[0]!.startsWith("Workload_Name,Category,Aspect,M,N,K,Strategy,L3_Size_MB")).toBe(true);
    const again = await kpu("l3", "sweep", "--grid", grid, "--out", out, "--workers", "1", "--no-plots", "--json");
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, "sweep.csv"), "utf8").trim().split("\n")).toEqual(rows);
    expect(existsSync(join(out, "results.json"))).toBe(true);
  });

  it("records a bad point as a failed row with its reason and goes on", async () => {
    const grid = join(dir, "bad-point.yaml");
    writeFileSync(grid, "workloads:\n  - { name: neg, m: -4, n: 8, k: 8 }\n  - { name: ok, m: 64, n: 64, k: 64 }\nl3: [1MiB]\nstrategies: [os]\n");
    const out = join(dir, "bad-point");
    const r = await kpu("l3", "sweep", "--grid", grid, "--out", out, "--workers", "1", "--no-plots");
    expect(r.code).toBe(0);
    const csv = readFileSync(join(out, "sweep.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(3);
    expect(csv.find((l) => l.startsWith("neg,"))).toMatch(/failed/);
    expect(csv.find((l) => l.startsWith("ok,"))).not.toMatch(/failed/);
  });

  it("refuses a malformed grid file, naming the field", async () => {
    const grid = join(dir, "bad.yaml");
    writeFileSync(grid, "workloads:\n  - { name: x, m: 4, n: 8 }\nl3: [1MiB]\n");
    const r = await kpu("l3", "sweep", "--grid", grid, "--out", join(dir, "never"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KPU_SCHEMA at .*bad\.yaml:workloads\.0\.k/);
    expect(existsSync(join(dir, "never"))).toBe(false);
  });
});
