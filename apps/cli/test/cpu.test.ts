import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-cpu-"));
/** A fixed host so rule decisions do not depend on the machine running the tests. */
const host = join(dir, "host.yaml");
writeFileSync(
  host,
  ["isa: avx512", "bf16Dot: false", "vectorBits: 512", "vectorRegisters: 32", "fmaUnits: 2", "cores: 2", ""].join("\n"),
);

describe("kpu cpu schedule", () => {
  it("derives every choice by a named rule, and --explain says why", async () => {
    const r = await kpu("cpu", "schedule", "--m", "64", "--n", "768", "--k", "768", "--explain", "--host-config", host, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { rules: string; decisions: { id: string; decides: string; because: string }[]; params: { lanes: number; mr: number } };
    expect(doc.rules).toBe("host");
    // 512-bit vectors hold 16 fp32 lanes (rule H1).
    expect(doc.params.lanes).toBe(16);
    expect(doc.decisions.find((d) => d.id === "H1")?.decides).toBe("lanes");
    for (const d of doc.decisions) expect(d.because.length).toBeGreaterThan(10);
  });

  it("--explain names the regime rule of a GEMV and of a B beyond L3", async () => {
    const decisionsOf = async (m: string, n: string, k: string): Promise<Map<string, string>> => {
      const r = await kpu("cpu", "schedule", "--m", m, "--n", n, "--k", k, "--explain", "--host-config", host, "--json");
      expect(r.code).toBe(0);
      return new Map((JSON.parse(r.stdout) as { decisions: { id: string; value: string }[] }).decisions.map((d) => [d.id, d.value]));
    };
    expect((await decisionsOf("1", "4096", "4096")).get("H11")).toMatch(/^MR = M = 1, NR = 64/);
    expect((await decisionsOf("16", "14336", "4096")).get("H12")).toMatch(/one column slab per thread/);
    expect((await decisionsOf("512", "4096", "4096")).get("H13")).toMatch(/^pack B once per KC x NC/);
    expect((await decisionsOf("64", "768", "768")).get("H11-H13")).toBe("none");
  });

  it("emits C for the seed rules", async () => {
    const r = await kpu("cpu", "schedule", "--m", "32", "--n", "768", "--k", "768", "--rules", "seed", "--emit", "c", "--host-config", host);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restrict/);
    expect(r.stdout).toMatch(/void\s+\w+\s*\(/);
  });

  it.each([
    ["non-positive shape", ["--m", "0", "--n", "8", "--k", "8"], /KPU_BAD_DIM at --m/],
    ["unknown rules", ["--m", "8", "--n", "8", "--k", "8", "--rules", "magic"], /--rules.*magic.*seed, host/],
  ])("%s: exit 2", async (_name, args, pattern) => {
    const r = await kpu("cpu", "schedule", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });

  it("refuses a host config with impossible values", async () => {
    const bad = join(dir, "bad-host.yaml");
    writeFileSync(bad, "vectorBits: 100\n");
    const r = await kpu("cpu", "schedule", "--m", "8", "--n", "8", "--k", "8", "--host-config", bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vectorBits/);
  });
});

describe("kpu cpu tune", () => {
  it("searches, re-measures its best candidates, and hands the answer to the bench's tuned variant", async () => {
    const log = join(dir, "tune.jsonl");
    const r = await kpu("cpu", "tune", "--m", "16", "--n", "48", "--k", "32", "--trials", "8", "--batch", "8", "--threads", "1", "--log", log, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { shapes: { trials: number; best: { source: string; key: string } | null; curve: number[] }[] };
    expect(doc.shapes[0]?.trials).toBe(8);
    expect(doc.shapes[0]?.curve).toHaveLength(8);
    expect(doc.shapes[0]?.best?.source).toBe("verify");
    const logged = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { source: string });
    expect(logged.filter((t) => t.source === "verify")).toHaveLength(4);
    const out = join(dir, "tuned.json");
    const b = await kpu("cpu", "bench", "--m", "16", "--n", "48", "--k", "32", "--variants", "tuned", "--tune-log", log, "--threads", "1", "--out", out, "--json");
    expect(b.code).toBe(0);
    expect((JSON.parse(readFileSync(out, "utf8")) as { results: unknown[] }).results).toHaveLength(1);
  });
});

describe("kpu cpu bench", () => {
  it("compiles, checks and times host rules on a prime-sized shape, reporting median and p10", async () => {
    const out = join(dir, "results.json");
    const r = await kpu("cpu", "bench", "--m", "37", "--n", "53", "--k", "41", "--variants", "host-rules,seed-rules", "--threads", "1", "--runs", "30", "--out", out, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      results: { variant: string; m: number; n: number; k: number; threads: number; medianUs: number; p10Us: number; gflops: number }[];
    };
    expect(doc.results.map((x) => x.variant).sort()).toEqual(["host-rules", "seed-rules"]);
    for (const x of doc.results) {
      expect([x.m, x.n, x.k, x.threads]).toEqual([37, 53, 41, 1]);
      expect(x.p10Us).toBeLessThanOrEqual(x.medianUs);
      expect(x.gflops).toBeCloseTo((2 * 37 * 53 * 41) / (x.medianUs * 1e3), 6);
    }
  });
});

describe("kpu cpu bench --dtype bf16", () => {
  it("times bf16 host rules beside float32 ones and oneDNN's bf16 GEMM, keeps them apart in the report, and refuses an unknown dtype", async () => {
    const out = join(dir, "bf16.json");
    const r = await kpu("cpu", "bench", "--m", "37", "--n", "53", "--k", "41", "--dtype", "f32,bf16", "--variants", "host-rules,onednn", "--threads", "1", "--runs", "5", "--out", out, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as { results: { variant: string; dtype?: string }[]; failures: { variant: string; dtype?: string; reason: string }[] };
    expect(doc.results.filter((x) => x.variant === "host-rules").map((x) => x.dtype ?? "f32").sort()).toEqual(["bf16", "f32"]);
    // oneDNN 2.x has its bf16 GEMM on AVX-512 hosts only: measured there, a failure with its status elsewhere.
    const peer = doc.results.find((x) => x.variant === "onednn" && x.dtype === "bf16") ?? doc.failures.find((f) => f.variant === "onednn" && f.dtype === "bf16");
    expect(peer).toBeDefined();
    const rep = await kpu("cpu", "report", out, "--out-dir", join(dir, "bf16-plots"));
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/host-rules\.bf16/);
    expect(rep.stdout).toMatch(/host-rules bf16 \/ f32 throughput: [\d.]+x geomean over 1 shapes/);
    const bad = await kpu("cpu", "bench", "--m", "8", "--n", "8", "--k", "8", "--dtype", "fp8", "--variants", "host-rules");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/KPU_BAD_FLAG/);
    expect(bad.stderr).toMatch(/"fp8" is not one of f32, bf16/);
  });

  it("kpu cpu schedule --dtype bf16 --explain names the bf16 rule (H14) and emits a kernel on bfloat16 operands", async () => {
    const r = await kpu("cpu", "schedule", "--m", "128", "--n", "768", "--k", "768", "--dtype", "bf16", "--host-config", host, "--explain", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { decisions: { id: string; value: string }[] };
    expect(doc.decisions.find((d) => d.id === "H14")?.value).toMatch(/^widen bf16/);
    const c = await kpu("cpu", "schedule", "--m", "16", "--n", "64", "--k", "32", "--dtype", "bf16", "--host-config", host, "--emit", "c");
    expect(c.stdout).toMatch(/const unsigned short \*restrict A, const unsigned short \*restrict B, float \*restrict C/);
  });
});

describe("kpu cpu bench with the peer libraries", () => {
  it("times OpenBLAS, BLIS and oneDNN beside the host rules, names what each selected, and reports the roofline per shape", async () => {
    const out = join(dir, "peers.json");
    const shapes = join(dir, "primes.json");
    writeFileSync(shapes, JSON.stringify([{ m: 31, n: 67, k: 59, kernel: "p", shapeClass: "primes" }]));
    const r = await kpu("cpu", "bench", "--shapes", shapes, "--variants", "host-rules,peers", "--threads", "1", "--runs", "5", "--peak", "--out", out, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      schemaVersion: number;
      peers: Record<string, { available: boolean; core?: string; note: string }>;
      bandwidthGBps: { l2: number; l3: number; dram: number };
      results: { variant: string; shapeClass?: string }[];
      failures: { variant: string; reason: string }[];
    };
    expect(doc.schemaVersion).toBe(5);
    expect(Object.keys(doc.peers).sort()).toEqual(["blis", "onednn", "openblas"]);
    for (const [peer, status] of Object.entries(doc.peers)) {
      // CI installs all three; elsewhere a missing one is a failure naming its Debian package, never a crash.
      if (status.available) expect(doc.results.find((x) => x.variant === peer)).toMatchObject({ shapeClass: "primes" });
      else expect(doc.failures.find((f) => f.variant === peer)?.reason).toMatch(/install lib(openblas|blis|dnnl)-dev/);
    }
    expect(doc.bandwidthGBps.l2).toBeGreaterThan(doc.bandwidthGBps.dram);
    const rep = await kpu("cpu", "report", out, "--out-dir", join(dir, "peer-plots"));
    expect(rep.stderr).toBe("");
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/per class: host-rules geomean/);
    expect(rep.stdout).toMatch(/│ primes +│ 31x67x59 +│ compute +│ L2 +│/);
  });
});

describe("kpu cpu report", () => {
  /** A results file made here, not measured: each variant runs every BERT shape at a fixed GFLOP/s. */
  function syntheticResults(): string {
    const rates: Record<string, number> = { "seed-rules": 25, "host-rules": 270, tuned: 280, openblas: 210 };
    const results = [];
    for (const [n, k, kernel] of [[768, 768, "qkv"], [3072, 768, "mlp_expand"], [768, 3072, "mlp_reduce"]] as const) {
      for (const m of [16, 32, 64, 96, 128, 192, 256, 384]) {
        for (const [variant, gflops] of Object.entries(rates)) {
          const medianUs = (2 * m * n * k) / (gflops * 1e3);
          results.push({ variant, kernel, m, n, k, threads: 2, medianUs, p10Us: medianUs * 0.95, gflops, runs: 30, attempts: 1, stolenFraction: 0, noisy: false });
        }
      }
    }
    const l = (bytes: number, ways: number): object => ({ bytes, ways, lineBytes: 64 });
    const doc = {
      schemaVersion: 2,
      kind: "kpu.cpu.results",
      host: { name: "fixture host", isa: "avx512", vectorBits: 512, vectorRegisters: 32, fmaUnits: 2, fmaLatencyCycles: 4, cores: 2, prefetchStreams: 32, l1d: l(49152, 12), l2: l(2097152, 16), l3: l(33554432, 16), source: "fixture" },
      compiler: { command: "cc", version: "cc (fixture) 12.2.0", flags: ["-O3"] },
      threads: 2,
      openblas: { available: true, core: "SkylakeX", note: "fixture" },
      peakGflops: 420,
      kernelCeilingGflops: 360,
      streamGBps: 32,
      results,
      failures: [],
    };
    const file = join(dir, "synthetic-results.json");
    writeFileSync(file, JSON.stringify(doc));
    return file;
  }

  it("prints the pivot tables, ratios and roofline bound (golden) and writes the SVG plots", async () => {
    const file = syntheticResults();
    const plots = join(dir, "plots");
    const r = await kpu("cpu", "report", file, "--out-dir", plots);
    expect(r.code).toBe(0);
    const text = r.stdout.replaceAll(dir, "<tmp>");
    // Closed form: B streams only for M = 16 with N or K = 3072 (4.7 MB per thread > 2 MiB L2), bound 8 flops/B x 32 GB/s.
    const bound = Math.exp((22 * Math.log(360) + 2 * Math.log(256)) / 24);
    expect(text).toContain(`geomean over the host-rules shapes: ${bound.toFixed(1)} GFLOP/s`);
    expect(text).toContain("host-rules / openblas throughput: 1.286x at median");
    const golden = join(import.meta.dirname, "golden", "cpu-report.txt");
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, "utf8"));
    for (const name of ["latency-qkv.svg", "latency-mlp_expand.svg", "latency-mlp_reduce.svg", "speedup-heatmap.svg"]) {
      expect(readFileSync(join(plots, name), "utf8")).toMatch(/^<svg/);
    }
  });
});
