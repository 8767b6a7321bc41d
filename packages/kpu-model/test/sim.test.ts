import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STRATEGIES, mappingNest, type Mapping } from "@kpu/ir";
import { simulateHierarchy } from "@kpu/scheduler";
import { HARDWARE_PRESETS, TASK_KINDS, hardwarePreset, simulateMatmul, validateHardware, type Hardware } from "../src/index.js";
import { RES, lastDoneUpTo, maxStepsInFlight, peakOccupancy, randomCase } from "./helpers.js";

const edge = hardwarePreset("edge-ai");
const minimal = hardwarePreset("minimal");

describe("bounds", () => {
  it.each(STRATEGIES)("%s: unlimited bandwidth and zero latency give the fabric's own cycles", (strategy) => {
    const r = simulateMatmul({ hardware: edge, m: 300, n: 200, k: 260, strategy, unlimitedBandwidth: true, zeroLatency: true }).report;
    expect(r.totalCycles).toBe(r.fabricCycles);
    expect(r.fabricUtilisation).toBe(1);
  });

  const slow = [
    ["dram", "dma", ["l3", "l2", "l1"]],
    ["l3", "blockMover", ["dram", "l2", "l1"]],
    ["l2", "streamer", ["dram", "l3", "l1"]],
  ] as const;
  it.each(slow)("zero compute: the %s mover alone bounds the time", (_level, mover, fast) => {
    for (const strategy of STRATEGIES) {
      const r = simulateMatmul({ hardware: minimal, m: 200, n: 150, k: 170, strategy, zeroCompute: true, zeroLatency: true, unlimitedBandwidth: fast }).report;
      expect(r.slowestMover).toBe(mover);
      expect(r.totalCycles).toBe(r.dataMovementBoundCycles);
    }
  });

  it("in general the time is at least the fabric's cycles and the slowest mover's busy time (property)", () => {
    fc.assert(
      fc.property(randomCase, (c) => {
        const r = simulateMatmul({ hardware: c.hw, m: c.m, n: c.n, k: c.k, tiles: c.tiles, strategy: c.strategy, buffers: c.buffers }).report;
        expect(r.totalCycles).toBeGreaterThanOrEqual(r.fabricCycles);
        expect(r.totalCycles).toBeGreaterThanOrEqual(r.dataMovementBoundCycles - 1e-9);
        const z = simulateMatmul({ hardware: c.hw, m: c.m, n: c.n, k: c.k, tiles: c.tiles, strategy: c.strategy, zeroCompute: true }).report;
        expect(z.totalCycles).toBeGreaterThanOrEqual(z.dataMovementBoundCycles - 1e-9);
      }),
      { numRuns: 40 },
    );
  });
});

describe("buffering", () => {
  it("double buffering never increases cycles (property)", () => {
    fc.assert(
      fc.property(randomCase, (c) => {
        const sim = (buffers: number) => simulateMatmul({ hardware: c.hw, m: c.m, n: c.n, k: c.k, tiles: c.tiles, strategy: c.strategy, buffers }).report.totalCycles;
        const one = sim(1);
        const two = sim(2);
        expect(two).toBeLessThanOrEqual(one);
      }),
      { numRuns: 40 },
    );
  });

  it("1024^3 on edge-ai with double buffering keeps the fabric at least 90% busy (OS)", () => {
    const two = simulateMatmul({ hardware: edge, m: 1024, n: 1024, k: 1024, strategy: "os", buffers: 2 }).report;
    const one = simulateMatmul({ hardware: edge, m: 1024, n: 1024, k: 1024, strategy: "os", buffers: 1 }).report;
    expect(two.fabricUtilisation).toBeGreaterThanOrEqual(0.9);
    expect(one.totalCycles).toBeGreaterThan(two.totalCycles);
  });
});

/** The traffic the hierarchy engine reports for one block under a mapping, per boundary (DRAM, L3, L2), in bytes. */
function engineBytes(hw: Hardware, mapping: Mapping, block: { m: number; n: number; k: number }) {
  const d = hw.derived.levels;
  const cap = { l1: d.l1.perTileCapacityBytes, l2: d.l2.perTileCapacityBytes, l3: d.l3.perTileCapacityBytes };
  const levels = (["l1", "l2", "l3"] as const).map((name) => ({ name, capacityBytes: cap[name], tile: mapping.levels[name].tile, policy: mapping.levels[name].policy }));
  const h = simulateHierarchy({ nest: mappingNest(mapping, block), elementBytes: hw.derived.elementBytes, levels, cAccounting: "rmw" });
  const sum = (x: readonly number[]) => x[0]! + x[1]! + x[2]!;
  const mc = mapping.grid.multicast;
  const [l1, l2, l3] = h.levels as [(typeof h.levels)[0], (typeof h.levels)[0], (typeof h.levels)[0]];
  const dramReads = l3.fillBytes[0] / (mc ? mapping.grid.cols : 1) + l3.fillBytes[1] / (mc ? mapping.grid.rows : 1) + l3.fillBytes[2];
  return { dram: [dramReads, sum(l3.writeBackBytes)], l3: [sum(l2.fillBytes), sum(l2.writeBackBytes)], l2: [sum(l1.fillBytes), sum(l1.writeBackBytes)] };
}

describe("the timing model moves exactly the hierarchy engine's bytes per level", () => {
  const check = (hw: Hardware, m: number, n: number, k: number, strategy: "ws" | "is" | "os", extra: { tiles?: { m: number; n: number; k: number }; tileRule?: "kpu-sim" | "strategy"; multicast?: boolean } = {}) => {
    const r = simulateMatmul({ hardware: hw, m, n, k, strategy, ...extra }).report;
    const want = { dram: [0, 0], l3: [0, 0], l2: [0, 0] };
    for (const share of r.shares) {
      const e = engineBytes(hw, r.mapping!, share);
      for (const level of ["dram", "l3", "l2"] as const) for (const x of [0, 1]) want[level][x]! += e[level][x]! * share.count;
    }
    for (const level of ["dram", "l3", "l2"] as const) {
      const got = r.levels.find((x) => x.level === level)!;
      expect(got.readBytes).toBeCloseTo(want[level][0]!, 6);
      expect(got.writeBytes).toBeCloseTo(want[level][1]!, 6);
    }
    // the hierarchy: DRAM reads never exceed what L2 asks of L3 (no level fetches what a level below still holds)
    expect(r.levels[0]!.readBytes).toBeLessThanOrEqual(r.levels[1]!.readBytes);
  };
  it.each(STRATEGIES)("%s on edge-ai and datacenter, 1024^3 and ragged shapes, with and without multicast", (strategy) => {
    check(edge, 1024, 1024, 1024, strategy);
    check(edge, 333, 517, 290, strategy, { multicast: false });
    check(edge, 700, 300, 900, strategy, { tileRule: "strategy" });
    check(hardwarePreset("datacenter"), 1000, 1100, 300, strategy);
  });
  it("on random shapes and tiles (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom(...STRATEGIES),
        fc.constantFrom(16, 32, 48),
        (m, n, k, strategy, tile) => check(minimal, m, n, k, strategy, { tiles: { m: tile, n: tile, k: tile } }),
      ),
      { numRuns: 30 },
    );
  });
});

describe("invariants over random hardware and shapes (property)", () => {
  it("credits never go negative, buffers stay within capacity, tiles are injected after reaching L1, every step computes once", () => {
    fc.assert(
      fc.property(randomCase, (c) => {
        const run = simulateMatmul({ hardware: c.tightHw, m: c.m, n: c.n, k: c.k, tiles: c.tiles, strategy: c.strategy, buffers: c.depths, recordResidency: true });
        const p = run.plan.program;
        const tr = run.trace;
        const d = run.report.buffers;
        // Credits: steps in flight per level never exceed its buffering depth.
        expect(maxStepsInFlight(run, RES.DMA, lastDoneUpTo(run, RES.MOVER, TASK_KINDS.load))).toBeLessThanOrEqual(d.l3);
        expect(maxStepsInFlight(run, RES.MOVER, lastDoneUpTo(run, RES.STREAMER, TASK_KINDS.load))).toBeLessThanOrEqual(d.l2);
        expect(maxStepsInFlight(run, RES.STREAMER, (s) => tr.doneTick[run.plan.stepFabric[s]!]!)).toBeLessThanOrEqual(d.l1);
        // Capacity.
        const peak = peakOccupancy(run);
        expect(peak[3]).toBeLessThanOrEqual(run.plan.capacities.l3);
        expect(peak[2]).toBeLessThanOrEqual(run.plan.capacities.l2);
        expect(peak[1]).toBeLessThanOrEqual(run.plan.capacities.l1);
        // Injection after arrival in L1 (and arrival in L1 after arrival in L2).
        for (let s = 0; s < run.plan.steps; s++) {
          const f = run.plan.stepFabric[s]!;
          const a = run.plan.stepArrivals.subarray(s * 6, s * 6 + 6);
          expect(tr.startTick[f]).toBeGreaterThanOrEqual(tr.doneTick[a[2]!]!);
          expect(tr.startTick[f]).toBeGreaterThanOrEqual(tr.doneTick[a[5]!]!);
          expect(tr.startTick[a[2]!]).toBeGreaterThanOrEqual(tr.doneTick[a[1]!]!);
          expect(tr.startTick[a[5]!]).toBeGreaterThanOrEqual(tr.doneTick[a[4]!]!);
          // the copy in use reached L3 before the L2 copy was made from it
          expect(tr.startTick[a[1]!]).toBeGreaterThanOrEqual(tr.doneTick[a[0]!]!);
          expect(tr.startTick[a[4]!]).toBeGreaterThanOrEqual(tr.doneTick[a[3]!]!);
        }
        // Every compute step exactly once.
        const seen = new Set<string>();
        let computes = 0;
        for (let t = 0; t < p.n; t++) {
          expect(tr.startTick[t]).toBeGreaterThanOrEqual(0);
          if (p.res[t] !== RES.FABRIC) continue;
          computes++;
          seen.add(`${p.ti[t]},${p.tj[t]},${p.tk[t]}`);
        }
        const expected = Math.ceil(c.m / c.tiles.m) * Math.ceil(c.n / c.tiles.n) * Math.ceil(c.k / c.tiles.k);
        expect(computes).toBe(expected);
        expect(seen.size).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });
});

describe("work split over compute tiles", () => {
  it("uses a grid that minimises the largest block", () => {
    expect(simulateMatmul({ hardware: edge, m: 1024, n: 1024, k: 64, strategy: "os" }).report.shares).toEqual([{ m: 512, n: 1024, k: 64, count: 2 }]);
    const dc = simulateMatmul({ hardware: hardwarePreset("datacenter"), m: 1024, n: 1024, k: 64, strategy: "os" }).report;
    expect(dc.shares).toEqual([{ m: 64, n: 64, k: 64, count: 256 }]);
    expect(dc.mapping!.grid).toEqual({ rows: 16, cols: 16, multicast: true });
  });
  it("covers C exactly with at most the available tiles (property)", () => {
    const dc = hardwarePreset("datacenter");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (m, n) => {
        const r = simulateMatmul({ hardware: dc, m, n, k: 16, strategy: "os", tiles: { m: 16, n: 16, k: 16 }, zeroCompute: true, unlimitedBandwidth: true });
        const shares = r.report.shares;
        expect(shares.reduce((a, s) => a + s.m * s.n * s.count, 0)).toBe(m * n);
        expect(shares.reduce((a, s) => a + s.count, 0)).toBeLessThanOrEqual(dc.computeTiles);
        for (let i = 1; i < shares.length; i++) expect(shares[i]!.m * shares[i]!.n).toBeLessThanOrEqual(shares[0]!.m * shares[0]!.n);
      }),
      { numRuns: 20 },
    );
  });
});

describe("regressions", () => {
  it("an arrival into space the LRU freed for a reserved C tile waits for the old tile's reader (found by fast-check)", () => {
    const L = (bw: number, lat: number, bankBytes: number) => ({ banks: 1, bankBytes, busWidthBytes: 64, bandwidthBytesPerCycle: bw, latencyCycles: lat, energyPjPerByte: 1 });
    const hw = validateHardware({
      ...HARDWARE_PRESETS.minimal!,
      fabric: { rows: 1, cols: 1, dataflow: "os", macEnergyPj: 0.2 },
      levels: { dram: L(4, 17, 1 << 30), l3: L(4, 0, 304), l2: L(4, 0, 704), l1: L(4, 0, 560) },
    });
    const run = simulateMatmul({ hardware: hw, m: 1, n: 19, k: 4, tiles: { m: 1, n: 8, k: 4 }, strategy: "ws", buffers: { l1: 3, l2: 3, l3: 1 }, recordResidency: true });
    expect(peakOccupancy(run)[3]).toBeLessThanOrEqual(304);
  });
});

describe("report", () => {
  it("accounts every resource's time as busy, stalled or idle, and sums energy", () => {
    const r = simulateMatmul({ hardware: edge, m: 512, n: 512, k: 512, strategy: "ws" }).report;
    for (const res of r.resources) {
      const total = res.busyCycles + res.stalledDataCycles + res.stalledCreditCycles + res.idleCycles;
      expect(total * (2000 / res.clockMhz)).toBeCloseTo(r.totalCycles, 6);
      expect(res.idleCycles).toBeGreaterThanOrEqual(-1e-9);
    }
    const e = r.energyPj;
    expect(e.total).toBeCloseTo(e.macs + e.dram + e.l3 + e.l2 + e.l1, 3);
    expect(e.macs).toBeCloseTo(512 ** 3 * 0.2, 3);
    expect(r.macs).toBe(512 ** 3);
    expect(r.levels.map((l) => l.level)).toEqual(["dram", "l3", "l2", "l1"]);
  });

  it("is deterministic", () => {
    const a = simulateMatmul({ hardware: edge, m: 256, n: 384, k: 200, strategy: "is" }).report;
    const b = simulateMatmul({ hardware: edge, m: 256, n: 384, k: 200, strategy: "is" }).report;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("rejects bad buffers and tiles that do not fit", () => {
    expect(() => simulateMatmul({ hardware: edge, m: 64, n: 64, k: 64, strategy: "os", buffers: 0 })).toThrow(/buffering depth 0/);
    expect(() => simulateMatmul({ hardware: edge, m: 1024, n: 1024, k: 1024, strategy: "os", tiles: { m: 256, n: 256, k: 256 } })).toThrow(/bytes short/);
    expect(() => simulateMatmul({ hardware: edge, m: 65536, n: 65536, k: 65536, strategy: "os" })).toThrow(/more than the 1000000/);
  });
});

describe("presets that work", () => {
  it("every preset runs every tile rule and strategy on any positive shape (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("minimal", "edge-ai", "datacenter"),
        fc.constantFrom("kpu-sim" as const, "strategy" as const),
        fc.constantFrom(...STRATEGIES),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 4 }),
        (preset, tileRule, strategy, m, n, k, buffers) => {
          const hw = hardwarePreset(preset);
          const r = simulateMatmul({ hardware: hw, m, n, k, strategy, tileRule, buffers, zeroLatency: true }).report;
          expect(r.macs).toBe(m * n * k);
          expect(r.levels[0]!.readBytes).toBeLessThanOrEqual(r.levels[1]!.readBytes + 1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });
});
