import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SWEEP_COLUMNS, bestStrategies, parseGridFile, parseSweepCsv, presetSpec, runSweep, sweepPlots, type SweepSpec } from "@kpu/scheduler";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "kpu-l3-sweep-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const small: SweepSpec = {
  workloads: [
    { name: "sq", category: "", aspect: "", m: 512, n: 512, k: 512 },
    { name: "wide", category: "", aspect: "", m: 128, n: 2048, k: 256 },
    { name: "bad", category: "", aspect: "", m: 0, n: 64, k: 64 },
  ],
  strategies: ["ws", "is", "os"],
  l3Bytes: [256 * 1024, 1 * MiB, 4 * MiB],
  model: "kpu",
  cAccounting: "rmw",
};

describe("sweeps", () => {
  it("writes kpu-sim's columns first, records a bad point as a failed row and goes on", async () => {
    const out = tmp();
    const r = await runSweep(small, { outDir: out, workers: 1 });
    expect(r.rows).toHaveLength(27);
    expect(r.failedRows).toBe(9);
    const bad = r.rows.find((x) => x.Workload_Name === "bad")!;
    expect(bad.Status).toBe("failed");
    expect(bad.Reason).toMatch(/KPU_BAD_DIM at --m/);
    const header = readFileSync(r.files.csv, "utf8").split("\n")[0]!;
    expect(header.startsWith("Workload_Name,Category,Aspect,M,N,K,Strategy,L3_Size_MB,Overfetch_Total")).toBe(true);
    expect(header.split(",")).toEqual([...SWEEP_COLUMNS]);
    const json = JSON.parse(readFileSync(r.files.json, "utf8")) as { rows: unknown[] };
    expect(json.rows).toHaveLength(27);
  });

  it("a killed sweep resumes without losing or duplicating rows, and ends byte-identical", async () => {
    const full = tmp();
    const reference = await runSweep(small, { outDir: full, workers: 1 });
    const expected = readFileSync(reference.files.csv, "utf8");

    const out = tmp();
    await runSweep(small, { outDir: out, workers: 1 });
    const log = join(out, "rows.csv");
    const text = readFileSync(log, "utf8");
    // simulate a kill: keep 10 complete rows and half of the 11th
    const lines = text.split("\n");
    const keep = `${lines.slice(0, 11).join("\n")}\n${lines[11]!.slice(0, 20)}`;
    writeFileSync(log, keep);
    const resumed = await runSweep(small, { outDir: out, workers: 1 });
    expect(resumed.resumedRows).toBe(10);
    expect(resumed.computedRows).toBe(17);
    expect(readFileSync(resumed.files.csv, "utf8")).toBe(expected);
    const logRows = parseSweepCsv(readFileSync(log, "utf8"));
    expect(logRows).toHaveLength(27);
    expect(new Set(logRows.map((x) => `${x.Workload_Name}|${x.Strategy}|${x.L3_Bytes}`)).size).toBe(27);

    // running again computes nothing
    const again = await runSweep(small, { outDir: out, workers: 1 });
    expect(again.computedRows).toBe(0);
    truncateSync(log, 0);
  });

  it("refuses to resume a different sweep in the same directory", async () => {
    const out = tmp();
    await runSweep({ ...small, workloads: small.workloads.slice(0, 1) }, { outDir: out, workers: 1 });
    await expect(runSweep(small, { outDir: out, workers: 1 })).rejects.toThrow(/different sweep/);
  });

  it("uses worker threads and gets the same rows as one thread", async () => {
    const spec = { ...presetSpec("focused", "kpu-sim"), workloads: presetSpec("focused").workloads.slice(0, 4) };
    const one = await runSweep(spec, { outDir: tmp(), workers: 1 });
    const two = await runSweep(spec, { outDir: tmp(), workers: 2 });
    expect(two.rows).toEqual(one.rows);
    expect(one.rows).toHaveLength(4 * 3 * 5);
  });

  it("renders the two SVG plots", async () => {
    const r = await runSweep({ ...small, workloads: small.workloads.slice(0, 2) }, { outDir: tmp(), workers: 1 });
    const plots = await sweepPlots(r.rows);
    expect(plots.overfetchSvg).toMatch(/^<svg/);
    expect(plots.bestStrategySvg).toMatch(/^<svg/);
    expect(plots.bestStrategySvg).toContain("WS");
  });

  it("names every strategy that ties for least DRAM traffic, never just the first", async () => {
    // at 64 MiB every strategy of a 512^3 matmul moves only the compulsory bytes
    const spec: SweepSpec = { ...small, workloads: [{ name: "Small Square", category: "", aspect: "", m: 512, n: 512, k: 512 }], l3Bytes: [256 * 1024, 64 * 1024 * 1024] };
    const r = await runSweep(spec, { outDir: tmp(), workers: 1 });
    for (const cell of bestStrategies(r.rows)) {
      // reference: every ok row of the cell at the least traffic, found by hand
      const rows = r.rows.filter((x) => x.Status === "ok" && Number(x.L3_Bytes) === cell.l3Bytes);
      const traffic = rows.map((x) => Number(x.DRAM_Read_Bytes) + Number(x.DRAM_Write_Bytes));
      const least = Math.min(...traffic);
      expect(cell.strategies).toEqual(rows.filter((_, i) => traffic[i] === least).map((x) => x.Strategy));
      expect(cell.strategy).toBe(cell.strategies.join("="));
    }
    const big = bestStrategies(r.rows).find((c) => c.l3Bytes === 64 * 1024 * 1024)!;
    expect(big.strategies.length).toBeGreaterThan(1);
    expect(await sweepPlots(r.rows).then((p) => p.bestStrategySvg)).toContain(`>${big.strategy}<`);
  });
});

describe("grid files", () => {
  it("reads YAML and JSON grids", () => {
    const yaml = "workloads:\n  - { name: a, m: 256, n: 256, k: 256 }\nl3: [1MiB, 16MiB]\nstrategies: [ws, os]\nmodel: kpu-sim\n";
    const g = parseGridFile(yaml, "g.yaml");
    expect(g.l3Bytes).toEqual([MiB, 16 * MiB]);
    expect(g.strategies).toEqual(["ws", "os"]);
    expect(g.model).toBe("kpu-sim");
    const j = parseGridFile(JSON.stringify({ workloads: [{ name: "a", m: 1, n: 2, k: 3 }], l3: ["2MiB"] }), "g.json");
    expect(j.model).toBe("kpu");
    expect(j.workloads[0]).toMatchObject({ m: 1, n: 2, k: 3 });
  });

  it("names the field of a malformed grid", () => {
    expect(() => parseGridFile("workloads: []\nl3: [1MiB]\n", "g.yaml")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA", where: "g.yaml:workloads" }));
    expect(() => parseGridFile("workloads: [{name: a, m: 1, n: 1, k: 1}]\nl3: [16]\n", "g.yaml")).toThrow(expect.objectContaining({ code: "KPU_BAD_SIZE", where: "g.yaml:l3.0" }));
    expect(() => parseGridFile("workloads: [{name: a, m: 1, n: 1, k: 1}]\nl3: [1MiB]\nstrategies: [xs]\n", "g.yaml")).toThrow(expect.objectContaining({ where: "g.yaml:strategies.0" }));
    expect(() => parseGridFile("{ not json", "g.json")).toThrow(expect.objectContaining({ code: "KPU_BAD_SYNTAX" }));
  });
});
