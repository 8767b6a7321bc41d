import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GEMV_MAX_M, bertShapes, hostRules, llmShapes, oddShapes, regimeOf, validateSchedule } from "../src/index.js";
import { TEST_HOST } from "./helpers.js";

const decision = (plan: ReturnType<typeof hostRules>, id: string): string | undefined => plan.decisions.find((d) => d.id === id)?.value;

describe("regime rules H11-H13", () => {
  it("leave H1-H10 alone on the 24 BERT shapes (B within half the L3, M > 4)", () => {
    for (const s of bertShapes()) {
      expect(regimeOf(s, TEST_HOST, 8)).toBe("cached");
      expect(hostRules(s, TEST_HOST, 2).params).toEqual(hostRules(s, TEST_HOST, 2, { regimes: false }).params);
    }
  });

  it("H11: a GEMV is MR = M, 4 vectors wide, half the prefetcher's streams of rows, one column slab per thread", () => {
    const plan = hostRules({ m: 1, n: 4096, k: 4096 }, TEST_HOST, 2);
    // KC = 32 streams / 2 = 16 rows; NC = 4096 / 2 threads = 2048 = 32 panels of 64.
    expect(plan.params).toEqual({ mr: 1, nrVectors: 4, lanes: 16, kc: 16, mc: 1, nc: 2048, order: "ji", kUnroll: 1, packA: false, packB: false });
    expect(decision(plan, "H11")).toMatch(/^MR = M = 1, NR = 64, KC = 16, NC = 2048/);
    // 4 x 3079 x 769 (prime N, odd K): the slab is ceil(1540 / 64) = 25 panels.
    expect(hostRules({ m: 4, n: 3079, k: 769 }, TEST_HOST, 2).params).toMatchObject({ mr: 4, nc: 1600, kc: 16 });
  });

  it("H12: small M against B beyond L3 reads B in place, all rows in one block, one slab per thread", () => {
    const s = { m: 16, n: 14336, k: 4096 };
    const plan = hostRules(s, TEST_HOST, 2);
    const p = plan.params;
    const nr = p.nrVectors * p.lanes;
    expect(p.packB).toBe(false);
    expect(p.mc).toBe(Math.ceil(16 / p.mr) * p.mr);
    expect(p.nc).toBe(Math.ceil(7168 / nr) * nr);
    expect(Math.ceil(s.m / p.mc) * Math.ceil(s.n / p.nc)).toBe(2);
    expect(decision(plan, "H12")).toMatch(/2 tasks, one column slab per thread/);
  });

  it("H13: large M against B beyond L3 packs B once per KC x NC block within a quarter of L2, MC = M", () => {
    const plan = hostRules({ m: 128, n: 14336, k: 4096 }, TEST_HOST, 2);
    // KC = 192 (the L1 bound of the 8 x 48 tile: 9 + 2 of 11 ways); NC <= 2 MiB / 4 / (192 x 4 B) = 682 -> 14 panels of 48;
    // the C block 128 x 672 x 4 B = 344 KB is within L2 / 2.
    expect(plan.params).toMatchObject({ mr: 8, nrVectors: 3, kc: 192, mc: 128, nc: 672, packB: true });
    expect(plan.params.prefetchB).toBeUndefined();
    expect(decision(plan, "H13")).toMatch(/^pack B once per KC x NC = 192 x 672 block \(22 blocks over 2 threads\)/);
  });

  it("property: every rule schedule is legal, whatever the regime (LLM, odd and random shapes)", () => {
    for (const s of [...llmShapes(), ...oddShapes()]) expect(validateSchedule(hostRules(s, TEST_HOST, 2).schedule, s, TEST_HOST).ok).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 1, max: 8 }), (m, n, k, threads) => {
        const v = validateSchedule(hostRules({ m, n, k }, TEST_HOST, threads).schedule, { m, n, k }, TEST_HOST);
        expect(v.ok ? "ok" : v.reason).toBe("ok");
        if (m <= GEMV_MAX_M) expect(hostRules({ m, n, k }, TEST_HOST, threads).params.mr).toBe(m);
      }),
      { numRuns: 300 },
    );
  });
});
