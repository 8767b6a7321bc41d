import { spawnSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseGridFile, parseSweepCsv, runSweep, writeFileAtomic, type SweepSpec } from "@kpu/scheduler";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "kpu-sweep-safety-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const spec: SweepSpec = {
  workloads: [
    { name: "sq", category: "", aspect: "", m: 512, n: 512, k: 512 },
    { name: 'odd, "quoted"\nname', category: "c,1", aspect: "", m: 128, n: 256, k: 128 },
  ],
  strategies: ["ws", "is", "os"],
  l3Bytes: [256 * 1024, 1 * MiB],
  model: "kpu",
  cAccounting: "rmw",
};
const keys = (rows: readonly { Workload_Name: string; Strategy: string; L3_Bytes: string }[]): string[] =>
  rows.map((r) => `${r.Workload_Name}|${r.Strategy}|${r.L3_Bytes}`);
const quiet = { workers: 1, onWarning: (): void => undefined };

describe("sweep output folder lock", () => {
  it("two sweeps into one folder at once: one fails naming the holder's pid, the other writes every row once", async () => {
    const out = tmp();
    // two worker threads: the holder keeps the lock across many event-loop turns, as a separate process would
    const both = { ...quiet, workers: 2 };
    const results = await Promise.allSettled([runSweep(spec, { outDir: out, ...both }), runSweep(spec, { outDir: out, ...both })]);
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toHaveLength(1);
    const error = (failed[0] as PromiseRejectedResult).reason as { code: string; message: string; where: string };
    expect(error.code).toBe("KPU_L3_SWEEP_LOCKED");
    expect(error.message).toContain(`held by process ${process.pid}`);
    expect(error.where).toBe(out);
    const log = parseSweepCsv(readFileSync(join(out, "rows.csv"), "utf8"));
    const all = keys(log);
    expect(all).toHaveLength(12);
    expect(new Set(all).size).toBe(12);
    expect(parseSweepCsv(readFileSync(join(out, "sweep.csv"), "utf8"))).toHaveLength(12);
    // the lock is released: a third run resumes everything
    const again = await runSweep(spec, { outDir: out, ...quiet });
    expect(again.computedRows).toBe(0);
    expect(again.resumedRows).toBe(12);
  });

  it("a lock held by a live process names its pid; one left by a killed process is taken over", async () => {
    const out = tmp();
    mkdirSync(join(out, ".kpu-sweep.lock"));
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      writeFileSync(join(out, ".kpu-sweep.lock.owner"), JSON.stringify({ pid: child.pid, host: hostname() }));
      await expect(runSweep(spec, { outDir: out, ...quiet, outFlag: "--out" })).rejects.toMatchObject({
        code: "KPU_L3_SWEEP_LOCKED",
        message: expect.stringContaining(`held by process ${child.pid}`) as unknown,
        where: `--out ${out}`,
      });
    } finally {
      child.kill("SIGKILL");
    }
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(join(out, ".kpu-sweep.lock.owner"), JSON.stringify({ pid: Number(dead), host: hostname() }));
    const r = await runSweep(spec, { outDir: out, ...quiet });
    expect(r.rows).toHaveLength(12);
  }, 20_000);
});

describe("resume validates every stored row", () => {
  it("garbage, mis-typed, truncated and duplicated rows are reported by line and recomputed, never copied", async () => {
    const reference = await runSweep(spec, { outDir: tmp(), ...quiet });
    const expected = readFileSync(reference.files.csv, "utf8");
    const out = tmp();
    await runSweep(spec, { outDir: out, ...quiet });
    const log = join(out, "rows.csv");
    const rows = parseSweepCsv(readFileSync(log, "utf8"));
    const line = (r: Record<string, string>): string => readFileSync(reference.files.csv, "utf8").split("\n")[0]!.split(",").map((c) => {
      const v = r[c]!;
      return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
    }).join(",");
    const header = readFileSync(log, "utf8").split("\n")[0]!;
    const mistyped = { ...rows[1]!, DRAM_Read_Bytes: "abc" };
    const badStatus = { ...rows[2]!, Status: "maybe" };
    const nonFinite = { ...rows[3]!, Overfetch_Total: "Infinity" };
    const text = [header, line(rows[0]!), "garbage,line", line(mistyped), line(badStatus), line(nonFinite), line(rows[4]!), line(rows[4]!), line(rows[5]!).slice(0, 30)].join("\n");
    writeFileSync(log, text);
    const warnings: string[] = [];
    const r = await runSweep(spec, { outDir: out, workers: 1, onWarning: (m) => warnings.push(m) });
    expect(r.resumedRows).toBe(1);
    expect(r.computedRows).toBe(11);
    expect(readFileSync(r.files.csv, "utf8")).toBe(expected);
    expect(JSON.stringify(r.rows)).not.toContain("abc");
    const text2 = warnings.join("\n");
    expect(text2).toMatch(/rows\.csv:3: bad row \(\d+ cells/);
    expect(text2).toMatch(/rows\.csv:4: bad row \(DRAM_Read_Bytes "abc" is not a number\)/);
    expect(text2).toMatch(/rows\.csv:5: bad row \(Status "maybe"/);
    expect(text2).toMatch(/rows\.csv:6: bad row \(Overfetch_Total "Infinity" is not a number\)/);
    expect(text2).toMatch(/rows\.csv:8: bad row \(repeats the point of line 7\)/);
    expect(text2).toMatch(/rows\.csv:9: /);
    // the log now holds each point once
    const logKeys = keys(parseSweepCsv(readFileSync(log, "utf8")));
    expect(logKeys).toHaveLength(12);
    expect(new Set(logKeys).size).toBe(12);
  });

  it("workload names with newlines, commas and quotes survive and resume without recomputing", async () => {
    const out = tmp();
    const first = await runSweep(spec, { outDir: out, ...quiet });
    expect(first.rows.filter((r) => r.Workload_Name === spec.workloads[1]!.name)).toHaveLength(6);
    const again = await runSweep(spec, { outDir: out, ...quiet });
    expect(again.computedRows).toBe(0);
    expect(again.resumedRows).toBe(12);
    expect(parseSweepCsv(readFileSync(first.files.csv, "utf8"))).toEqual(first.rows);
  });
});

describe("grid entries are deduplicated by normalised key", () => {
  it("one entry per name, byte size and strategy, with warnings; two workloads under one name are refused", () => {
    const warnings: string[] = [];
    const g = parseGridFile(
      ["workloads:", "  - { name: a, m: 8, n: 8, k: 8 }", "  - { name: a, m: 8, n: 8, k: 8 }", "l3: [1MiB, 1024KiB]", "strategies: [ws, ws]", ""].join("\n"),
      "g.yaml",
      (m) => warnings.push(m),
    );
    expect(g.workloads).toHaveLength(1);
    expect(g.l3Bytes).toEqual([MiB]);
    expect(g.strategies).toEqual(["ws"]);
    expect(warnings).toHaveLength(3);
    expect(() => parseGridFile("workloads: [{ name: a, m: 8, n: 8, k: 8 }, { name: a, m: 9, n: 8, k: 8 }]\nl3: [1MiB]\n", "g.yaml")).toThrow(
      /two different workloads are named "a"/,
    );
  });
});

describe("writeFileAtomic", () => {
  it("fails under a regular file with a KpuError naming the flag and path, and leaves nothing behind", () => {
    const d = tmp();
    writeFileSync(join(d, "f"), "x");
    expect(() => writeFileAtomic(join(d, "f", "x.json"), "{}", "--out")).toThrow(
      expect.objectContaining({ code: "KPU_BAD_OUTPUT", where: `--out ${join(d, "f", "x.json")}` }) as Error,
    );
    mkdirSync(join(d, "dir"));
    expect(() => writeFileAtomic(join(d, "dir"), "{}", "--out")).toThrow(expect.objectContaining({ code: "KPU_BAD_OUTPUT", message: expect.stringContaining("is a folder") as unknown }) as Error);
    expect(spawnSync("ls", ["-A", join(d, "dir")], { encoding: "utf8" }).stdout).toBe("");
  });
});
