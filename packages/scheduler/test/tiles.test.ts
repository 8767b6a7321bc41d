import { describe, expect, it } from "vitest";
import {
  COMPREHENSIVE_WORKLOADS,
  L2_BANK_BYTES,
  STRATEGIES,
  STRATEGY_INFO,
  forEachTileStep,
  kpuSimTiles,
  parseTiles,
  strategyTiles,
  tileFootprintBytes,
  tileGridOf,
  tileSteps,
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

describe("tile loops", () => {
  it("each strategy visits every (i,j,k) once, in its loop order, lazily", () => {
    const grid = tileGridOf({ m: 50, n: 40, k: 30 }, { m: 16, n: 16, k: 16 });
    expect(grid).toEqual({ mt: 4, nt: 3, kt: 2 });
    for (const s of STRATEGIES) {
      const seen = new Set<string>();
      const order: string[] = [];
      forEachTileStep(grid, s, (i, j, k) => {
        seen.add(`${i},${j},${k}`);
        order.push(`${i},${j},${k}`);
      });
      expect(seen.size).toBe(24);
      expect([...tileSteps(grid, s)].map((t) => t.join(","))).toEqual(order);
      const [outer] = STRATEGY_INFO[s].loops;
      // the outer index changes least often
      const first = order[0]!.split(",");
      const idx = { i: 0, j: 1, k: 2 }[outer];
      expect(order.slice(0, grid[({ i: "mt", j: "nt", k: "kt" } as const)[outer]] === 0 ? 1 : 3).every((o) => o.split(",")[idx] === first[idx])).toBe(true);
    }
    expect(STRATEGY_INFO.ws.loops).toEqual(["k", "i", "j"]);
    expect(STRATEGY_INFO.is.loops).toEqual(["k", "j", "i"]);
    expect(STRATEGY_INFO.os.loops).toEqual(["i", "j", "k"]);
  });
});
