import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

/** `kpu map`: the exact mapper through the CLI, and its answer run back through `kpu sim --mapping`. */
const dir = mkdtempSync(join(tmpdir(), "kpu-map-"));

interface MapJson {
  best: { mapping: { kind: string }; cycles: number; energyPj: number; dramBytes: number };
  runnerUp: { cycles: number } | null;
  lowerBoundDramBytes: number;
  computeBoundCycles: number;
  gaps: { dram: number; cycles: number };
  evaluated: number;
  pruned: number;
  seconds: number;
}

describe("kpu map", () => {
  it("prints the JSON fields of the issue, and kpu sim --mapping moves the DRAM bytes it reported", async () => {
    const file = join(dir, "best.json");
    const r = await kpu("map", "--m", "100", "--n", "72", "--k", "90", "--hw", "minimal", "--objective", "dram", "--threads", "1", "--emit-mapping", file, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as MapJson;
    expect(doc.best.mapping.kind).toBe("kpu.mapping");
    for (const key of ["cycles", "energyPj", "dramBytes"] as const) expect(doc.best[key]).toBeGreaterThan(0);
    expect(doc.lowerBoundDramBytes).toBeLessThanOrEqual(doc.best.dramBytes);
    expect(doc.evaluated).toBeGreaterThan(0);
    expect(doc.pruned).toBeGreaterThanOrEqual(0);
    expect(doc.seconds).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(doc.best.mapping);
    const sim = await kpu("sim", "--hw", "minimal", "--m", "100", "--n", "72", "--k", "90", "--mapping", file, "--json");
    expect(sim.code).toBe(0);
    const dram = (JSON.parse(sim.stdout) as { levels: { level: string; bytes: number }[] }).levels.find((l) => l.level === "dram")!;
    expect(dram.bytes).toBe(doc.best.dramBytes);
  });

  it("prints a table for people", async () => {
    const r = await kpu("map", "--m", "64", "--n", "48", "--k", "40", "--hw", "minimal", "--threads", "1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/objective latency/);
    expect(r.stdout).toMatch(/runner-up/);
    expect(r.stdout).toMatch(/bounds: DRAM/);
  });

  it("refuses an unknown objective and a missing dimension with exit 2", async () => {
    const bad = await kpu("map", "--m", "8", "--n", "8", "--k", "8", "--objective", "speed");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--objective/);
    const missing = await kpu("map", "--m", "8", "--n", "8");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--k is required/);
  });
});
