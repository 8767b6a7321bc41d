import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEST_ORDERS, type NestOrder } from "@kpu/ir";
import type { Dataflow } from "@kpu/kpu-model";
import { OBJECTIVES, costPoint, mapGemm, type Cost, type GemmShape, type Objective } from "@kpu/mapper";
import type { ConvGemm } from "@kpu/passes";
import { smallHardware } from "./hardware.js";

type ConvGeometry = ConvGemm;

/**
 * The acceptance check of exactness: on small spaces every point is enumerated here from the space's definition (its
 * own loops, not the mapper's enumeration or bounds), costed with the public cost model, and sorted by the documented
 * tie order; the mapper's best and runner-up must be the first two, for every objective.
 */
interface BrutePoint {
  grid: { rows: number; cols: number };
  tile: { m: number; n: number; k: number };
  order: NestOrder;
  dataflow: Dataflow;
  buffers: [number, number, number];
  key: Record<Objective, number[]>;
}

function candidates(extent: number, granule: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= extent; t++) {
    const divides = extent % t === 0;
    if (extent < granule ? divides : t % granule === 0 || (divides && t >= granule)) out.push(t);
  }
  return out;
}

function bruteForce(hw: ReturnType<typeof smallHardware>, m: number, n: number, k: number, conv?: ConvGeometry): BrutePoint[] {
  const points: BrutePoint[] = [];
  const halos = new Map<string, number>();
  const P = hw.computeTiles;
  const eb = hw.derived.elementBytes;
  const caps = [hw.derived.levels.l1.perTileCapacityBytes, hw.derived.levels.l2.perTileCapacityBytes, hw.derived.levels.l3.perTileCapacityBytes];
  const grids: { rows: number; cols: number }[] = [];
  for (let r = P; r >= 1; r--) {
    if (P % r !== 0) continue;
    const g = { rows: Math.min(r, m), cols: Math.min(P / r, n) };
    if (!grids.some((x) => x.rows === g.rows && x.cols === g.cols)) grids.push(g);
  }
  for (const grid of grids) {
    const bm = Math.ceil(m / grid.rows);
    const bn = Math.ceil(n / grid.cols);
    for (const tm of candidates(bm, hw.fabric.rows)) for (const tn of candidates(bn, hw.fabric.cols)) for (const tk of candidates(k, hw.fabric.rows)) {
      const set = (tm * tk + tk * tn + tm * tn) * eb;
      if (set > Math.min(...caps)) continue;
      for (const order of NEST_ORDERS) for (const dataflow of ["os", "ws", "is"] as const) for (let code = 0; code < 8; code++) {
        const buffers: [number, number, number] = [(code & 1) + 1, ((code >> 1) & 1) + 1, ((code >> 2) & 1) + 1];
        if (buffers.some((b, x) => b * set > caps[x]!)) continue;
        const tile = { m: tm, n: tn, k: tk };
        const shape: GemmShape = conv === undefined ? { m, n, k } : { m, n, k, conv };
        const c = costPoint(hw, shape, { grid, tile, order, dataflow, buffers });
        if (conv !== undefined) {
          const key = `${tm},${tk}`;
          if (!halos.has(key)) halos.set(key, haloOf(conv, tm, tk));
          checkHalo(hw, c, costPoint(hw, { m, n, k }, { grid, tile, order, dataflow, buffers }), halos.get(key)!, grid.cols, m * k);
        }
        const tail = [c.cycles, c.energyPj, c.dramBytes];
        const key = { latency: [c.cycles, ...tail], energy: [c.energyPj, ...tail], edp: [c.cycles * c.energyPj, ...tail], dram: [c.dramBytes, ...tail] };
        points.push({ grid, tile, order, dataflow, buffers, key });
      }
    }
  }
  return points;
}

/**
 * The halo factor by brute force: for every A tile of the tm x tk grid over M x K, the set of input elements its
 * entries name (an im2col entry (row, col) is image n, output pixel (oh, ow), channel c, tap (i, j); padding names
 * none), summed over the tiles, over M x K.
 */
function haloOf(g: ConvGeometry, tm: number, tk: number): number {
  const pixels = g.outH * g.outW;
  const taps = g.kernelH * g.kernelW;
  let distinct = 0;
  for (let r0 = 0; r0 < g.m; r0 += tm) for (let c0 = 0; c0 < g.k; c0 += tk) {
    const seen = new Set<number>();
    for (let r = r0; r < Math.min(g.m, r0 + tm); r++) for (let col = c0; col < Math.min(g.k, c0 + tk); col++) {
      const [n, oh, ow] = [Math.floor(r / pixels), Math.floor((r % pixels) / g.outW), r % g.outW];
      const [c, i, j] = [Math.floor(col / taps), Math.floor((col % taps) / g.kernelW), col % g.kernelW];
      const h = oh * g.stride[0] - g.padding[0] + i * g.dilation[0];
      const w = ow * g.stride[1] - g.padding[1] + j * g.dilation[1];
      if (h >= 0 && h < g.height && w >= 0 && w < g.width) seen.add(((n * g.channels + c) * g.height + h) * g.width + w);
    }
    distinct += seen.size;
  }
  return distinct / (g.m * g.k);
}

/**
 * A conv point's cost against the same point's dense GEMM cost: the factor is the brute force's; A alone shrinks, by
 * (1 - f) of its bytes, at least of its compulsory bytes (M x K elements into every level, once per grid column
 * below DRAM), so DRAM bytes and energy fall by at least that; cycles do not grow; the fabric's L1 bytes are the same.
 */
function checkHalo(hw: ReturnType<typeof smallHardware>, conv: Cost, dense: Cost, f: number, cols: number, mk: number): void {
  expect(conv.haloFactor).toBe(f);
  const a = (1 - f) * mk * hw.derived.elementBytes;
  const lv = hw.levels;
  const slack = 1e-9 * dense.energyPj;
  expect(dense.dramBytes - conv.dramBytes).toBeGreaterThanOrEqual(a - 1e-9 * dense.dramBytes);
  expect(dense.energyPj - conv.energyPj).toBeGreaterThanOrEqual(a * (lv.dram.energyPjPerByte + cols * (lv.l3.energyPjPerByte + lv.l2.energyPjPerByte)) - slack);
  expect(conv.cycles).toBeLessThanOrEqual(dense.cycles);
  expect(conv.levelBytes.l1).toBe(dense.levelBytes.l1);
}

function firstTwo(points: BrutePoint[], objective: Objective): BrutePoint[] {
  const ranked = points.map((p, i) => ({ p, i }));
  ranked.sort((a, b) => {
    for (let x = 0; x < 4; x++) if (a.p.key[objective][x] !== b.p.key[objective][x]) return a.p.key[objective][x]! - b.p.key[objective][x]!;
    return a.i - b.i;
  });
  return ranked.slice(0, 2).map((r) => r.p);
}

const describePoint = (p: BrutePoint) => ({ grid: p.grid, tile: p.tile, order: p.order, dataflow: p.dataflow, buffers: p.buffers });

async function checkAgainstBruteForce(c: { m: number; n: number; k: number; tiles: number; array: number; kib: [number, number, number]; conv?: ConvGeometry }): Promise<void> {
  const hw = smallHardware({ tiles: c.tiles, array: c.array, l1KiB: c.kib[0], l2KiB: c.kib[1], l3KiB: c.kib[2] });
  const points = bruteForce(hw, c.m, c.n, c.k, c.conv);
  for (const objective of OBJECTIVES) {
    const r = await mapGemm({ m: c.m, n: c.n, k: c.k, ...(c.conv === undefined ? {} : { conv: c.conv }) }, hw, { objective, threads: 1 });
    const [best, second] = firstTwo(points, objective);
    const lv = r.best.mapping.levels;
    expect({ grid: { rows: r.best.mapping.grid.rows, cols: r.best.mapping.grid.cols }, tile: lv.l1.tile, order: lv.l1.order, dataflow: r.best.mapping.fabric.dataflow, buffers: [lv.l1.buffers, lv.l2.buffers, lv.l3.buffers] }).toEqual(describePoint(best!));
    expect([r.best.cost, r.best.cycles, r.best.energyPj, r.best.dramBytes]).toEqual(best!.key[objective]);
    expect(r.runnerUp === null ? undefined : [r.runnerUp.cost, r.runnerUp.cycles, r.runnerUp.energyPj, r.runnerUp.dramBytes]).toEqual(second?.key[objective]);
    expect(r.evaluated + r.pruned).toBe(points.length);
  }
}

describe("mapGemm against brute force", () => {
  it("returns the brute-force best and runner-up for every objective", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 1, max: 20 }),
          n: fc.integer({ min: 1, max: 20 }),
          k: fc.integer({ min: 1, max: 20 }),
          tiles: fc.constantFrom(1, 2),
          array: fc.constantFrom(2, 4),
          kib: fc.tuple(fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4)),
        }),
        checkAgainstBruteForce,
      ),
      { numRuns: 8, seed: 13 },
    );
  }, 120_000);

  it("also where C's partial sums go back and forth (long k, a small L1): the round trip in the cycles", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          m: fc.integer({ min: 4, max: 12 }),
          n: fc.integer({ min: 4, max: 12 }),
          k: fc.integer({ min: 24, max: 40 }),
          tiles: fc.constant(1),
          array: fc.constant(4),
          kib: fc.constant<[number, number, number]>([1, 2, 4]),
        }),
        checkAgainstBruteForce,
      ),
      { numRuns: 4, seed: 5 },
    );
  }, 120_000);

  it("ranks implicit-GEMM convs by their halo traffic: random small convs, the factor counted here", async () => {
    const conv = fc
      .record({
        batch: fc.integer({ min: 1, max: 2 }),
        channels: fc.integer({ min: 1, max: 2 }),
        height: fc.integer({ min: 2, max: 5 }),
        width: fc.integer({ min: 2, max: 5 }),
        outChannels: fc.integer({ min: 1, max: 6 }),
        kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
        padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
        dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      })
      .map((c): ConvGeometry => {
        // output extent along an axis: (in + pads - dilation x (kernel - 1) - 1) / stride + 1
        const out = (size: number, pads: number, kernel: number, d: number, s: number) => Math.floor((size + pads - d * (kernel - 1) - 1) / s) + 1;
        const outH = out(c.height, c.padding[0] + c.padding[2], c.kernel[0], c.dilation[0], c.stride[0]);
        const outW = out(c.width, c.padding[1] + c.padding[3], c.kernel[1], c.dilation[1], c.stride[1]);
        const { kernel, ...rest } = c;
        return { ...rest, kernelH: kernel[0], kernelW: kernel[1], outH, outW, groups: 1, m: c.batch * outH * outW, n: c.outChannels, k: c.channels * kernel[0] * kernel[1] };
      })
      .filter((g) => g.outH >= 1 && g.outW >= 1 && g.m <= 32);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          conv,
          tiles: fc.constantFrom(1, 2),
          array: fc.constantFrom(2, 4),
          kib: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2, 4), fc.constantFrom(2, 4)),
        }),
        (c) => checkAgainstBruteForce({ ...c, m: c.conv.m, n: c.conv.n, k: c.conv.k }),
      ),
      { numRuns: 30, seed: 17 },
    );
  }, 240_000);
});
