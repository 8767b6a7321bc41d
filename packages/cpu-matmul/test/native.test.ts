import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  TiledSpace,
  bestFromTuneLog,
  emitKernelC,
  hostRules,
  manualSchedule,
  MANUAL_VARIANTS,
  measureKernels,
  measurePeak,
  peerMissingReason,
  regimeOf,
  PEERS,
  seedRules,
  tiledSchedule,
  trialScore,
  tuneShape,
  validateSchedule,
  type KernelSpec,
  type MatmulShape,
  type Primitive,
  type Schedule,
  type TrialRecord,
} from "../src/index.js";
import { RUN_HOST } from "./helpers.js";

const cache = mkdtempSync(join(tmpdir(), "kpu-cpu-test-"));
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
});
/** Correctness runs: one timed run each, no re-measuring (timing is not what these tests check). */
const quick = { host: RUN_HOST, threads: 2, minRuns: 1, minWindowMs: 0, warmup: 0, maxAttempts: 1, cacheDir: cache, timeoutMs: 60_000 };

/** A random trace over the primitives: splits, an interleaved order, fuse + parallel, vectorize, unroll, cache_write, packs. */
const traceArb = fc.record({
  m: fc.constantFrom(1, 2, 3, 7, 13, 16, 17, 31, 32, 37),
  n: fc.constantFrom(1, 3, 11, 16, 29, 32, 48, 53, 64),
  k: fc.constantFrom(1, 2, 5, 16, 19, 23, 64),
  splits: fc.tuple(
    fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 2 }),
    fc.array(fc.constantFrom(2, 3, 4, 8, 16, 32), { maxLength: 2 }),
    fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 2 }),
  ),
  interleave: fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
  fuse: fc.boolean(),
  parallel: fc.boolean(),
  vectorize: fc.boolean(),
  unrollMask: fc.nat({ max: 511 }),
  cacheAt: fc.integer({ min: -2, max: 8 }),
  decompose: fc.boolean(),
  packA: fc.integer({ min: -2, max: 8 }),
  packB: fc.integer({ min: -2, max: 8 }),
  width: fc.constantFrom(1, 3, 4, 8, 16, 32),
  prefetch: fc.constantFrom(0, 0, 1, 3, 8),
});

type TraceCase = typeof traceArb extends fc.Arbitrary<infer R> ? R : never;

function buildTrace(t: TraceCase): { shape: MatmulShape; schedule: Schedule } {
  const steps: Primitive[] = [];
  const levels: string[][] = (["i", "j", "k"] as const).map((axis, a) => {
    let current: string = axis;
    const names: string[] = [];
    t.splits[a]!.forEach((f, n) => {
      steps.push({ op: "split", loop: current, factor: f, outer: `${axis}${n}`, inner: `${axis}${n}x` });
      names.push(`${axis}${n}`);
      current = `${axis}${n}x`;
    });
    names.push(current);
    return names;
  });
  const order: string[] = [];
  const pos = [0, 0, 0];
  for (let n = 0; order.length < levels.flat().length; n++) {
    const open = [0, 1, 2].filter((a) => pos[a]! < levels[a]!.length);
    const a = open[(t.interleave[n % 9] ?? 0) % open.length]!;
    order.push(levels[a]![pos[a]!]!);
    pos[a]! += 1;
  }
  steps.push({ op: "reorder", loops: order });
  let loops = [...order];
  if (t.fuse && loops.length > 1 && !loops[0]!.startsWith("k") && !loops[1]!.startsWith("k") && loops[0]![0] !== loops[1]![0]) {
    steps.push({ op: "fuse", loops: [loops[0]!, loops[1]!], name: "f" });
    loops = ["f", ...loops.slice(2)];
  }
  if (t.parallel) steps.push({ op: "parallel", loop: loops[0]! });
  const last = loops[loops.length - 1]!;
  if (t.vectorize && last.startsWith("j")) steps.push({ op: "vectorize", loop: last });
  // At most one unrolled loop (the validator caps extents at 256): keeps compile time of the batch small.
  const u = loops.findIndex((l, n) => (t.unrollMask >> n) & 1 && !(t.vectorize && l === last) && !(t.parallel && n === 0));
  if (u >= 0) steps.push({ op: "unroll", loop: loops[u]! });
  const at = (n: number): string | undefined => (n === -1 ? "root" : n >= 0 && n < loops.length ? loops[n] : undefined);
  const cacheAt = at(t.cacheAt);
  if (cacheAt !== undefined) steps.push({ op: "cache_write", at: cacheAt });
  if (t.decompose) steps.push({ op: "decompose_reduction" });
  const pa = at(t.packA);
  if (pa !== undefined) steps.push({ op: "pack", operand: "A", at: pa, width: t.width });
  const pb = at(t.packB);
  if (pb !== undefined) steps.push({ op: "pack", operand: "B", at: pb, width: t.width });
  if (t.prefetch > 0) steps.push({ op: "prefetch", operand: "B", distance: t.prefetch });
  return { shape: { m: t.m, n: t.n, k: t.k }, schedule: { name: "random", steps } };
}

describe("generated kernels are checked against the reference", () => {
  it("random legal schedules on small random shapes (primes included) all match the reference", async () => {
    const specs: KernelSpec[] = [];
    const traces = new Map<string, string>();
    for (const t of fc.sample(traceArb, { numRuns: 600, seed: 42 })) {
      if (specs.length >= 40) break;
      const { shape, schedule } = buildTrace(t);
      const v = validateSchedule(schedule, shape, RUN_HOST);
      if (!v.ok) continue;
      const id = `trace${specs.length}`;
      traces.set(id, `${shape.m}x${shape.n}x${shape.k}: ${JSON.stringify(schedule.steps)}`);
      specs.push({ id, kind: "nest", nest: v.nest });
    }
    // The tuner's space, including full register tiles, on shapes whose sizes are prime or not multiples of the tile.
    const shapes = [{ m: 32, n: 96, k: 23 }, { m: 37, n: 53, k: 19 }, { m: 16, n: 64, k: 7 }, { m: 97, n: 89, k: 83 }];
    let n = 0;
    for (const t of fc.sample(fc.nat(), { numRuns: 200, seed: 7 })) {
      if (n >= 20) break;
      const shape = shapes[t % shapes.length]!;
      const space = new TiledSpace(shape, RUN_HOST);
      let s = t;
      const params = space.random(() => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648));
      const v = validateSchedule(tiledSchedule("tiled", params), shape, RUN_HOST);
      if (!v.ok) continue;
      specs.push({ id: `tiled${n++}`, kind: "nest", nest: v.nest });
      traces.set(`tiled${n - 1}`, JSON.stringify({ shape, params }));
    }
    for (const shape of [{ m: 7, n: 13, k: 29 }, { m: 64, n: 96, k: 48 }, { m: 101, n: 211, k: 67 }]) {
      for (const v of MANUAL_VARIANTS) {
        const r = validateSchedule(manualSchedule(v), shape, RUN_HOST);
        if (r.ok) specs.push({ id: `${v}-${shape.m}`, kind: "nest", nest: r.nest });
      }
      for (const [name, schedule] of [["seed-rules", seedRules(shape).schedule], ["host-rules", hostRules(shape, RUN_HOST, 2).schedule]] as const) {
        const r = validateSchedule(schedule, shape, RUN_HOST);
        expect(r.ok).toBe(true);
        if (r.ok) specs.push({ id: `${name}-${shape.m}`, kind: "nest", nest: r.nest });
      }
    }
    expect(specs.length).toBeGreaterThan(60);
    // Edge tiles of register-tiled schedules run the register kernel on padded operands: make sure many are checked.
    const edgeKernels = specs.filter((s) => s.kind === "nest" && emitKernelC(s.nest, RUN_HOST, "f").includes("float et[")).length;
    expect(edgeKernels).toBeGreaterThanOrEqual(10);
    const results = await measureKernels(specs, quick);
    const bad = results.flatMap((r) => (r.ok ? [] : [`${r.id} ${r.reason} ${traces.get(r.id) ?? ""}`]));
    expect(bad).toEqual([]);
    for (const r of results) if (r.ok) expect(r.relErr).toBeLessThanOrEqual(1e-4);
  }, 240_000);

  it("records a crash, a hang and a wrong result as failed candidates and keeps measuring the rest", async () => {
    const shape = { m: 8, n: 8, k: 8 };
    const ok = validateSchedule(manualSchedule("baseline"), shape, RUN_HOST);
    if (!ok.ok) throw new Error(ok.reason);
    const sig = "void KPU_FN(const float *restrict A, const float *restrict B, float *restrict C)";
    const results = await measureKernels(
      [
        { id: "crash", kind: "c", shape, code: `${sig} { (void)A; (void)B; (void)C; __builtin_trap(); }` },
        { id: "wrong", kind: "c", shape, code: `${sig} { (void)A; (void)B; for (int x = 0; x < 64; x++) C[x] = 1.0f; }` },
        { id: "hang", kind: "c", shape, code: `${sig} { (void)A; (void)B; volatile int s = 1; while (s) C[0] = 0; }` },
        { id: "broken", kind: "c", shape, code: `${sig} { this is not C; }` },
        { id: "good", kind: "nest", nest: ok.nest },
      ],
      { ...quick, timeoutMs: 3000 },
    );
    const by = new Map(results.map((r) => [r.id, r]));
    expect(by.get("crash")).toMatchObject({ ok: false, reason: expect.stringMatching(/crashed \(SIG/) });
    expect(by.get("wrong")).toMatchObject({ ok: false, reason: expect.stringMatching(/wrong result: max relative error/) });
    expect(by.get("hang")).toMatchObject({ ok: false, reason: expect.stringMatching(/hung/) });
    expect(by.get("broken")).toMatchObject({ ok: false, reason: expect.stringMatching(/compile error/) });
    expect(by.get("good")).toMatchObject({ ok: true });
  }, 120_000);

  it("OpenBLAS's result is checked against the float64 reference like every kernel (skipped without OpenBLAS)", async (ctx) => {
    const shape = { m: 32, n: 64, k: 64 };
    const v = validateSchedule(hostRules(shape, RUN_HOST, 2).schedule, shape, RUN_HOST);
    if (!v.ok) throw new Error(v.reason);
    const [h, blas] = await measureKernels([{ id: "h", kind: "nest", nest: v.nest }, { id: "blas", kind: "peer", peer: "openblas", shape }], { ...quick, minRuns: 30, maxAttempts: 2 });
    expect(h).toMatchObject({ ok: true });
    if (h?.ok === true) {
      expect(h.runs).toBeGreaterThanOrEqual(30);
      expect(h.relErr).toBeLessThanOrEqual(1e-4);
      expect(h.p10Us).toBeGreaterThan(0);
      expect(Number.isFinite(h.medianUs)).toBe(true);
    }
    if (blas?.ok === false && blas.reason === peerMissingReason("openblas")) {
      ctx.skip();
      return;
    }
    expect(blas).toMatchObject({ ok: true, blasCore: expect.any(String) });
    // relErr is max |C - reference| / max |reference| over the whole C, computed before timing: a wrong sgemm call
    // (transposed operand, wrong leading dimension) fails the measurement instead.
    if (blas?.ok === true) {
      expect(blas.relErr).toBeGreaterThanOrEqual(0);
      expect(blas.relErr).toBeLessThanOrEqual(1e-5);
      expect(blas.runs).toBeGreaterThanOrEqual(30);
    }
  }, 120_000);

  it("every regime's kernel (GEMV, B streamed, B packed per block) is checked against the reference on primes", async () => {
    // A host whose L3 is 256 KiB puts B beyond half of it at small sizes, so H12 and H13 run here in milliseconds.
    const small = { ...RUN_HOST, l3: { ...RUN_HOST.l3, bytes: 256 * 1024 }, l2: { ...RUN_HOST.l2, bytes: Math.min(RUN_HOST.l2.bytes, 256 * 1024) } };
    const shapes: [MatmulShape, string][] = [
      [{ m: 1, n: 1031, k: 263 }, "gemv"],
      [{ m: 3, n: 127, k: 997 }, "gemv"],
      [{ m: 4, n: 64, k: 64 }, "gemv"],
      [{ m: 13, n: 1031, k: 263 }, "weights-stream"],
      [{ m: 97, n: 1031, k: 263 }, "weights-block"],
      [{ m: 131, n: 769, k: 521 }, "weights-block"],
    ];
    const specs: KernelSpec[] = shapes.map(([shape, regime]) => {
      const plan = hostRules(shape, small, 2);
      expect(regimeOf(shape, small, plan.params.mr)).toBe(regime);
      const v = validateSchedule(plan.schedule, shape, small);
      if (!v.ok) throw new Error(v.reason);
      return { id: `${regime}/${shape.m}`, kind: "nest", nest: v.nest };
    });
    const out = await measureKernels(specs, { ...quick, host: small });
    for (const m of out) expect(m, m.id).toMatchObject({ ok: true });
  }, 120_000);

  it("BLIS and oneDNN are checked against the reference on prime sizes and report their kernel / ISA (skipped when absent)", async (ctx) => {
    const shapes = [{ m: 37, n: 61, k: 53 }, { m: 1, n: 127, k: 131 }];
    const specs: KernelSpec[] = shapes.flatMap((shape) => (["blis", "onednn"] as const).map((peer) => ({ id: `${peer}/${shape.m}`, kind: "peer" as const, peer, shape })));
    const out = await measureKernels(specs, { ...quick, minRuns: 3 });
    const missing = out.filter((m) => !m.ok && (m.reason === peerMissingReason("blis") || m.reason === peerMissingReason("onednn")));
    if (missing.length > 0) {
      ctx.skip();
      return;
    }
    for (const m of out) {
      expect(m).toMatchObject({ ok: true, blasCore: expect.stringMatching(/\S/) });
      if (m.ok) expect(m.relErr).toBeLessThanOrEqual(1e-5);
    }
    // oneDNN names its ISA from dnnl_cpu_isa_t; BLIS its configuration (zen3, skx, haswell, ...).
    const isa = out.find((m) => m.id.startsWith("onednn"));
    if (isa?.ok === true) expect(isa.blasCore).toMatch(/^(sse41|avx|avx2|avx2_vnni|avx512_core|avx512_core_vnni|avx512_core_bf16|avx512_core_amx)$/);
  }, 120_000);

  it("a peer whose library is absent is a failed record naming the library and the Debian package", async () => {
    const shape = { m: 8, n: 16, k: 16 };
    const v = validateSchedule(hostRules(shape, RUN_HOST, 1).schedule, shape, RUN_HOST);
    if (!v.ok) throw new Error(v.reason);
    const specs: KernelSpec[] = [{ id: "h", kind: "nest", nest: v.nest }, ...PEERS.map((peer) => ({ id: peer, kind: "peer" as const, peer, shape }))];
    const out = await measureKernels(specs, { ...quick, threads: 1, env: { ...process.env, KPU_HIDE_PEERS: "openblas,blis,onednn" } });
    expect(out[0]).toMatchObject({ ok: true });
    expect(out.slice(1).map((m) => (m.ok ? "ok" : m.reason))).toEqual([
      "openblas not found (libopenblas.so.0); install libopenblas-dev",
      "blis not found (libblis.so.4); install libblis-dev",
      "onednn not found (libdnnl.so.2); install libdnnl-dev",
    ]);
  }, 120_000);

  it("median and p10 of the kept window: a synthetic sample set (KPU_FAKE_TIMES_US) gives the values computed by hand", async () => {
    const shape = { m: 16, n: 16, k: 16 };
    const v = validateSchedule(manualSchedule("baseline"), shape, RUN_HOST);
    if (!v.ok) throw new Error(v.reason);
    // 30 runs of i^2 us, i = 1..30, shuffled: the median is (15^2 + 16^2) / 2 = 240.5 (the mean would be 315.17);
    // p10 is the sorted sample at index floor(30 / 10) = 3, i.e. 4^2 = 16 (nearest rank would give 9, the unsorted
    // sample at index 3 would give 484, the fastest 1).
    const samples = Array.from({ length: 30 }, (_, i) => (i + 1) ** 2);
    const shuffled = samples.map((x, i) => samples[(i * 7) % 30]!);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(samples);
    const [r] = await measureKernels([{ id: "b", kind: "nest", nest: v.nest }], { ...quick, threads: 1, minRuns: 30, maxAttempts: 1, env: { ...process.env, KPU_FAKE_TIMES_US: shuffled.join(",") } });
    expect(r).toMatchObject({ ok: true, runs: 30, medianUs: 240.5, p10Us: 16 });
    // 31 runs of the same list (the first sample, 1, repeats): an odd count takes the middle sample, 15^2, and p10 moves to 3^2.
    const [odd] = await measureKernels([{ id: "b", kind: "nest", nest: v.nest }], { ...quick, threads: 1, minRuns: 31, maxAttempts: 1, env: { ...process.env, KPU_FAKE_TIMES_US: shuffled.join(",") } });
    expect(odd).toMatchObject({ ok: true, runs: 31, medianUs: 225, p10Us: 9 });
  }, 120_000);

  it("re-measures and flags a window whose compute canary ran slow, which /proc/stat cannot show", async () => {
    const shape = { m: 16, n: 32, k: 16 };
    const v = validateSchedule(hostRules(shape, RUN_HOST, 1).schedule, shape, RUN_HOST);
    if (!v.ok) throw new Error(v.reason);
    // Fault injection: a canary reference of 1 ns makes every canary run look (1e5 times) slowed down.
    const [r] = await measureKernels([{ id: "h", kind: "nest", nest: v.nest }], { ...quick, threads: 1, minRuns: 30, maxAttempts: 2, env: { ...process.env, KPU_CANARY_BEST_S: "1e-9" } });
    expect(r).toMatchObject({ ok: true, attempts: 2, noisy: true });
    if (r?.ok === true) expect(r.slowdown).toBeGreaterThan(1000);
  }, 120_000);
});

describe("peak probe", () => {
  it("measures an FMA peak, a bf16 peak, a register-kernel ceiling no faster than the peak, and the bandwidth of L2, L3 and DRAM", async () => {
    // The probes are compared with each other within one measurement, never with fixed numbers. On a machine shared
    // with other guests any probe can be slowed at its moment, which can only make it look slower: a relation that a
    // disturbance broke holds again in a second measurement, one that a bug breaks fails in all three.
    const problems: string[][] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const [r] = await measurePeak(RUN_HOST, [1], { iterations: 2_000_000, repeats: 5, cacheDir: cache });
      expect(r!.gflops).toBeGreaterThan(0);
      expect(r!.kernelGflops).toBeGreaterThan(0);
      expect(r!.bf16.gflops).toBeGreaterThan(0);
      expect(r!.bf16.native).toBe(RUN_HOST.bf16Dot === true);
      expect(r!.tile).toMatch(/^\d+ x \d+$/);
      const bw = r!.bandwidthGBps;
      expect(bw.dram).toBeGreaterThan(0);
      const broken = [
        // The ceiling adds loads to the same FMAs: it cannot beat register-only chains (margin for timer noise).
        ...(r!.kernelGflops < r!.gflops * 1.15 ? [] : [`ceiling ${r!.kernelGflops} >= 1.15 x peak ${r!.gflops}`]),
        // Without the bf16 instruction the bf16 probe adds a widening to every float32 FMA: no faster than the peak.
        ...(r!.bf16.native || r!.bf16.gflops < r!.gflops * 1.15 ? [] : [`fallback bf16 ${r!.bf16.gflops} >= 1.15 x peak ${r!.gflops}`]),
        // Each level is read from a buffer sized for it: L2 and L3 hits are several times faster than DRAM on any
        // machine (a probe that read the same buffer for every level, or a DRAM buffer inside L3, would give equal figures).
        ...(bw.l2 > 1.5 * bw.dram ? [] : [`L2 ${bw.l2} <= 1.5 x DRAM ${bw.dram}`]),
        ...(bw.l3 > 1.5 * bw.dram ? [] : [`L3 ${bw.l3} <= 1.5 x DRAM ${bw.dram}`]),
      ];
      problems.push(broken);
      if (broken.length === 0) break;
    }
    expect(problems.some((p) => p.length === 0), JSON.stringify(problems)).toBe(true);
  }, 360_000);
});

describe("autotuner", () => {
  it("logs every trial, resumes from the log, re-measures its best candidates, and its best-so-far curve never drops", async () => {
    const log = join(cache, "tune.jsonl");
    const shape = { m: 16, n: 48, k: 32 };
    const opts = {
      host: RUN_HOST,
      threads: 2,
      batchSize: 6,
      logPath: log,
      measure: { minRuns: 30, minWindowMs: 0, warmup: 0, maxAttempts: 1, cacheDir: cache },
      verifyMeasure: { minRuns: 30, minWindowMs: 0, warmup: 0, maxAttempts: 1, cacheDir: cache },
    };
    const lines = (): TrialRecord[] => readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as TrialRecord);
    const first = await tuneShape(shape, { ...opts, trials: 12 });
    const searched = first.trials.filter((t) => t.source !== "verify");
    expect(searched).toHaveLength(12);
    expect(first.trials[0]!.source).toBe("rule");
    expect(new Set(searched.map((t) => t.key)).size).toBe(12);
    // The 4 best search trials are measured again; the answer is the best re-measurement.
    const verified = first.trials.filter((t) => t.source === "verify");
    const top4 = [...searched].sort((a, b) => trialScore(shape, b) - trialScore(shape, a)).slice(0, 4).map((t) => t.key);
    expect(verified.map((t) => t.key).sort()).toEqual([...top4].sort());
    expect(first.best?.source).toBe("verify");
    expect(trialScore(shape, first.best!)).toBe(Math.max(...verified.map((t) => trialScore(shape, t))));
    expect(lines()).toHaveLength(16);
    const again = await tuneShape(shape, { ...opts, trials: 12 });
    expect(lines()).toHaveLength(16); // resumed: nothing new to measure
    expect(again.best?.key).toBe(first.best?.key);
    const more = await tuneShape(shape, { ...opts, trials: 18 });
    expect(lines()).toHaveLength(18 + 4 + 4); // 6 more search trials, then a fresh re-measurement round
    expect(more.curve).toHaveLength(18);
    for (let n = 1; n < more.curve.length; n++) expect(more.curve[n]!).toBeGreaterThanOrEqual(more.curve[n - 1]!);
    expect(more.curve[more.curve.length - 1]).toBeCloseTo(Math.max(...more.trials.filter((t) => t.source !== "verify").map((t) => trialScore(shape, t))), 6);
    expect(more.best?.round).toBeGreaterThan(Math.max(...more.trials.filter((t) => t.source !== "verify").map((t) => t.round)));
    expect(bestFromTuneLog(log).get("16x48x32")).toEqual(more.best?.params);
  }, 180_000);
});
