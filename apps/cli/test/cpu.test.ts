import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-cpu-"));
/** A fixed host so rule decisions do not depend on the machine running the tests. */
const host = join(dir, "host.yaml");
writeFileSync(
  host,
  ["isa: avx512", "vectorBits: 512", "vectorRegisters: 32", "fmaUnits: 2", "cores: 2", ""].join("\n"),
);

describe("kpu cpu schedule", () => {
  it("derives every choice by a named rule, and --explain says why", async () => {
    const r = await kpu("cpu", "schedule", "--m", "64", "--n", "768", "--k", "768", "--explain", "--host-config", host, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { rules: string; decisions: { id: string; decides: string; because: string }[]; params: { lanes: number; mr: number } };
    expect(doc.rules).toBe("host");
    // 512-bit vectors hold 16 fp32 lanes (rule H1).
    expect(doc.params.lanes).toBe(16);
    expect(doc.decisions.find((d) => d.id === "H1")?.decides).toBe("lanes");
    for (const d of doc.decisions) expect(d.because.length).toBeGreaterThan(10);
  });

  it("emits C for the seed rules", async () => {
    const r = await kpu("cpu", "schedule", "--m", "32", "--n", "768", "--k", "768", "--rules", "seed", "--emit", "c", "--host-config", host);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restrict/);
    expect(r.stdout).toMatch(/void\s+\w+\s*\(/);
  });

  it.each([
    ["non-positive shape", ["--m", "0", "--n", "8", "--k", "8"], /KPU_BAD_FLAG at --m/],
    ["unknown rules", ["--m", "8", "--n", "8", "--k", "8", "--rules", "magic"], /--rules.*magic.*seed, host/],
  ])("%s: exit 2", async (_name, args, pattern) => {
    const r = await kpu("cpu", "schedule", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });

  it("refuses a host config with impossible values", async () => {
    const bad = join(dir, "bad-host.yaml");
    writeFileSync(bad, "vectorBits: 100\n");
    const r = await kpu("cpu", "schedule", "--m", "8", "--n", "8", "--k", "8", "--host-config", bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vectorBits/);
  });
});

describe("kpu cpu bench", () => {
  it("compiles, checks and times host rules on a prime-sized shape, reporting median and p10", async () => {
    const out = join(dir, "results.json");
    const r = await kpu("cpu", "bench", "--m", "37", "--n", "53", "--k", "41", "--variants", "host-rules,seed-rules", "--threads", "1", "--runs", "30", "--out", out, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      results: { variant: string; m: number; n: number; k: number; threads: number; medianUs: number; p10Us: number; gflops: number }[];
    };
    expect(doc.results.map((x) => x.variant).sort()).toEqual(["host-rules", "seed-rules"]);
    for (const x of doc.results) {
      expect([x.m, x.n, x.k, x.threads]).toEqual([37, 53, 41, 1]);
      expect(x.p10Us).toBeLessThanOrEqual(x.medianUs);
      expect(x.gflops).toBeCloseTo((2 * 37 * 53 * 41) / (x.medianUs * 1e3), 6);
    }
  });
});
