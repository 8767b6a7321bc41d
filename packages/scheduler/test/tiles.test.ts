import { describe, expect, it } from "vitest";
import {
  COMPREHENSIVE_WORKLOADS,
  L2_BANK_BYTES,
  STRATEGIES,
  STRATEGY_INFO,
  kpuSimTiles,
  parseTiles,
  strategyTiles,
  tileFootprintBytes,
} from "@kpu/scheduler";

describe("tile sizing", () => {
  it("kpu-sim's rule on the seed's workloads", () => {
    expect(kpuSimTiles({ m: 512, n: 512, k: 512 })).toEqual({ m: 64, n: 64, k: 96 });
    expect(kpuSimTiles({ m: 32768, n: 7168, k: 7168 })).toEqual({ m: 96, n: 64, k: 64 });
    expect(kpuSimTiles({ m: 256, n: 32768, k: 1536 })).toEqual({ m: 32, n: 112, k: 80 });
    expect(kpuSimTiles({ m: 1024, n: 1024, k: 16384 })).toEqual({ m: 16, n: 16, k: 496 });
  });

  it("every rule fits one 64 KiB bank with multiples of 16", () => {
    for (const w of COMPREHENSIVE_WORKLOADS) {
      const all = [kpuSimTiles(w), ...STRATEGIES.map((s) => strategyTiles(w, s))];
      for (const t of all) {
        expect(tileFootprintBytes(t, 4)).toBeLessThanOrEqual(L2_BANK_BYTES);
        for (const v of [t.m, t.n, t.k]) expect(v % 16).toBe(0);
      }
    }
  });

  it("the per-strategy rule's picks at the default budget (README examples)", () => {
    const picks = (m: number, n: number, k: number) => STRATEGIES.map((s) => strategyTiles({ m, n, k }, s));
    expect(picks(32768, 7168, 7168)).toEqual([
      { m: 96, n: 16, k: 128 },
      { m: 16, n: 96, k: 128 },
      { m: 112, n: 112, k: 16 },
    ]);
    expect(picks(512, 512, 512)).toEqual([
      { m: 64, n: 16, k: 176 },
      { m: 16, n: 64, k: 176 },
      { m: 128, n: 96, k: 16 },
    ]);
  });

  it("budgetBytes: any size, the granule halves until three granule tiles fit (bankBytes is the same option)", () => {
    const p = { m: 32768, n: 7168, k: 7168 };
    // 3000 B at fp32: 16x16 tiles (3 KiB) do not fit, 8x8 do
    expect(kpuSimTiles(p, { budgetBytes: 3000 })).toEqual({ m: 16, n: 8, k: 24 });
    expect(STRATEGIES.map((s) => strategyTiles(p, s, { budgetBytes: 3000 }))).toEqual([
      { m: 16, n: 8, k: 24 },
      { m: 8, n: 16, k: 24 },
      { m: 24, n: 16, k: 8 },
    ]);
    expect(kpuSimTiles(p, { budgetBytes: 700 })).toEqual({ m: 8, n: 4, k: 8 }); // granule 4: 8 needs 768 B
    expect(kpuSimTiles(p, { bankBytes: 3000 })).toEqual(kpuSimTiles(p, { budgetBytes: 3000 }));
    expect(strategyTiles(p, "os", { bankBytes: 3000 })).toEqual(strategyTiles(p, "os", { budgetBytes: 3000 }));
    expect(kpuSimTiles(p, { budgetBytes: 65536, bankBytes: 65536 })).toEqual(kpuSimTiles(p));
    expect(() => kpuSimTiles(p, { budgetBytes: 3000, bankBytes: 4000 })).toThrow(/disagree/);
    // a granule that is not a power of two is kept when it fits, else the largest power of two below it that fits
    expect(kpuSimTiles({ m: 100, n: 100, k: 100 }, { granule: 12 })).toEqual({ m: 72, n: 72, k: 72 });
    expect(kpuSimTiles({ m: 100, n: 100, k: 100 }, { granule: 12, budgetBytes: 1000 })).toEqual({ m: 8, n: 8, k: 8 }); // 12 needs 1728 B
    expect(() => kpuSimTiles(p, { granule: 0 })).toThrow(/granule/);
  });

  it("stays fast: the comprehensive sweep's 81 calls take well under 50 ms each", () => {
    const shapes = [...COMPREHENSIVE_WORKLOADS, { m: 32768, n: 7168, k: 7168 }];
    for (const w of shapes) for (const s of STRATEGIES) strategyTiles(w, s); // warm up
    let worst = 0;
    for (const w of shapes) {
      for (const s of STRATEGIES) {
        const t0 = performance.now();
        strategyTiles(w, s);
        worst = Math.max(worst, performance.now() - t0);
      }
    }
    expect(worst).toBeLessThan(50); // measured: about 0.05 ms each
  });

  it("parses user tiles and refuses bad ones", () => {
    expect(parseTiles("64,32,128")).toEqual({ m: 64, n: 32, k: 128 });
    expect(() => parseTiles("64,32")).toThrow(/three positive integers/);
    expect(() => parseTiles("64,0,16")).toThrow(/three positive integers/);
  });
});

describe("strategies", () => {
  it("are @kpu/ir loop orders: WS = k, m, n; IS = k, n, m; OS = m, n, k", () => {
    expect(STRATEGIES.map((s) => STRATEGY_INFO[s].loopOrder)).toEqual(["kmn", "knm", "mnk"]);
  });
});
