import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_CONFIG_KEYS } from "@kpu/cpu-matmul";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-hygiene-"));
const file = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
// eslint-disable-next-line no-control-regex
const CONTROL_BYTES = /[\u0000-\u0008\u000b-\u001f\u007f]/;

describe("resource estimates before big work", () => {
  it("kpu compile --example bert-layer --seq 65536 is refused before lowering, with the exact micro-op count", async () => {
    const t0 = performance.now();
    const r = await kpu("compile", "--example", "bert-layer", "--seq", "65536");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_TOO_LARGE at --max-uops: lowering would emit 42,909,696 micro-ops/);
    expect(r.stderr).toContain("--max-uops 43000000");
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("--max-uops is the limit: below the program's count refused, at it accepted", async () => {
    const ok = await kpu("compile", "--example", "mlp", "--json");
    const uops = (JSON.parse(ok.stdout) as { uops: { total: number } }).uops.total;
    expect((await kpu("compile", "--example", "mlp", "--max-uops", String(uops - 1))).code).toBe(2);
    expect((await kpu("compile", "--example", "mlp", "--max-uops", String(uops))).code).toBe(0);
  });

  it("kpu run on a model of 1e9 elements is refused at once, naming the estimate and --max-memory", async () => {
    const huge = file(
      "huge.json",
      JSON.stringify({
        schemaVersion: 1,
        kind: "kpu.graph",
        name: "huge",
        tensors: [
          { name: "a", shape: [31623, 31623], dtype: "fp32" },
          { name: "b", shape: [31623, 32], dtype: "fp32" },
          { name: "c", shape: [31623, 32], dtype: "fp32" },
        ],
        inputs: ["a", "b"],
        outputs: ["c"],
        ops: [{ id: "mm", kind: "matmul", inputs: ["a", "b"], outputs: ["c"] }],
      }),
    );
    const r = await kpu("run", huge);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_TOO_LARGE at --max-memory: executing huge needs about 14\.93 GiB \(tensors 14\.93 GiB, SRAM 256KiB\), more than the limit of 2\.00 GiB/);
    expect(r.stderr).toContain("--max-memory 15GiB");
  });

  it("--max-memory lowers or raises the bound", async () => {
    const r = await kpu("run", "--example", "mlp", "--max-memory", "64KiB");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("KPU_TOO_LARGE");
    expect((await kpu("run", "--example", "mlp", "--max-memory", "1GiB")).code).toBe(0);
  });
});

describe("quiet wrong answers", () => {
  it("compile --out without --emit is refused and writes nothing", async () => {
    const out = join(dir, "x.json");
    const r = await kpu("compile", "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_USAGE at --out: /);
    expect(r.stdout).not.toContain("wrote nothing");
    expect(existsSync(out)).toBe(false);
  });

  it("run --out without --emit schedule is refused", async () => {
    const r = await kpu("run", "--out", join(dir, "s.json"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_USAGE at --out: /);
  });

  it("flags that do nothing in context are warned about on stderr", async () => {
    const r = await kpu("compile", "--block", "2x2", "--policy", "fifo", "--seq", "64");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: --block has no effect without --order blocked");
    expect(r.stderr).toContain("warning: --policy has no effect without scheduling");
    expect(r.stderr).toContain("warning: --seq has no effect on --example mlp");
    // In context they are used: no warning.
    const used = await kpu("compile", "--order", "blocked", "--block", "2x2", "--policy", "fifo", "--emit", "schedule", "--json");
    expect(used.code).toBe(0);
    expect(used.stderr).toBe("");
  });

  it("--threads above the host's cores is warned about", async () => {
    const host = file("host-2.json", JSON.stringify({ cores: 2 }));
    const r = await kpu("cpu", "schedule", "--m", "64", "--n", "64", "--k", "64", "--host-config", host, "--threads", "1000");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: --threads 1000 is more than the 2 cores/);
    expect((await kpu("cpu", "schedule", "--m", "64", "--n", "64", "--k", "64", "--host-config", host, "--threads", "2")).stderr).toBe("");
  });

  it("--host-config: every key the help names is accepted, and the help names no other", async () => {
    const help = (await kpu("cpu", "schedule", "--help")).stdout.replace(/\s+/g, " ");
    for (const key of HOST_CONFIG_KEYS) expect(help).toContain(key);
    expect(help).not.toContain("caches");
    const config = { name: "x", isa: "avx2", bf16Dot: false, vectorBits: 256, vectorRegisters: 16, fmaUnits: 2, fmaLatencyCycles: 4, cores: 4, prefetchStreams: 16, l1d: { bytes: 32768, ways: 8, lineBytes: 64 }, l2: { bytes: 1048576, ways: 16, lineBytes: 64 }, l3: { bytes: 8388608, ways: 16, lineBytes: 64 } };
    expect(Object.keys(config).sort()).toEqual([...HOST_CONFIG_KEYS].sort());
    const r = await kpu("cpu", "schedule", "--m", "64", "--n", "64", "--k", "64", "--host-config", file("host-all.json", JSON.stringify(config)));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a binary host config: the error shows escapes, never raw control bytes", async () => {
    const bin = file("host.bin", Uint8Array.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0x07, 0x0d, 0x3a, 0x20, 0x78, 0x0a, 0x1b, 0x5d, 0x30, 0x3b, 0x70, 0x07]));
    const r = await kpu("cpu", "schedule", "--m", "8", "--n", "8", "--k", "8", "--host-config", bin);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_(BAD_SYNTAX|SCHEMA|CPU_BAD_HOST_CONFIG)/);
    expect(r.stderr).not.toMatch(CONTROL_BYTES);
    expect(r.stderr).toContain("\\x1b");
  });

  it("control bytes in a flag value are escaped too", async () => {
    const r = await kpu("compile", "--tile", "\u001b[2J7");
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(CONTROL_BYTES);
    expect(r.stderr).toContain('"\\x1b[2J7"');
  });

  it("a shapes entry without k names the field and says it is missing", async () => {
    const shapes = file("shapes.json", JSON.stringify([{ m: 64, n: 64, k: 64 }, { m: 16, n: 32 }]));
    const r = await kpu("cpu", "bench", "--shapes", shapes, "--variants", "seed-rules");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_SCHEMA at .*shapes\.json:\[1\]\.k: \[1\]\.k is missing/);
    const wrapped = file("shapes-wrapped.yaml", "shapes:\n  - {m: 16, n: 32, k: fast}\n");
    expect((await kpu("cpu", "bench", "--shapes", wrapped)).stderr).toContain("shapes[0].k must be a number");
  });
});

describe("kpu cpu report validates the results file", () => {
  const result = { variant: "host-rules", kernel: "qkv", m: 16, n: 768, k: 768, threads: 2, medianUs: 100, p10Us: 95, gflops: 188, runs: 30, attempts: 1, stolenFraction: 0, noisy: false };
  const doc = (results: unknown[]): string =>
    JSON.stringify({
      schemaVersion: 3,
      kind: "kpu.cpu.results",
      host: { name: "h", isa: "avx2", vectorBits: 256, vectorRegisters: 16, fmaUnits: 2, fmaLatencyCycles: 4, cores: 2, prefetchStreams: 32, l1d: { bytes: 32768, ways: 8, lineBytes: 64 }, l2: { bytes: 1048576, ways: 16, lineBytes: 64 }, l3: { bytes: 8388608, ways: 16, lineBytes: 64 }, source: "fixture" },
      compiler: { command: "cc", version: "cc 12", flags: ["-O3"] },
      threads: 2,
      openblas: { available: false, note: "fixture" },
      results,
      failures: [],
    });
  const report = async (name: string, text: string) => kpu("cpu", "report", file(name, text), "--out-dir", join(dir, `plots-${name}`), "--json");

  it("accepts a valid file", async () => {
    expect((await report("ok.json", doc([result]))).code).toBe(0);
  });

  const bad: readonly [string, string, string][] = [
    ["fast.json", doc([result, { ...result, m: 32, medianUs: "fast" }]), "results[1].medianUs must be a number"],
    ["negative.json", doc([{ ...result, medianUs: -5, p10Us: -6 }]), "results[0].medianUs must be greater than 0"],
    ["p10.json", doc([{ ...result, p10Us: 200 }]), "results[0].p10Us is invalid (p10Us is larger than medianUs)"],
    ["none.json", doc([]), "the file has no results"],
    ["empty.json", "", "the file is empty"],
    ["other.json", JSON.stringify({ kind: "kpu.graph" }), "not a kpu.cpu.results file"],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}: ${message}`, async () => {
      const r = await report(name, text);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error KPU_(SCHEMA|BAD_SYNTAX) at /);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
