import { DATAFLOWS, fabricTiming, type Dataflow, type Hardware } from "@kpu/kpu-model";
import { gridBlocks } from "@kpu/scheduler";
import type { NestOrder, TileShape } from "@kpu/ir";
import type { ConvGemm } from "@kpu/passes";
import { engineBlockTraffic } from "./engine-traffic.js";
import { haloFactor } from "./halo.js";
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
  /**
   * An implicit-GEMM conv's geometry (m, n, k must be its own): A's bytes and busy time are then scaled by the tile's
   * halo factor at every boundary, as `kpu analyze` times the conv.
   */
  readonly conv?: ConvGemm;
}

export interface Cost {
  readonly cycles: number;
  readonly energyPj: number;
  readonly dramBytes: number;
  /** Bytes across each boundary, whole chip, as `kpu sim` reports them: DRAM<->L3, L3<->L2, L2<->L1, L1<->fabric. */
  readonly levelBytes: { readonly dram: number; readonly l3: number; readonly l2: number; readonly l1: number };
  /** Whether the traffic came from the closed form (true) or the hierarchy engine (false). */
  readonly analyticTraffic: boolean;
  /** The factor on A's bytes and busy time: the conv's halo factor of the point's tile (1 for a matmul). */
  readonly haloFactor: number;
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
  /** Per boundary (L2, L3, DRAM): bus width, bandwidth per compute tile (DRAM: of the chip), ticks per cycle, latency. */
  readonly bus: readonly [number, number, number];
  readonly bandwidth: readonly [number, number, number];
  readonly levelTicks: readonly [number, number, number];
  readonly latency: readonly [number, number, number];
  /** The grid's blocks per (shape, grid): every tile of a grid shares them. */
  readonly blockCache: Map<string, readonly { readonly m: number; readonly n: number; readonly count: number }[]>;
  /** Per conv geometry and (tile.m, tile.k): the halo factor (`haloFactor`). */
  readonly haloCache: Map<ConvGemm, Map<number, number>>;
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
    bus: [hw.levels.l2.busWidthBytes, hw.levels.l3.busWidthBytes, hw.levels.dram.busWidthBytes],
    bandwidth: [d.levels.l2.perTileBandwidthBytesPerCycle, d.levels.l3.perTileBandwidthBytesPerCycle, hw.levels.dram.bandwidthBytesPerCycle * hw.levels.dram.banks],
    levelTicks: [d.levels.l2.ticksPerCycle, d.levels.l3.ticksPerCycle, d.levels.dram.ticksPerCycle],
    latency: [latencyOf(hw, "l2"), latencyOf(hw, "l3"), latencyOf(hw, "dram")],
    blockCache: new Map(),
    haloCache: new Map(),
  };
}

function latencyOf(hw: Hardware, level: "dram" | "l3" | "l2"): number {
  return Math.ceil(hw.levels[level].latencyCycles * hw.derived.levels[level].ticksPerCycle - 1e-9);
}

/** transferTicks by boundary index (0: L2, 1: L3, 2: DRAM), from the machine's constants. */
function boundaryTicks(m: Machine, b: number, bytes: number, activeTiles: number): number {
  const bus = m.bus[b]!;
  const bw = b === 2 ? m.bandwidth[2] / Math.max(1, activeTiles) : m.bandwidth[b]!;
  return ceilDiv(ceilDiv(bytes, bus) * bus, bw) * m.levelTicks[b]!;
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
  return m.latency[BOUNDARY.indexOf(level)]!;
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

/** Tiles along one dimension as classes: `count` full tiles of `tile` and, when `edge` > 0, one of `edge`. */
interface Classes {
  readonly full: number;
  readonly tile: number;
  readonly edge: number;
}

function classesOf(dim: number, tile: number): Classes {
  const t = Math.min(tile, dim);
  const trips = Math.ceil(dim / t);
  const edge = dim - (trips - 1) * t;
  return edge === t ? { full: trips, tile: t, edge: 0 } : { full: trips - 1, tile: t, edge };
}

/** Tiles of class c (0: full, 1: edge) and their extent. */
const countOf = (c: Classes, i: number): number => (i === 0 ? c.full : c.edge > 0 ? 1 : 0);
const extentOf = (c: Classes, i: number): number => (i === 0 ? c.tile : c.edge);

/** Sum over the class triples of (m, n, k) of count x the step's cost component `part` (0 ticks, 1 bytes). */
function stepSum(m: Machine, d: number, cm: Classes, cn: Classes, ck: Classes, part: 0 | 1): number {
  let total = 0;
  for (let a = 0; a < 2; a++) {
    const ca = countOf(cm, a);
    if (ca === 0) continue;
    for (let b = 0; b < 2; b++) {
      const cb = countOf(cn, b);
      if (cb === 0) continue;
      for (let c = 0; c < 2; c++) {
        const cc = countOf(ck, c);
        if (cc !== 0) total += ca * cb * cc * stepCost(m, d, extentOf(cm, a), extentOf(cn, b), extentOf(ck, c))[part];
      }
    }
  }
  return total;
}

/** Ticks of moving every tile of a tensor with tile classes (u, v) once across boundary b (DRAM: over the multicast share). */
function tensorTicks(m: Machine, b: number, u: Classes, v: Classes, active: number, share: number): number {
  let total = 0;
  for (let i = 0; i < 2; i++) {
    const cu = countOf(u, i);
    if (cu === 0) continue;
    for (let j = 0; j < 2; j++) {
      const cv = countOf(v, j);
      if (cv === 0) continue;
      const occ = boundaryTicks(m, b, extentOf(u, i) * extentOf(v, j) * m.eb, active);
      total += cu * cv * (b === 2 && share > 1 ? Math.ceil(occ / share) : occ);
    }
  }
  return total;
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
  /** A's bytes and busy time are scaled by this at every boundary: the conv's halo factor of the tile (matmul: 1). */
  readonly haloFactor: number;
}

export function tileNode(m: Machine, shape: GemmShape, grid: { readonly rows: number; readonly cols: number }, tile: TileShape): TileNode {
  const blockKey = `${shape.m},${shape.n},${grid.rows},${grid.cols}`;
  let shares = m.blockCache.get(blockKey);
  if (shares === undefined) {
    shares = gridBlocks(shape.m, shape.n, grid.rows, grid.cols);
    m.blockCache.set(blockKey, shares);
  }
  const big = shares[0]!;
  const active = grid.rows * grid.cols;
  const cm = classesOf(big.m, tile.m);
  const cn = classesOf(big.n, tile.n);
  const ck = classesOf(shape.k, tile.k);
  const fabric = [0, 0, 0];
  const l1BytesChip = [0, 0, 0];
  for (let d = 0; d < 3; d++) {
    fabric[d] = stepSum(m, d, cm, cn, ck, 0);
    // every share's L1 bytes, counted per step class
    for (const s of shares) l1BytesChip[d]! += s.count * (s === big ? stepSum(m, d, cm, cn, ck, 1) : stepSum(m, d, classesOf(s.m, tile.m), classesOf(s.n, tile.n), ck, 1));
  }
  const tileTicks: (readonly [number, number, number])[] = [];
  for (let b = 0; b < 3; b++) tileTicks.push([tensorTicks(m, b, cm, ck, active, grid.cols), tensorTicks(m, b, ck, cn, active, grid.rows), tensorTicks(m, b, cm, cn, active, 1)]);
  // the first A and B tiles come down every boundary before the first step; the last C tile goes up after the last
  const t0 = { m: Math.min(tile.m, big.m), n: Math.min(tile.n, big.n), k: Math.min(tile.k, shape.k) };
  let startupTicks = 0;
  let drainTicks = m.l1LatencyTicks;
  const chainLatencyTicks: [number, number, number] = [0, 0, 0];
  let chain = 0;
  for (let b = 0; b < 3; b++) {
    const lat = m.latency[b]!;
    chain += lat;
    chainLatencyTicks[b] = chain;
    startupTicks += lat + boundaryTicks(m, b, t0.m * t0.k * m.eb, active) + boundaryTicks(m, b, t0.k * t0.n * m.eb, active);
    drainTicks += lat + boundaryTicks(m, b, t0.m * t0.n * m.eb, active);
  }
  const mt = cm.full + countOf(cm, 1);
  const nt = cn.full + countOf(cn, 1);
  const kt = ck.full + countOf(ck, 1);
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
    haloFactor: haloFactor(m.haloCache, shape.conv, tile.m, tile.k),
  };
}

/** Traffic of every share of a node under an order: closed form where exact, else the hierarchy engine. */
export interface OrderTraffic {
  readonly perShare: readonly BlockTraffic[];
  /** True: the closed form was exact for every share. */
  readonly analytic: boolean;
  /** Whole chip, as `kpu sim` counts: DRAM (A over grid columns, B over grid rows with multicast), L3, L2; A's bytes times the halo factor. */
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
  const f = node.haloFactor;
  for (let i = 0; i < node.shares.length; i++) {
    const s = node.shares[i]!;
    const [l1f, l2f, l3f] = perShare[i]!.levels;
    dram += s.count * ((l3f.fill[0] * f) / node.grid.cols + l3f.fill[1] / node.grid.rows + l3f.fill[2] + l3f.writeBack);
    l3 += s.count * (l2f.fill[0] * f + l2f.fill[1] + l2f.fill[2] + l2f.writeBack);
    l2 += s.count * (l1f.fill[0] * f + l1f.fill[1] + l1f.fill[2] + l1f.writeBack);
  }
  return { perShare, analytic, dramBytes: dram, l3Bytes: l3, l2Bytes: l2 };
}

/** The streamer's ticks for C partial sums read back into L1 (and their write-backs) on the largest block. */
export function cRoundTripTicks(node: TileNode, traffic: BlockTraffic): number {
  const mu = traffic.multiplicity[0]!;
  return mu[2] > 0 ? (mu[2] + mu[3]) * node.tileTicks[0]![2] : 0;
}

/**
 * Busy ticks of the streamer, block mover and DMA engine on the largest block (index 0, 1, 2), then per boundary the
 * latency-bound time: steps that fetch across it (at most one latency chain each, `buffers` of them in flight). A's
 * busy time is scaled by the halo factor (a conv's A tile moves its distinct input, not rows x columns).
 */
export function moverTicks(node: TileNode, traffic: BlockTraffic): [number, number, number, number, number, number] {
  const out: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0];
  const [ta, tb, tc] = node.tileCounts;
  for (let b = 0; b < 3; b++) {
    const mu = traffic.multiplicity[b]!;
    const tt = node.tileTicks[b]!;
    out[b] = mu[0] * tt[0] * node.haloFactor + mu[1] * tt[1] + (mu[2] + mu[3]) * tt[2];
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
  return cyclesOfCode(m, node, movers, dataflow, cRoundTrip, (buffers[0] - 1) | ((buffers[1] - 1) << 1) | ((buffers[2] - 1) << 2));
}

/** `cyclesOf` for a buffering code (bits 0, 1, 2: L1, L2, L3 double buffered). */
function cyclesOfCode(m: Machine, node: TileNode, movers: readonly number[], dataflow: number, cRoundTrip: number, code: number): number {
  const fabric = node.fabricTicks[dataflow]!;
  const two0 = code & 1;
  const two1 = code & 2;
  const two2 = code & 4;
  const busiest = Math.max(fabric, movers[0]!, movers[1]!, movers[2]!, two0 ? movers[3]! / 2 : movers[3]!, two1 ? movers[4]! / 2 : movers[4]!, two2 ? movers[5]! / 2 : movers[5]!);
  const serial = fabric + (two0 ? cRoundTrip : movers[0]!) + (two1 ? 0 : movers[1]!) + (two2 ? 0 : movers[2]!);
  return (Math.max(busiest, serial) + node.startupTicks + node.drainTicks) / m.fabricTicks;
}

/** `cyclesOf` for all eight buffering codes at once, into `out` (the search's inner loop: no arrays per point). */
export function cyclesByBuffers(m: Machine, node: TileNode, movers: readonly number[], dataflow: number, cRoundTrip: number, out: Float64Array): void {
  for (let code = 0; code < 8; code++) out[code] = cyclesOfCode(m, node, movers, dataflow, cRoundTrip, code);
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
