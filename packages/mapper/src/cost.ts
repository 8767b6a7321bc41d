import { DATAFLOWS, fabricTiming, type Dataflow, type Hardware } from "@kpu/kpu-model";
import { gridBlocks } from "@kpu/scheduler";
import type { NestOrder, TileShape } from "@kpu/ir";
import { engineBlockTraffic } from "./engine-traffic.js";
import { blockTraffic, type BlockTraffic } from "./traffic.js";

/**
 * The cost model of one GEMM under one mapping of the space: exact bytes per level (the analytic traffic, or the
 * hierarchy engine where it is not exact), energy from those bytes, and analytic cycles: every engine (DMA, block
 * mover, streamer, fabric) is busy for the sum of its tasks' occupancies, which overlap when every level double
 * buffers; a level with one buffer serialises its feeder with the fabric. Units: bytes, pJ, fabric cycles.
 */
export interface GemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Independent GEMMs of this shape run one after another with the same mapping (default 1). */
  readonly batch?: number;
}

export interface Cost {
  readonly cycles: number;
  readonly energyPj: number;
  readonly dramBytes: number;
  /** Bytes across each boundary, whole chip, as `kpu sim` reports them: DRAM<->L3, L3<->L2, L2<->L1, L1<->fabric. */
  readonly levelBytes: { readonly dram: number; readonly l3: number; readonly l2: number; readonly l1: number };
  /** Whether the traffic came from the closed form (true) or the hierarchy engine (false). */
  readonly analyticTraffic: boolean;
}

/** Per-compute-tile constants of the hardware the model needs, in timebase ticks. */
export interface Machine {
  readonly hw: Hardware;
  readonly eb: number;
  readonly caps: readonly [number, number, number];
  readonly fabricTicks: number;
  readonly l1Bandwidth: number;
  readonly l1LatencyTicks: number;
  /** Per (dataflow, step extents): fabric ticks and L1<->fabric bytes of one step (many tiles share edge extents). */
  readonly stepCache: Map<number, readonly [number, number]>;
}

export function machineOf(hw: Hardware): Machine {
  const d = hw.derived;
  return {
    hw,
    eb: d.elementBytes,
    caps: [d.levels.l1.perTileCapacityBytes, d.levels.l2.perTileCapacityBytes, d.levels.l3.perTileCapacityBytes],
    fabricTicks: d.ticksPerCycle.fabric,
    l1Bandwidth: d.levels.l1.perTileBandwidthBytesPerCycle,
    l1LatencyTicks: Math.ceil(hw.levels.l1.latencyCycles * d.ticksPerCycle.fabric - 1e-9),
    stepCache: new Map(),
  };
}

const BOUNDARY = ["l2", "l3", "dram"] as const;
const ceilDiv = (a: number, b: number): number => Math.ceil(a / b - 1e-12);

/** Ticks a transfer of `bytes` occupies the engine that reads `level` (DRAM bandwidth shared by the active tiles). */
export function transferTicks(m: Machine, level: "dram" | "l3" | "l2", bytes: number, activeTiles: number): number {
  const spec = m.hw.levels[level];
  const ld = m.hw.derived.levels[level];
  const bw = level === "dram" ? (spec.bandwidthBytesPerCycle * spec.banks) / Math.max(1, activeTiles) : ld.perTileBandwidthBytesPerCycle;
  return ceilDiv(ceilDiv(bytes, spec.busWidthBytes) * spec.busWidthBytes, bw) * ld.ticksPerCycle;
}

export function latencyTicks(m: Machine, level: "dram" | "l3" | "l2"): number {
  return Math.ceil(m.hw.levels[level].latencyCycles * m.hw.derived.levels[level].ticksPerCycle - 1e-9);
}

/** Fabric ticks of one step (folds, at least its L1 bytes over L1 bandwidth) and its L1<->fabric bytes. */
function stepCost(m: Machine, d: number, tm: number, tn: number, tk: number): readonly [number, number] {
  const key = ((tm * 65536 + tn) * 65536 + tk) * 3 + d;
  let hit = m.stepCache.get(key);
  if (hit === undefined) {
    const f = fabricTiming({ rows: m.hw.fabric.rows, cols: m.hw.fabric.cols, dataflow: DATAFLOWS[d]!, m: tm, n: tn, k: tk });
    const bytes = (f.sramReadsA + f.sramReadsB + f.sramReadsC + f.sramWritesC) * m.eb;
    hit = [Math.max(f.cycles, ceilDiv(bytes, m.l1Bandwidth)) * m.fabricTicks, bytes];
    m.stepCache.set(key, hit);
  }
  return hit;
}

/** Tiles along one dimension as [count, extent] classes: the full tiles and the (shorter) edge tile. */
function classes(dim: number, tile: number): [number, number][] {
  const t = Math.min(tile, dim);
  const trips = Math.ceil(dim / t);
  const edge = dim - (trips - 1) * t;
  return trips === 1 ? [[1, dim]] : edge === t ? [[trips, t]] : [[trips - 1, t], [1, edge]];
}

/** What a (grid, tile) node of the space shares across its orders, dataflows and buffering depths. */
export interface TileNode {
  readonly tile: TileShape;
  readonly grid: { readonly rows: number; readonly cols: number };
  readonly shares: readonly { readonly m: number; readonly n: number; readonly count: number }[];
  /** Largest block: fabric ticks and L1<->fabric bytes per dataflow (whole block), MACs. */
  readonly fabricTicks: readonly number[];
  readonly l1BytesChip: readonly number[];
  readonly macsChip: number;
  /** Largest block: per boundary (L2<->L1, L3<->L2, DRAM<->L3) and tensor A, B, C, the ticks of moving each tile once. */
  readonly tileTicks: readonly (readonly [number, number, number])[];
  readonly startupTicks: number;
  readonly drainTicks: number;
  readonly k: number;
  /** Largest block: steps, tiles of A, B, C, and per boundary the latency of a chain from it down to L1 (ticks). */
  readonly steps: number;
  readonly tileCounts: readonly [number, number, number];
  readonly chainLatencyTicks: readonly [number, number, number];
}

export function tileNode(m: Machine, shape: GemmShape, grid: { readonly rows: number; readonly cols: number }, tile: TileShape): TileNode {
  const shares = gridBlocks(shape.m, shape.n, grid.rows, grid.cols);
  const big = shares[0]!;
  const active = grid.rows * grid.cols;
  const cm = classes(big.m, tile.m);
  const cn = classes(big.n, tile.n);
  const ck = classes(shape.k, tile.k);
  const fabric = [0, 0, 0];
  for (let d = 0; d < 3; d++) {
    for (const [a, tm] of cm) for (const [b, tn] of cn) for (const [c, tk] of ck) fabric[d]! += a * b * c * stepCost(m, d, tm, tn, tk)[0];
  }
  // every share's L1 bytes, counted per step class
  const l1BytesChip = [0, 0, 0];
  for (let d = 0; d < 3; d++) {
    for (const s of shares) {
      for (const [a, tm] of classes(s.m, tile.m)) for (const [b, tn] of classes(s.n, tile.n)) for (const [c, tk] of ck) l1BytesChip[d]! += s.count * a * b * c * stepCost(m, d, tm, tn, tk)[1];
    }
  }
  const share = [grid.cols, grid.rows, 1];
  const tileTicks = BOUNDARY.map((level) => {
    const sum = (u: [number, number][], v: [number, number][], x: number): number => {
      let total = 0;
      for (const [a, p] of u) for (const [b, q] of v) {
        const occ = transferTicks(m, level, p * q * m.eb, active);
        total += a * b * (level === "dram" && share[x]! > 1 ? Math.ceil(occ / share[x]!) : occ);
      }
      return total;
    };
    return [sum(cm, ck, 0), sum(ck, cn, 1), sum(cm, cn, 2)] as const;
  });
  // the first A and B tiles come down every boundary before the first step; the last C tile goes up after the last
  const t0 = { m: Math.min(tile.m, big.m), n: Math.min(tile.n, big.n), k: Math.min(tile.k, shape.k) };
  let startupTicks = 0;
  let drainTicks = m.l1LatencyTicks;
  const chainLatencyTicks: [number, number, number] = [0, 0, 0];
  let chain = 0;
  BOUNDARY.forEach((level, b) => {
    chain += latencyTicks(m, level);
    chainLatencyTicks[b] = chain;
  });
  for (const level of BOUNDARY) {
    const lat = latencyTicks(m, level);
    startupTicks += lat + transferTicks(m, level, t0.m * t0.k * m.eb, active) + transferTicks(m, level, t0.k * t0.n * m.eb, active);
    drainTicks += lat + transferTicks(m, level, t0.m * t0.n * m.eb, active);
  }
  const count = (c: [number, number][]): number => c.reduce((a, [x]) => a + x, 0);
  const [mt, nt, kt] = [count(cm), count(cn), count(ck)];
  return {
    tile,
    grid,
    shares,
    fabricTicks: fabric,
    l1BytesChip,
    macsChip: shape.m * shape.n * shape.k,
    tileTicks,
    startupTicks,
    drainTicks,
    k: shape.k,
    steps: mt * nt * kt,
    tileCounts: [mt * kt, kt * nt, mt * nt],
    chainLatencyTicks,
  };
}

/** Traffic of every share of a node under an order: closed form where exact, else the hierarchy engine. */
export interface OrderTraffic {
  readonly perShare: readonly BlockTraffic[];
  /** True: the closed form was exact for every share. */
  readonly analytic: boolean;
  /** Whole chip, as `kpu sim` counts: DRAM (A over grid columns, B over grid rows with multicast), L3, L2. */
  readonly dramBytes: number;
  readonly l3Bytes: number;
  readonly l2Bytes: number;
}

/**
 * `engine` false: the closed form only; where it is not exact the answer has `analytic` false and is a lower bound
 * (the tensors it cannot place count as moved once).
 */
export function orderTraffic(m: Machine, node: TileNode, order: NestOrder, engine: boolean): OrderTraffic {
  const perShare: BlockTraffic[] = [];
  let analytic = true;
  for (const s of node.shares) {
    const block = { m: s.m, n: s.n, k: node.k };
    let t = blockTraffic(block, node.tile, order, m.caps, m.eb);
    if (!t.exact) {
      analytic = false;
      if (engine) t = engineBlockTraffic(block, node.tile, order, m.caps, m.eb);
    }
    perShare.push(t);
  }
  let dram = 0;
  let l3 = 0;
  let l2 = 0;
  node.shares.forEach((s, i) => {
    const [l1f, l2f, l3f] = perShare[i]!.levels;
    dram += s.count * (l3f.fill[0] / node.grid.cols + l3f.fill[1] / node.grid.rows + l3f.fill[2] + l3f.writeBack);
    l3 += s.count * (l2f.fill[0] + l2f.fill[1] + l2f.fill[2] + l2f.writeBack);
    l2 += s.count * (l1f.fill[0] + l1f.fill[1] + l1f.fill[2] + l1f.writeBack);
  });
  return { perShare, analytic, dramBytes: dram, l3Bytes: l3, l2Bytes: l2 };
}

/** The streamer's ticks for C partial sums read back into L1 (and their write-backs) on the largest block. */
export function cRoundTripTicks(node: TileNode, traffic: BlockTraffic): number {
  const mu = traffic.multiplicity[0]!;
  return mu[2] > 0 ? (mu[2] + mu[3]) * node.tileTicks[0]![2] : 0;
}

/**
 * Busy ticks of the streamer, block mover and DMA engine on the largest block (index 0, 1, 2), then per boundary the
 * latency-bound time: steps that fetch across it (at most one latency chain each, `buffers` of them in flight).
 */
export function moverTicks(node: TileNode, traffic: BlockTraffic): [number, number, number, number, number, number] {
  const out: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  const [ta, tb, tc] = node.tileCounts;
  for (let b = 0; b < 3; b++) {
    const mu = traffic.multiplicity[b]!;
    const tt = node.tileTicks[b]!;
    out[b] = mu[0] * tt[0] + mu[1] * tt[1] + (mu[2] + mu[3]) * tt[2];
    const fetches = Math.min(node.steps, mu[0] * ta + mu[1] * tb + mu[2] * tc);
    out[3 + b] = fetches * node.chainLatencyTicks[b]! + out[b]!;
  }
  return out;
}

/**
 * Analytic cycles of the largest block: the busiest engine, the latency bound of a boundary over its buffering depth,
 * or the fabric plus what it waits for: the feeders of
 * levels with one buffer, and C's partial sums when they go back and forth across L2<->L1 (the fabric cannot start a
 * step before its C tile is back). `cRoundTrip` is the streamer's ticks for those C reads and write-backs.
 */
export function cyclesOf(m: Machine, node: TileNode, movers: readonly number[], dataflow: number, buffers: readonly [number, number, number], cRoundTrip = 0): number {
  const fabric = node.fabricTicks[dataflow]!;
  let busiest = fabric;
  let serial = fabric + (buffers[0] === 1 ? 0 : cRoundTrip);
  for (let b = 0; b < 3; b++) {
    if (movers[b]! > busiest) busiest = movers[b]!;
    if (movers[3 + b]! / buffers[b]! > busiest) busiest = movers[3 + b]! / buffers[b]!;
    if (buffers[b] === 1) serial += movers[b]!;
  }
  return (Math.max(busiest, serial) + node.startupTicks + node.drainTicks) / m.fabricTicks;
}

/** Energy of the whole chip in pJ, as `kpu sim` sums it: MACs, then bytes times pJ/B per level. */
export function energyOf(m: Machine, node: TileNode, traffic: OrderTraffic, dataflow: number): number {
  const lv = m.hw.levels;
  return (
    node.macsChip * m.hw.fabric.macEnergyPj +
    traffic.dramBytes * lv.dram.energyPjPerByte +
    traffic.l3Bytes * lv.l3.energyPjPerByte +
    traffic.l2Bytes * lv.l2.energyPjPerByte +
    node.l1BytesChip[dataflow]! * lv.l1.energyPjPerByte
  );
}

export const DATAFLOW_LIST: readonly Dataflow[] = DATAFLOWS;
