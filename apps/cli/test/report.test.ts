import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tinyAnalysis } from "../../../packages/report/test/fixtures.js";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "report-cli-"));

describe("kpu report and kpu sim --trace", () => {
  it("kpu sim --trace writes a Trace Event Format file that --json names, and kpu report reads either", async () => {
    const trace = join(dir, "trace.json");
    const r = await kpu("sim", "--hw", "minimal", "--m", "64", "--n", "64", "--k", "64", "--tiles", "32,32,32", "--json", "--trace", trace);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { trace: string; resources: { tasks: number }[] };
    expect(doc.trace).toBe(trace);
    const events = (JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: { ph: string; cat?: string }[] }).traceEvents;
    expect(events.filter((e) => e.ph === "X" && e.cat !== "stall")).toHaveLength(doc.resources.reduce((s, x) => s + x.tasks, 0));
    const sim = join(dir, "sim.json");
    writeFileSync(sim, r.stdout);
    for (const input of [sim, trace]) {
      const out = join(dir, "page.html");
      const p = await kpu("report", input, "--out", out, "--json");
      expect(p.code).toBe(0);
      expect(JSON.parse(p.stdout)).toMatchObject({ kind: "sim", input, out });
      expect(readFileSync(out, "utf8")).toContain('"embeddedTasks":');
    }
    const human = await kpu("sim", "--hw", "minimal", "--m", "64", "--n", "64", "--k", "64", "--trace", trace);
    expect(human.stdout).toMatch(/wrote a trace of \d+ tasks on 1 compute tile\(s\) to .*trace\.json \(open it in https:\/\/ui\.perfetto\.dev or chrome:\/\/tracing\)/);
  });

  it("kpu sim --trace: one process per compute tile (edge blocks too), or the first alone with --trace-tiles first", async () => {
    const trace = join(dir, "edge.json");
    const names = () => (JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: { name: string; args?: { name?: string } }[] }).traceEvents.filter((e) => e.name === "process_name").map((e) => e.args?.name);
    // edge-ai: 2 compute tiles; 257 rows split 129 + 128
    const all = await kpu("sim", "--hw", "edge-ai", "--m", "257", "--n", "257", "--k", "64", "--trace", trace);
    expect(all.code).toBe(0);
    expect(names()).toEqual(["compute tile 0 (row 0, col 0): C[0:129, 0:257], block 129x257x64", "compute tile 1 (row 1, col 0): C[129:257, 0:257], block 128x257x64"]);
    expect(all.stdout).toMatch(/wrote a trace of \d+ tasks on 2 compute tile\(s\)/);
    const first = await kpu("sim", "--hw", "edge-ai", "--m", "257", "--n", "257", "--k", "64", "--trace", trace, "--trace-tiles", "first");
    expect(first.code).toBe(0);
    expect(names()).toEqual(["compute tile 0 (row 0, col 0): C[0:129, 0:257], block 129x257x64"]);
    const bad = await kpu("sim", "--hw", "edge-ai", "--m", "64", "--n", "64", "--k", "64", "--trace", trace, "--trace-tiles", "some");
    expect(bad.code).toBe(2);
  });

  it("refuses a missing --out, a page that is not .html, and inputs of no known kind", async () => {
    const input = join(dir, "other.json");
    writeFileSync(input, JSON.stringify({ kind: "kpu.mapping" }));
    const cases: [string[], string, number][] = [
      [["report", input], "error KPU_USAGE at --out", 2],
      [["report", input, "--out", join(dir, "r.txt")], "error KPU_BAD_FLAG at --out", 2],
      [["report", input, "--out", join(dir, "r.html")], `error KPU_SCHEMA at ${input}`, 2],
      [["report", join(dir, "nothing"), "--out", join(dir, "r.html")], "error KPU_NO_SUCH_FILE", 2],
    ];
    for (const [argv, start, code] of cases) {
      const r = await kpu(...argv);
      expect(r.code).toBe(code);
      expect(r.stderr.split("\n")[0]).toContain(start);
      expect(r.stderr).toMatch(/hint: /);
    }
  });

  it("a mutated kpu.analysis document is reported or refused with a typed error, never a crash (property)", async () => {
    const fields = ["kind", "schemaVersion", "hardware", "totals", "layers", "model"];
    const layerFields = ["id", "op", "macs", "unit", "cycles", "bytes", "bound", "roofline", "mapping", "outputShape", "fabricUtilization"];
    const value = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: false }), fc.string({ maxLength: 4 }), fc.constant([]), fc.constant({}));
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.constantFrom(...fields), fc.constantFrom(...layerFields), fc.nat(3), value, async (inLayer, field, layerField, li, v) => {
        const doc = tinyAnalysis() as { layers: Record<string, unknown>[] } & Record<string, unknown>;
        if (inLayer) doc.layers[li]![layerField] = v;
        else doc[field] = v;
        const input = join(dir, "mutated.json");
        writeFileSync(input, JSON.stringify(doc));
        const r = await kpu("report", input, "--out", join(dir, "mutated.html"));
        expect([0, 2]).toContain(r.code);
        if (r.code === 2) expect(r.stderr).toMatch(/^error KPU_[A-Z_]+ at [^\n]+\n {2}hint: /);
      }),
      { numRuns: 40, seed: 16 },
    );
  });
});
