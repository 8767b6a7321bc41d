import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
    expect(human.stdout).toMatch(/wrote a trace of \d+ tasks to .*trace\.json \(open it in https:\/\/ui\.perfetto\.dev or chrome:\/\/tracing\)/);
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
});
