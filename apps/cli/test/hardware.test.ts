import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-hw-"));

describe("kpu fabric", () => {
  it("follows the systolic model: 12 folds of (2r + c + t - 2) cycles for OS", async () => {
    const r = await kpu("fabric", "--rows", "16", "--cols", "16", "--dataflow", "os", "--m", "48", "--n", "64", "--k", "112", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { cycles: number; folds: number; sramReadsA: number; sramReadsB: number; sramWritesC: number };
    // OS: ceil(48/16) x ceil(64/16) = 12 folds, each 2*16 + 16 + 112 - 2 = 158 cycles.
    expect(doc.folds).toBe(12);
    expect(doc.cycles).toBe(12 * 158);
    // Each fold streams a 16x112 A stripe and a 112x16 B stripe and writes one 16x16 C block.
    expect(doc.sramReadsA).toBe(12 * 16 * 112);
    expect(doc.sramReadsB).toBe(12 * 112 * 16);
    expect(doc.sramWritesC).toBe(48 * 64);
  });
});

describe("kpu hw", () => {
  it("shows a preset as YAML that validates back", async () => {
    const shown = await kpu("hw", "show", "edge-ai", "--yaml");
    expect(shown.code).toBe(0);
    const file = join(dir, "edge.yaml");
    writeFileSync(file, shown.stdout);
    const v = await kpu("hw", "validate", file);
    expect(v.code).toBe(0);
  });

  it("names the field and the rule for clocks without a common timebase", async () => {
    const shown = await kpu("hw", "show", "edge-ai", "--yaml");
    const file = join(dir, "bad-clock.yaml");
    writeFileSync(file, shown.stdout.replace("dmaMhz: 250", "dmaMhz: 300"));
    const v = await kpu("hw", "validate", file);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/KPU_HW_CLOCK at .*clocks\.dmaMhz/);
    expect(v.stderr).toMatch(/hint: /);
  });

  it("refuses zero bandwidth", async () => {
    const shown = await kpu("hw", "show", "minimal", "--yaml");
    const file = join(dir, "zero-bw.yaml");
    writeFileSync(file, shown.stdout.replace(/bandwidthBytesPerCycle: \d+/, "bandwidthBytesPerCycle: 0"));
    const v = await kpu("hw", "validate", file);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/bandwidthBytesPerCycle/);
  });

  it("refuses an unknown preset", async () => {
    const r = await kpu("sim", "--hw", "nope", "--m", "64", "--n", "64", "--k", "64", "--strategy", "os");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("KPU_HW_UNKNOWN_PRESET");
  });
});

describe("kpu sim and kpu timing", () => {
  it("double buffering never slows the simulated matmul, and --gantt writes a self-contained page", async () => {
    const run = async (buffers: string, gantt?: string) => {
      const r = await kpu("sim", "--hw", "edge-ai", "--m", "256", "--n", "256", "--k", "256", "--strategy", "os", "--buffers", buffers, "--json", ...(gantt ? ["--gantt", gantt] : []));
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { totalCycles: number; fabricUtilisation: number };
    };
    const page = join(dir, "tiles.html");
    const single = await run("1");
    const double = await run("2", page);
    expect(double.totalCycles).toBeLessThanOrEqual(single.totalCycles);
    expect(double.fabricUtilisation).toBeGreaterThanOrEqual(single.fabricUtilisation);
    expect(existsSync(page)).toBe(true);
    const html = readFileSync(page, "utf8");
    expect(html).toMatch(/<html/i);
    expect(html).toContain('<script id="kpu-data" type="application/json">');
    expect(html).not.toMatch(/<script[^>]+src=/); // no external scripts
  });

  it("prints the injection schedule as CSV", async () => {
    const r = await kpu("timing", "--hw", "edge-ai", "--m", "64", "--n", "64", "--k", "64", "--strategy", "ws", "--format", "csv");
    expect(r.code).toBe(0);
    const [header, first] = r.stdout.split("\n");
    expect(header).toMatch(/^step,i,j,k,[a-zA-Z0-9_,]+$/);
    // The tile label is a quoted field with commas; the other fields are numbers.
    const unquoted = first!.replace(/"[^"]*"/g, "label").split(",");
    expect(unquoted.length).toBe(header!.split(",").length);
    expect(unquoted.filter((f) => f !== "label").every((f) => /^\d+(\.\d+)?$/.test(f))).toBe(true);
  });
});
