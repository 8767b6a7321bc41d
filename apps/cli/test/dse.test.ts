import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDseResult } from "@kpu/ir";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-cli-dse-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("kpu dse", () => {
  it("--json prints the summary (points, feasible, pareto ids, seconds); the files are the kpu.dse document and the plots", async () => {
    const space = file("space.yaml", "hw: edge-ai\nobjective: energy\nparameters:\n  rows: [8, 16]\n  l1KiB: [1, 48]\n");
    const out = join(dir, "run");
    const r = await kpu("dse", "--example", "mlp", "--space", space, "--out", out, "--threads", "1", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { points: number; feasible: number; pareto: string[]; seconds: number; computed: number; resumed: number };
    expect(s).toMatchObject({ points: 4, feasible: 2, computed: 4, resumed: 0 });
    expect(s.seconds).toBeGreaterThan(0);
    const doc = parseDseResult(readFileSync(join(out, "dse.json"), "utf8"));
    expect(doc).toMatchObject({ kind: "kpu.dse", model: { source: "example:mlp" }, baseHardware: "edge-ai", objective: "energy" });
    expect(doc.points.filter((p) => p.pareto).map((p) => p.id)).toEqual(s.pareto);
    // the table for people, resumed
    const again = await kpu("dse", "--example", "mlp", "--space", space, "--out", out, "--threads", "1");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/4 points \(2 feasible; 0 computed, 4 resumed\)/);
    expect(again.stdout).toMatch(/Pareto front over latency, energy and area/);
  }, 60_000);

  it.each([
    ["an inverted range", "hw: edge-ai\nparameters:\n  l2KiB: {from: 256, to: 64, step: 64}\n", /KPU_DSE_SPACE at .*bad\.yaml:parameters\.l2KiB: the range is inverted/],
    ["a parameter we do not model", "hw: edge-ai\nparameters:\n  voltage: [1]\n", /KPU_DSE_SPACE at .*bad\.yaml:parameters\.voltage/],
    ["an unknown objective", "hw: edge-ai\nobjective: speed\nparameters:\n  rows: [8]\n", /KPU_DSE_SPACE at .*bad\.yaml:objective/],
    ["a model that fits no point", "hw: edge-ai\nparameters:\n  l2KiB: [1]\n", /KPU_DSE_NO_FIT .*none of the 1 points/],
  ])("%s: exit 2 with the field named, no stack trace", async (_what, text, message) => {
    const r = await kpu("dse", "--example", "mlp", "--space", file("bad.yaml", text), "--out", join(dir, "bad"), "--threads", "1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("needs --space and --out", async () => {
    expect((await kpu("dse", "--example", "mlp", "--out", dir)).stderr).toMatch(/--space is required/);
    expect((await kpu("dse", "--example", "mlp", "--space", "x.yaml")).stderr).toMatch(/--out is required/);
  });
});
