import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hardwarePreset, simTrace, simulateMatmul } from "@kpu/kpu-model";
import { describe, expect, it } from "vitest";
import { REPORT_KINDS, buildReport, detectReport, dramBytesPerFabricCycle, dseSensitivity, dseView, parseAnalysis, timelineOf } from "@kpu/report";
import { dseExample, tinyAnalysis } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "report-unit-"));
const write = (name: string, doc: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === "string" ? doc : JSON.stringify(doc));
  return path;
};
const run = simulateMatmul({ hardware: hardwarePreset("minimal"), m: 96, n: 64, k: 96, strategy: "ws", tiles: { m: 32, n: 32, k: 32 }, buffers: 1 });
const trace = JSON.parse(JSON.stringify(simTrace(run))) as Parameters<typeof timelineOf>[0];
const dse = dseExample();
const dseFolder = join(dir, "dse-run");
mkdirSync(dseFolder);
writeFileSync(join(dseFolder, "dse.json"), JSON.stringify(dse));
const embedded = (html: string): { kind: string; data: unknown } => JSON.parse(/<script id="kpu-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { kind: string; data: unknown };

describe("kpu report: kinds", () => {
  it("recognises each kind from the input alone", () => {
    const sweep = join(dir, "sweep");
    mkdirSync(sweep);
    writeFileSync(join(sweep, "spec.json"), "{}");
    writeFileSync(join(sweep, "results.json"), "{}");
    const cases: [string, string][] = [
      [write("a.json", tinyAnalysis()), "analysis"],
      [write("t.json", trace), "sim"],
      [write("s.json", run.report), "sim"],
      [write("c.json", { kind: "kpu.cpu.results" }), "cpu"],
      [sweep, "sweep"],
      [write("d.json", dse), "dse"],
      [dseFolder, "dse"],
    ];
    for (const [path, kind] of cases) expect(detectReport(path).kind.name).toBe(kind);
    expect(REPORT_KINDS.map((k) => k.name)).toEqual(["analysis", "sweep", "sim", "cpu", "dse"]);
  });

  it("refuses unknown inputs, missing paths and bad JSON with a typed error", () => {
    expect(() => detectReport(write("x.json", { kind: "something" }))).toThrow(expect.objectContaining({ code: "KPU_SCHEMA" }));
    expect(() => detectReport(join(dir, "missing.json"))).toThrow(expect.objectContaining({ code: "KPU_NO_SUCH_FILE" }));
    expect(() => detectReport(write("bad.json", "{"))).toThrow(expect.objectContaining({ code: "KPU_BAD_SYNTAX" }));
    expect(() => detectReport(dir)).toThrow(expect.objectContaining({ code: "KPU_SCHEMA" }));
  });

  it("validates kpu.analysis documents field by field", () => {
    const doc = tinyAnalysis();
    expect(parseAnalysis(doc, "a.json").layers).toHaveLength(4);
    const bad = { ...doc, layers: [(doc.layers as object[])[0], { ...(doc.layers as object[])[1], bound: "disk" }] };
    expect(() => parseAnalysis(bad, "a.json")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA", where: "a.json:layers[1].bound" }));
    // version 1 (no engineCycles) and 2 are read; a later version is refused by name
    expect(parseAnalysis({ ...doc, schemaVersion: 2 }, "a.json").schemaVersion).toBe(2);
    expect(() => parseAnalysis({ ...doc, schemaVersion: 3 }, "a.json")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA_VERSION", message: expect.stringContaining("reads versions 1, 2") as unknown }));
  });

  it("reads a kpu.dse document (file or folder) with @kpu/ir's validation, naming a bad field", () => {
    expect(dseView({ path: dseFolder, folder: true }).doc).toEqual(dse);
    const bad = { ...dse, points: [{ ...dse.points[1]!, latencyNs: undefined }] };
    expect(() => buildReport(write("bad-dse.json", bad))).toThrow(expect.objectContaining({ code: "KPU_SCHEMA", message: expect.stringContaining("latencyNs is required") as unknown }));
    expect(() => buildReport(write("v9-dse.json", { ...dse, schemaVersion: 9 }))).toThrow(expect.objectContaining({ code: "KPU_SCHEMA_VERSION" }));
  });

  it("measures each parameter's effect: the best of every axis over the feasible points at each of its values", () => {
    const s = dseSensitivity(dse);
    expect(s.map((x) => x.parameter).sort()).toEqual(["arrayDim", "l3BankKiB"]);
    for (const param of dse.parameters) {
      const entry = s.find((x) => x.parameter === param.name)!;
      expect(entry.values.map((v) => v.value)).toEqual(param.values);
      for (const v of entry.values) {
        // brute force: every point with this value, by hand
        let best = Infinity;
        let id = "";
        let feasible = 0;
        for (const p of dse.points) {
          if (p.params[param.name] !== v.value || !p.feasible) continue;
          feasible++;
          if (p.latencyNs! < best) [best, id] = [p.latencyNs!, p.id];
        }
        expect(v.feasible).toBe(feasible);
        expect(v.best.latencyNs).toEqual(feasible === 0 ? null : { value: best, id });
      }
      const bests = entry.values.flatMap((v) => (v.best.areaMm2 === null ? [] : [v.best.areaMm2.value]));
      expect(entry.spread.areaMm2).toBeCloseTo(Math.max(...bests) / Math.min(...bests), 12);
    }
    // the 1 KiB L3 bank holds no tile set at any array size: no feasible point, no best
    expect(s.find((x) => x.parameter === "l3BankKiB")!.values[0]).toMatchObject({ value: 1, points: 3, feasible: 0, best: { latencyNs: null, energyPj: null, areaMm2: null } });
    // most sensitive first (latency spread)
    expect(s[0]!.spread.latencyNs!).toBeGreaterThanOrEqual(s[1]!.spread.latencyNs!);
  });

  it("puts the memory roof at the preset's DRAM bandwidth per fabric cycle", () => {
    // edge-ai: 128 GB/s of DRAM, 2000 MHz fabric -> 64 bytes per cycle (README table)
    expect(dramBytesPerFabricCycle("edge-ai")).toBeCloseTo(128e9 / 2000e6, 9);
    expect(dramBytesPerFabricCycle("my-board.yaml")).toBeNull();
  });
});

describe("kpu report: the simulation timeline", () => {
  it("holds every task of a trace, in lanes named by its threads", () => {
    const tl = timelineOf(trace);
    expect(tl.lanes).toEqual(["DMA engine (DRAM>L3)", "Block mover (L3>L2)", "Streamer (L2>L1)", "Fabric"]);
    expect(tl.embeddedTasks).toBe(run.plan.program.n);
    expect(tl.totalTasks).toBe(run.plan.program.n);
    expect(tl.completeUntilNs).toBeCloseTo(tl.spanNs, 9);
  });

  it("keeps the earliest tasks when cut, and says up to when the page is complete", () => {
    const cut = 25;
    const tl = timelineOf(trace, cut);
    // reference: sort the trace's task spans by start by hand
    const tasks = trace.traceEvents.filter((e) => e.ph === "X" && e.cat !== "stall").map((e) => e.ts * 1000).sort((a, b) => a - b);
    expect(tl.embeddedTasks).toBe(cut);
    expect(tl.totalTasks).toBe(tasks.length);
    expect(tl.completeUntilNs).toBe(tasks[cut]);
    expect(Math.max(...tl.startNs)).toBeLessThanOrEqual(tasks[cut]!);
    expect(tl.stallStartNs.every((t) => t < tasks[cut]!)).toBe(true);
  });
});

describe("kpu report: the page", () => {
  const html = buildReport(write("tiny.json", tinyAnalysis())).html;

  it("is one self-contained file: no external script, style, font or request", () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?https?:/i);
    expect(html).toContain("default-src 'none'");
    expect(html.length).toBeGreaterThan(500_000); // the charting library is inlined
  });

  it("embeds the validated data the page draws, byte-identical for identical input", () => {
    const doc = embedded(html);
    expect(doc.kind).toBe("analysis");
    expect((doc.data as { doc: unknown }).doc).toEqual(tinyAnalysis());
    expect(buildReport(join(dir, "tiny.json")).html).toBe(html);
  });

  it("embeds a simulation's report and its trace's timeline (kpu sim --json names the trace)", () => {
    const tracePath = write("run-trace.json", trace);
    const page = buildReport(write("run.json", { ...JSON.parse(JSON.stringify(run.report)), trace: tracePath })).html;
    const data = embedded(page).data as { report: { totalCycles: number }; timeline: { embeddedTasks: number } | null };
    expect(data.report.totalCycles).toBe(run.report.totalCycles);
    expect(data.timeline!.embeddedTasks).toBe(run.plan.program.n);
    const bare = embedded(buildReport(write("bare.json", run.report)).html).data as { timeline: unknown; note: string };
    expect(bare.timeline).toBeNull();
    expect(bare.note).toMatch(/--trace/);
    expect(readFileSync(tracePath, "utf8").length).toBeGreaterThan(0);
  });
});
