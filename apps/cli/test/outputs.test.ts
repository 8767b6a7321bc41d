import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const cliRoot = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "kpu-outputs-"));
/** A regular file where the commands below expect a folder. */
const file = join(dir, "f");
writeFileSync(file, "not a folder\n");

function results(): string {
  const rows = [];
  for (const variant of ["seed-rules", "host-rules"]) {
    for (const m of [16, 32]) rows.push({ variant, kernel: "qkv", m, n: 768, k: 768, threads: 2, medianUs: 100, p10Us: 95, gflops: 10, runs: 30, attempts: 1, stolenFraction: 0, noisy: false });
  }
  const l = (bytes: number, ways: number): object => ({ bytes, ways, lineBytes: 64 });
  const doc = {
    schemaVersion: 2,
    kind: "kpu.cpu.results",
    host: { name: "fixture", isa: "avx512", vectorBits: 512, vectorRegisters: 32, fmaUnits: 2, fmaLatencyCycles: 4, cores: 2, prefetchStreams: 32, l1d: l(49152, 12), l2: l(2097152, 16), l3: l(33554432, 16), source: "fixture" },
    compiler: { command: "cc", version: "cc 12", flags: ["-O3"] },
    threads: 2,
    openblas: { available: false, note: "fixture" },
    results: rows,
    failures: [],
  };
  const path = join(dir, "results.json");
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** Each writes under the regular file `f`, or names `f` where a folder is expected. */
const cases: [string, () => string[], string][] = [
  ["compile --out f/x.json", () => ["compile", "--example", "mlp", "--tile", "32", "--emit", "tiled", "--out", join(file, "x.json")], `--out ${join(file, "x.json")}`],
  ["sim --gantt f/g.svg", () => ["sim", "--hw", "edge-ai", "--m", "64", "--n", "64", "--k", "64", "--strategy", "os", "--gantt", join(file, "g.svg")], `--gantt ${join(file, "g.svg")}`],
  ["sim --trace f/t.json", () => ["sim", "--hw", "edge-ai", "--m", "64", "--n", "64", "--k", "64", "--strategy", "os", "--trace", join(file, "t.json")], `--trace ${join(file, "t.json")}`],
  ["analyze --trace f/t.json", () => ["analyze", "--example", "mlp", "--hw", "minimal", "--trace", join(file, "t.json")], `--trace ${join(file, "t.json")}`],
  ["report --out f/r.html", () => ["report", results(), "--out", join(file, "r.html")], `--out ${join(file, "r.html")}`],
  ["demo --out f", () => ["demo", "--out", file], `--out ${file}`],
  ["cpu report --out-dir f", () => ["cpu", "report", results(), "--out-dir", file], `--out-dir ${file}`],
  ["l3 sweep --out f (a file)", () => ["l3", "sweep", "--preset", "focused", "--out", file, "--workers", "1"], `--out ${file}`],
  ["l3 sweep --out f/sub", () => ["l3", "sweep", "--preset", "focused", "--out", join(file, "sub"), "--workers", "1"], `--out ${file}`],
];

describe("every output path is safe", () => {
  it.each(cases)("%s: a KpuError naming the flag and path, exit 2, no stack, nothing left behind", async (_name, args, where) => {
    const before = readdirSync(dir).filter((n) => n !== "results.json");
    const r = await kpu(...args());
    expect(r.code).toBe(2);
    const first = r.stderr.split("\n").find((l) => l.startsWith("error"))!;
    expect(first).toMatch(/^error KPU_BAD_OUTPUT at /);
    expect(first).toContain(where);
    expect(first).toMatch(/a part of the path is a file|a file with this name exists where a folder is needed/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST/);
    expect(readdirSync(dir).filter((n) => n !== "results.json")).toEqual(before);
  });

  it("a write into a folder leaves no temporary file beside the output", async () => {
    const out = join(dir, "ok");
    mkdirSync(out);
    const r = await kpu("compile", "--example", "mlp", "--tile", "32", "--emit", "tiled", "--out", join(out, "x.json"));
    expect(r.code).toBe(0);
    expect(readdirSync(out)).toEqual(["x.json"]);
  });
});

describe("kpu l3 sweep grids", () => {
  const run = async (grid: string[]): Promise<{ code: number; stderr: string; rows: number }> => {
    const path = join(mkdtempSync(join(dir, "g-")), "grid.yaml");
    writeFileSync(path, grid.join("\n"));
    const r = await kpu("l3", "sweep", "--grid", path, "--out", join(path, "..", "out"), "--workers", "1", "--no-plots", "--json");
    return { code: r.code, stderr: r.stderr, rows: r.code === 0 ? (JSON.parse(r.stdout) as { rows: number }).rows : -1 };
  };

  it("1MiB and 1024KiB, [ws, ws] and a repeated workload are one entry each, with a warning", async () => {
    const r = await run([
      "workloads:",
      "  - { name: a, m: 128, n: 128, k: 128 }",
      "  - { name: b, m: 256, n: 128, k: 128 }",
      "  - { name: a, m: 128, n: 128, k: 128 }",
      "l3: [1MiB, 1024KiB, 2MiB]",
      "strategies: [ws, ws, os]",
      "",
    ]);
    expect(r.code).toBe(0);
    expect(r.rows).toBe(2 * 2 * 2);
    expect(r.stderr).toMatch(/warning: .*l3\.1 is the same size as l3\.0/);
    expect(r.stderr).toMatch(/warning: .*strategies\.1 repeats ws/);
    expect(r.stderr).toMatch(/warning: .*workloads\.2 repeats workload "a"/);
  });

  it("two different workloads with one name are refused, naming the grid", async () => {
    const r = await run(["workloads:", "  - { name: a, m: 128, n: 128, k: 128 }", "  - { name: a, m: 256, n: 128, k: 128 }", "l3: [1MiB]", ""]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_SCHEMA at .*grid\.yaml:workloads\.1\.name: two different workloads are named "a"/);
  });
});

describe("two kpu l3 sweep processes into one folder", () => {
  it("one fails at once with the lock error naming the holder's pid (exit 2); the other writes every row once", async () => {
    const grid = join(dir, "par-grid.yaml");
    writeFileSync(grid, ["workloads:", "  - { name: a, m: 512, n: 512, k: 512 }", "  - { name: b, m: 1024, n: 256, k: 512 }", "l3: [256KiB, 1MiB, 4MiB]", ""].join("\n"));
    const out = join(dir, "par");
    const start = (): Promise<{ code: number; stderr: string; pid: number }> =>
      new Promise((done) => {
        const child = spawn(process.execPath, ["--conditions=@kpu/source", "--import", "tsx", join(cliRoot, "src/bin.ts"), "l3", "sweep", "--grid", grid, "--out", out, "--workers", "2", "--no-plots"], { cwd: cliRoot });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => {
          done({ code: code ?? -1, stderr, pid: child.pid! });
        });
      });
    const [a, b] = await Promise.all([start(), start()]);
    const [ok, locked] = a.code === 0 ? [a, b] : [b, a];
    expect(ok.code).toBe(0);
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(new RegExp(`^error KPU_L3_SWEEP_LOCKED at --out .*: another sweep is writing this folder \\(held by process ${ok.pid}\\)`));
    expect(locked.stderr).not.toMatch(/\n\s+at /);
    const lines = readFileSync(join(out, "rows.csv"), "utf8").trim().split("\n").slice(1);
    expect(lines).toHaveLength(2 * 3 * 3);
    expect(new Set(lines).size).toBe(lines.length);
  }, 60_000);
});
