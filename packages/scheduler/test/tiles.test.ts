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
