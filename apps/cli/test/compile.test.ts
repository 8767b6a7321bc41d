import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { graphToJson, mlpExample } from "@kpu/ir";
import { kpu, kpuProcess } from "./helpers.js";

describe("kpu compile", () => {
  it("reports the seed's numbers for the MLP at tile 32 (acceptance)", async () => {
    const r = await kpu("compile", "--example", "mlp", "--tile", "32", "--emit", "uops", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { opsBeforeFusion: number; opsAfterFusion: number; uops: Record<string, number>; ir: { kind: string; uops: unknown[] } };
    expect(doc.opsBeforeFusion).toBe(5);
    expect(doc.opsAfterFusion).toBe(3);
    expect(doc.uops).toMatchObject({ total: 148, LOAD: 88, EXEC: 44, STORE: 16 });
    expect(doc.ir.kind).toBe("kpu.uops");
    expect(doc.ir.uops).toHaveLength(148);
  });

  it("prints per-pass statistics for people", async () => {
    const r = await kpu("compile", "--example", "bert-layer", "--seq", "64", "--tile", "64");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("11 ops before fusion, 4 after");
    expect(r.stdout).toMatch(/fusion\s*│/);
    expect(r.stdout).toMatch(/lowering\s*│/);
  });

  it("compiles a model file and writes the IR atomically to --out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpu-cli-"));
    const model = join(dir, "mlp.json");
    writeFileSync(model, JSON.stringify(graphToJson(mlpExample())));
    const out = join(dir, "sub", "tiled.json");
    const r = await kpu("compile", model, "--tile", "64", "--emit", "tiled", "--out", out);
    expect(r.code).toBe(0);
    const tiled = JSON.parse(readFileSync(out, "utf8")) as { kind: string; ops: { grid: unknown }[] };
    expect(tiled.kind).toBe("kpu.tiled");
    expect(tiled.ops[0]!.grid).toEqual({ mt: 2, nt: 1, kt: 2 });
  });

  describe("bad input: one line, a hint, exit 2, nothing written", () => {
    const dir = mkdtempSync(join(tmpdir(), "kpu-bad-"));
    const out = join(dir, "never.json");
    const bad = (name: string, content: string) => {
      const f = join(dir, name);
      writeFileSync(f, content);
      return f;
    };
    const mlp = graphToJson(mlpExample());
    const cases: [string, string[], RegExp][] = [
      ["unreadable file", [join(dir, "missing.json")], /KPU_NO_SUCH_FILE at .*missing\.json/],
      ["invalid JSON", [bad("broken.json", "{")], /KPU_BAD_SYNTAX/],
      ["unknown op", [bad("op.json", JSON.stringify({ ...mlp, ops: mlp.ops.map((o, i) => (i === 1 ? { ...o, kind: "conv3d" } : o)) }))], /KPU_SCHEMA at .*ops\[1\]\.kind/],
      ["op the micro-op pipeline does not take", [bad("sm.json", JSON.stringify({ ...mlp, ops: mlp.ops.map((o, i) => (i === 1 ? { ...o, kind: "softmax" } : o)) }))], /KPU_IR_UNSUPPORTED_OP at op "relu1" \(softmax\)/],
      ["shape mismatch", [bad("shape.json", JSON.stringify({ ...mlp, tensors: mlp.tensors.map((t) => (t.name === "w1" ? { ...t, shape: [127, 64] } : t)) }))], /KPU_IR_SHAPE_MISMATCH at op "mm1"/],
      ["zero dimension", [bad("zero.json", JSON.stringify({ ...mlp, tensors: mlp.tensors.map((t) => (t.name === "x" ? { ...t, shape: [0, 128] } : t)) }))], /KPU_BAD_DIM at tensor "x"/],
      ["tile not a positive integer", ["--tile", "-4"], /KPU_BAD_FLAG at --tile/],
      ["tile not an integer", ["--tile", "3.5"], /KPU_BAD_FLAG at --tile/],
      ["unknown flag", ["--tiles", "32"], /KPU_USAGE: unknown option '--tiles'/],
      ["unknown example", ["--example", "resnet"], /KPU_BAD_FLAG at --example: "resnet" is not one of/],
    ];
    it.each(cases)("%s", async (_name, args, pattern) => {
      const r = await kpu("compile", ...args, "--emit", "uops", "--out", out);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stdout).toBe("");
      expect(existsSync(out)).toBe(false);
    });
  });
});

describe("kpu as a process", () => {
  it("--version, --help and exit codes", () => {
    const v = kpuProcess("--version");
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = kpuProcess("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("compile");
    const sub = kpuProcess("compile", "--help");
    expect(sub.stdout).toContain("--emit");
    const bad = kpuProcess("compile", "--tile", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe('error KPU_BAD_FLAG at --tile: "0" is not a positive integer');
  });
});

describe("kpu demo", () => {
  it("compiles, schedules and verifies the MLP, prints the L3 table and writes a Gantt chart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpu-demo-"));
    const r = await kpu("demo", "--out", dir, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { run: { stats: { schedOps: number }; verify: { ok: boolean } }; l3: { results: unknown[] }; timing: unknown[]; gantt: string };
    expect(doc.run.stats.schedOps).toBe(99);
    expect(doc.run.verify.ok).toBe(true);
    expect(doc.l3.results.length).toBeGreaterThan(0);
    expect(doc.timing).toHaveLength(3);
    expect(readFileSync(doc.gantt, "utf8")).toMatch(/^<svg|^<\?xml/);
    const analysis = (doc as unknown as { analysis: { model: { source: string }; totals: { macs: number } } }).analysis;
    // stage 4: ResNet-50 at 224x224, 4.09 GMACs (He et al. 2016; torchvision's count 4,089,184,256)
    expect(analysis.model.source).toBe("example:resnet50");
    expect(Math.abs(analysis.totals.macs / 4.089e9 - 1)).toBeLessThan(0.01);
  });
});
