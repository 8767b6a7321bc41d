import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PREFETCH_ROWS, formatNest, hostRules, rooflineGflops, manualSchedule, MANUAL_VARIANTS, registerTile, seedRules, seedTm, tiledNr, tiledSchedule, validateSchedule, type Primitive } from "../src/index.js";
import { TEST_HOST } from "./helpers.js";

const shape = { m: 64, n: 768, k: 768 };
const reason = (steps: Primitive[], s = shape): string => {
  const v = validateSchedule({ name: "t", steps }, s, TEST_HOST);
  return v.ok ? "ok" : v.reason;
};

describe("schedule IR validator", () => {
  it("accepts the plain nest and every seed variant", () => {
    expect(reason([])).toBe("ok");
    for (const v of MANUAL_VARIANTS) expect(validateSchedule(manualSchedule(v), shape, TEST_HOST).ok).toBe(true);
  });

  it("rejects illegal schedules with a reason", () => {
    expect(reason([{ op: "split", loop: "i", factor: 0, outer: "a", inner: "b" }])).toMatch(/not a positive integer/);
    expect(reason([{ op: "split", loop: "q", factor: 2, outer: "a", inner: "b" }])).toMatch(/no loop named "q"/);
    expect(reason([{ op: "fuse", loops: ["i", "k"], name: "f" }])).toMatch(/adjacent|spatial/);
    expect(reason([{ op: "fuse", loops: ["j", "k"], name: "f" }])).toMatch(/spatial/);
    expect(reason([{ op: "parallel", loop: "k" }, { op: "reorder", loops: ["k", "i"] }])).toMatch(/outermost|race/);
    expect(reason([{ op: "vectorize", loop: "j" }])).toMatch(/innermost/);
    // iteration space covered exactly once: the inner level of i may not move outside its outer level
    expect(
      reason([
        { op: "split", loop: "i", factor: 8, outer: "io", inner: "ii" },
        { op: "reorder", loops: ["ii", "io"] },
      ]),
    ).toMatch(/spans 8 < 64|must be nested inside/);
    // vector width not dividing: 6 lanes fit no supported width (16, 8, 4)
    expect(
      reason([
        { op: "split", loop: "j", factor: 6, outer: "jo", inner: "ji" },
        { op: "reorder", loops: ["i", "jo", "k", "ji"] },
        { op: "vectorize", loop: "ji" },
      ]),
    ).toMatch(/does not divide the extent 6/);
    // too many registers: a 16 x 64 accumulator needs 16*4 + 4 + 1 = 69 of 32
    const big = tiledSchedule("x", { mr: 16, nrVectors: 4, lanes: 16, kc: 128, mc: 64, nc: 768, order: "ji", kUnroll: 1, packA: false, packB: false });
    expect(reason([...big.steps])).toMatch(/too many registers: .* needs 69 vector registers, the host has 32/);
    expect(reason([{ op: "cache_write", at: "root" }], { m: 512, n: 512, k: 8 })).toMatch(/exceeds/);
    expect(reason([{ op: "parallel", loop: "i" }, { op: "pack", operand: "B", at: "root", width: 16 }])).toMatch(/outside the parallel loop/);
    expect(reason([{ op: "prefetch", operand: "B", distance: 0 }])).toMatch(/prefetch distance 0 is not in 1\.\.64 rows/);
    expect(reason([{ op: "prefetch", operand: "B", distance: 8 }, { op: "prefetch", operand: "B", distance: 16 }])).toMatch(/already prefetched/);
    expect(reason([{ op: "prefetch", operand: "B", distance: 8 }])).toBe("ok");
  });

  it("finds the register tile of the host rules' schedule", () => {
    const plan = hostRules(shape, TEST_HOST, 2);
    const v = validateSchedule(plan.schedule, shape, TEST_HOST);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(registerTile(v.nest, TEST_HOST)).toMatchObject({ mr: 8, nr: 48, lanes: 16, registers: 28 });
    expect(formatNest(v.nest)).toContain("for ir: i step 8 (8x)");
  });
});

describe("seed rules R1-R11", () => {
  it("picks TM by R7 and builds the seed's loop order with a 64x64 local accumulator", () => {
    expect([16, 32, 64, 96, 128, 192, 256, 384].map(seedTm)).toEqual([16, 32, 64, 32, 64, 64, 64, 64]);
    const { schedule, decisions } = seedRules({ m: 96, n: 768, k: 768 });
    expect(decisions.map((d) => d.id)).toEqual(["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11"]);
    const v = validateSchedule(schedule, { m: 96, n: 768, k: 768 }, TEST_HOST);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.nest.loops.map((l) => l.name)).toEqual(["fused", "ko", "ii", "ji_o", "ki", "j_vec"]);
    expect(v.nest.cacheWriteAt).toBe("fused");
    expect(registerTile(v.nest, TEST_HOST)).toBeUndefined(); // the seed's C tile lives in memory, not registers
  });
});

describe("host rules (README worked example)", () => {
  it("derives every parameter of 64 x 768 x 768 on the AVX-512 test host, 2 threads", () => {
    const t0 = performance.now();
    const plan = hostRules(shape, TEST_HOST, 2);
    const micros = (performance.now() - t0) * 1000;
    // B's share per thread, 768 x 384 x 4 B = 1.18 MB, fits the 2 MiB L2; KC: 9 + 2 of 11 L1 ways at 192; a packed
    // panel is reused by 8 register tiles, so it is packed one KC x NR panel per task (NC = NR).
    expect(plan.params).toEqual({ mr: 8, nrVectors: 3, lanes: 16, kc: 192, mc: 64, nc: 48, order: "ji", kUnroll: 1, packA: false, packB: true });
    expect(plan.decisions.map((d) => d.id)).toEqual(["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11-H13"]);
    expect(plan.decisions.find((d) => d.id === "H4")?.value).toBe("stays in L2");
    expect(plan.decisions.find((d) => d.id === "H8")?.value).toBe("NC = 48; fuse(ic, jc): 1 x 16 = 16 tasks of 64 x 48");
    expect(micros).toBeLessThan(50_000);
  });

  it("feeds both threads at M = 16 and keeps B unpacked when it is reused only twice", () => {
    const p = hostRules({ m: 16, n: 768, k: 768 }, TEST_HOST, 2).params;
    expect(Math.ceil(16 / p.mc) * Math.ceil(768 / p.nc) % 2).toBe(0);
    expect(p.packB).toBe(false);
  });

  it("streams an unpacked B from beyond L2: prefetched in software with the L1 KC, else KC near the stream count", () => {
    // 16 x 3072 x 768: B's share per thread is 768 x 1536 x 4 B = 4.7 MB > L2; 2 register tiles reuse a panel (< 8).
    const small = hostRules({ m: 16, n: 3072, k: 768 }, TEST_HOST, 2);
    expect(small.decisions.find((d) => d.id === "H4")?.value).toMatch(/^streamed/);
    // H10: rows of B 12288 B apart, none shares a 4 KiB page, so the streamed B is prefetched in software and KC is the
    // L1 bound (9 + 2 of 11 ways at 192), not the stream count.
    expect(small.params).toMatchObject({ mr: 8, packB: false, kc: 192, prefetchB: PREFETCH_ROWS });
    expect(small.decisions.find((d) => d.id === "H10")?.value).toBe(`${PREFETCH_ROWS} rows ahead`);
    // 16 x 256 x 16384: B streams (16384 x 128 x 4 B = 8 MiB) with 4 rows per page, which the hardware follows. A 4 x 64
    // tile (no edge in N) is reused 4 times: KC near the prefetcher's stream count, 32 x (1 + 4/4) = 64.
    const hw = hostRules({ m: 16, n: 256, k: 16384 }, TEST_HOST, 2);
    expect(hw.params).toMatchObject({ mr: 4, nrVectors: 4, packB: false, kc: 64 });
    expect(hw.params.prefetchB).toBeUndefined();
    expect(hostRules({ m: 16, n: 256, k: 16384 }, { ...TEST_HOST, prefetchStreams: 64 }, 2).params.kc).toBe(128);
    // 384 x 3072 x 768 on a host whose L2 holds B's share (8 MiB): 64 register tiles reuse a panel, so B is packed
    // panel by panel (NC = NR).
    const bigL2 = { ...TEST_HOST, l2: { ...TEST_HOST.l2, bytes: 8 * 1024 * 1024 } };
    const big = hostRules({ m: 384, n: 3072, k: 768 }, bigL2, 2).params;
    expect(big.packB).toBe(true);
    expect(big.nc).toBe(tiledNr(big));
  });

  it("prefetches B only when it streams from beyond L2 and at most two of its rows share a page (H10)", () => {
    // The worked example keeps B in L2: no prefetch.
    expect(hostRules(shape, TEST_HOST, 2).params.prefetchB).toBeUndefined();
    // 16 x 1024 x 4096 streams B (4096 x 512 x 4 B = 8 MiB per thread) with 4096 B rows: one per page.
    expect(hostRules({ m: 16, n: 1024, k: 4096 }, TEST_HOST, 2).params.prefetchB).toBe(PREFETCH_ROWS);
    // 16 x 256 x 16384 also streams B (16384 x 128 x 4 B = 8 MiB) but 4 of its 1024 B rows share a page: the hardware
    // prefetchers follow it.
    expect(hostRules({ m: 16, n: 256, k: 16384 }, TEST_HOST, 2).params.prefetchB).toBeUndefined();
    const v = validateSchedule(hostRules({ m: 16, n: 1024, k: 4096 }, TEST_HOST, 2).schedule, { m: 16, n: 1024, k: 4096 }, TEST_HOST);
    expect(v.ok && v.nest.prefetchB).toBe(PREFETCH_ROWS);
  });

  it("splits an unpacked B's tasks evenly with the C block within an eighth of L2 (H8)", () => {
    // 128 x 3072 x 768: C block 128 x NC x 4 B <= 256 KiB gives NC <= 480 (10 panels of 48); 10 panels make 7 tasks
    // (6 of 10 panels and one of 4) that 2 threads split 40:24, so 8 panels: 8 tasks of 128 x 384, 4 per thread.
    const p = hostRules({ m: 128, n: 3072, k: 768 }, TEST_HOST, 2).params;
    expect(p).toMatchObject({ packB: false, mc: 128, nc: 384 });
    // Property: against a plain simulation of OpenMP's static schedule, the split is never more than 2% less even than
    // one panel per task, and the C block keeps within L2 / 8 unless it is one panel wide.
    const busiest = (m: number, n: number, mc: number, nc: number, nr: number, threads: number): number => {
      const work: number[] = [];
      for (let i = 0; i < m; i += mc) for (let j = 0; j < n; j += nc) work.push(Math.min(mc, m - i) * Math.ceil(Math.min(nc, n - j) / nr));
      const load = new Array<number>(threads).fill(0);
      const chunk = Math.floor(work.length / threads);
      let t = 0;
      let left = chunk + (0 < work.length % threads ? 1 : 0);
      for (const w of work) {
        while (left === 0) left = chunk + (++t < work.length % threads ? 1 : 0);
        load[t]! += w;
        left--;
      }
      return (Math.max(...load) * threads) / work.reduce((a, b) => a + b, 0);
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 16, max: 4096 }), fc.integer({ min: 16, max: 4096 }), fc.constantFrom(2, 3, 4), (m, n, k, threads) => {
        const q = hostRules({ m, n, k }, TEST_HOST, threads).params;
        if (q.packB) return;
        const nr = tiledNr(q);
        expect(q.nc === nr || q.mc * q.nc * 4 <= TEST_HOST.l2.bytes / 8).toBe(true);
        expect(busiest(m, n, q.mc, q.nc, nr, threads)).toBeLessThanOrEqual(busiest(m, n, q.mc, nr, nr, threads) + 0.02 + 1e-9);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("uses 8-lane vectors and 16 registers on an AVX2 host", () => {
    const avx2 = { ...TEST_HOST, isa: "avx2" as const, vectorBits: 256, vectorRegisters: 16 };
    const plan = hostRules(shape, avx2, 2);
    expect(plan.params.lanes).toBe(8);
    const v = validateSchedule(plan.schedule, shape, avx2);
    expect(v.ok).toBe(true);
    if (v.ok) expect(registerTile(v.nest, avx2)!.registers).toBeLessThanOrEqual(16);
  });
});

describe("roofline bound", () => {
  it("is the kernel ceiling when B stays in L2, else min(ceiling, stream bandwidth x M / 2 flops per byte)", () => {
    // 64 x 768 x 768, 2 threads: B's share 768 x 384 x 4 B = 1.18 MB fits the 2 MiB L2.
    expect(rooflineGflops({ m: 64, n: 768, k: 768 }, TEST_HOST, 2, 400, 20)).toBeCloseTo(400, 9);
    // 16 x 3072 x 768: B streams; 2MNK flops over 4KN bytes = M/2 = 8 flops per byte, 8 x 20 GB/s = 160 GFLOP/s.
    expect(rooflineGflops({ m: 16, n: 3072, k: 768 }, TEST_HOST, 2, 400, 20)).toBeCloseTo(160, 9);
    // 128 x 3072 x 768: 64 flops per byte x 20 GB/s = 1280 > 400, so the ceiling binds.
    expect(rooflineGflops({ m: 128, n: 3072, k: 768 }, TEST_HOST, 2, 400, 20)).toBeCloseTo(400, 9);
  });
});
