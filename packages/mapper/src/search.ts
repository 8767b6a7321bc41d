import { NEST_ORDERS, tileSetBytes, type TileShape } from "@kpu/ir";
import type { Hardware } from "@kpu/kpu-model";
import { cRoundTripTicks, cyclesByBuffers, cyclesOf, energyOf, machineOf, moverTicks, orderTraffic, tileNode, type GemmShape, type Machine, type OrderTraffic, type TileNode } from "./cost.js";
import { BUFFER_CODES, DATAFLOWS, buffersFit, largestBlock, spaceGrids, spaceTiles, type Grid } from "./space.js";
import type { BlockTraffic } from "./traffic.js";

/**
 * Branch and bound over the space, one slice (a grid and a range of its tiles) at a time. Every point has a key
 * [objective, cycles, energy, DRAM bytes] compared lexicographically, then its index in the space's enumeration
 * (grid, tile, order, dataflow, buffering): the documented tie order. A node is pruned when its lower-bound key is
 * worse than the current runner-up's at the first component where they differ (the bounds hold for every point below
 * it, so the best two points of the slice are exact). Bounds: compulsory traffic (every tile moved once across every
 * boundary) for bytes, energy and the engines' busy time; the best dataflow's fabric time for cycles.
 */
export const OBJECTIVES = ["latency", "energy", "edp", "dram"] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface Leaf {
  readonly key: readonly [number, number, number, number];
  readonly index: number;
  readonly grid: Grid;
  readonly tile: TileShape;
  readonly order: number;
  readonly dataflow: number;
  readonly buffersCode: number;
  readonly cycles: number;
  readonly energyPj: number;
  readonly dramBytes: number;
  readonly analyticTraffic: boolean;
}

export interface SliceResult {
  readonly top: Leaf[];
  readonly evaluated: number;
  readonly pruned: number;
  readonly engineRuns: number;
}

export interface Slice {
  readonly grid: number;
  readonly from: number;
  readonly to: number;
}

/** Index stride per grid: larger than any tile count times the points per tile. */
const GRID_STRIDE = 1e12;
const PER_TILE = NEST_ORDERS.length * DATAFLOWS.length * BUFFER_CODES;

export function primaryOf(objective: Objective, cycles: number, energy: number, dram: number): number {
  switch (objective) {
    case "latency":
      return cycles;
    case "energy":
      return energy;
    case "edp":
      return cycles * energy;
    case "dram":
      return dram;
  }
}

/** -1: a before b, 1: after, 0 equal keys. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

export function compareLeaves(a: Leaf, b: Leaf): number {
  return compareKeys(a.key, b.key) || a.index - b.index;
}

/** True when every point with a key at least `bound` (componentwise) comes after `leaf`. */
function boundedOut(bound: readonly number[], leaf: Leaf | undefined): boolean {
  return leaf !== undefined && compareKeys(bound, leaf.key) > 0;
}

/** Keeps the best two leaves. */
class TopTwo {
  readonly top: Leaf[] = [];
  offer(leaf: Leaf): void {
    const t = this.top;
    if (t.length === 2 && compareLeaves(leaf, t[1]!) >= 0) return;
    t.push(leaf);
    t.sort(compareLeaves);
    if (t.length > 2) t.pop();
  }
  get threshold(): Leaf | undefined {
    return this.top.length === 2 ? this.top[1] : undefined;
  }
}

/** The compulsory traffic of a block: every tile crosses every boundary once, C never read. */
function compulsory(): BlockTraffic {
  const one = [1, 1, 0, 1] as const;
  const flow = { fill: [0, 0, 0] as const, writeBack: 0 };
  return { levels: [flow, flow, flow], multiplicity: [one, one, one], exact: true };
}

/** Chip-level compulsory bytes of a node (DRAM with multicast; L3 and L2 boundaries; A times the node's halo factor). */
function compulsoryBytes(node: TileNode, eb: number): { dram: number; l3: number; l2: number } {
  let dram = 0;
  let onChip = 0;
  for (const s of node.shares) {
    const a = s.m * node.k * eb * node.haloFactor;
    const b = node.k * s.n * eb;
    const c = s.m * s.n * eb;
    dram += s.count * (a / node.grid.cols + b / node.grid.rows + c);
    onChip += s.count * (a + b + c);
  }
  return { dram, l3: onChip, l2: onChip };
}

/**
 * Searches the space's tiles [from, to) of one grid (`searchSlices` on one slice).
 */
export function searchSlice(hw: Hardware, shape: GemmShape, objective: Objective, slice: Slice, seed: readonly Leaf[] = []): SliceResult {
  return searchSlices(hw, shape, objective, [slice], seed);
}

/**
 * Searches the (grid, tile) nodes of the slices together, best bound first (ties in index order), so the runner-up
 * tightens early whichever slice holds the good nodes. Pass 1 costs every order whose traffic the closed form gives
 * exactly; the others wait, with the closed form's lower bound, for pass 2, which runs the hierarchy engine only for
 * those the runner-up of pass 1 cannot rule out. `seed`: points known from elsewhere (they only tighten the pruning:
 * a point after two of them cannot be in the top two).
 */
export function searchSlices(hw: Hardware, shape: GemmShape, objective: Objective, slices: readonly Slice[], seed: readonly Leaf[] = []): SliceResult {
  const m = machineOf(hw);
  const grids = spaceGrids(shape, hw.computeTiles);
  const top = new TopTwo();
  for (const leaf of seed) top.offer(leaf);
  const counts = { evaluated: 0, pruned: 0, engineRuns: 0 };
  const tilesOf = new Map<number, { tiles: TileShape[]; block: TileShape }>();
  const nodes: { g: number; i: number; node: TileNode; codes: number[]; bound: readonly number[] }[] = [];
  for (const slice of slices) {
    const grid = grids[slice.grid]!;
    let space = tilesOf.get(slice.grid);
    if (space === undefined) {
      space = { tiles: spaceTiles(hw, shape, grid), block: largestBlock(shape, grid) };
      tilesOf.set(slice.grid, space);
    }
    for (let i = slice.from; i < slice.to; i++) {
      const tile = space.tiles[i]!;
      const node = tileNode(m, shape, grid, tile);
      const set = tileSetBytes(tile, m.eb, space.block);
      const codes: number[] = [];
      for (let c = 0; c < BUFFER_CODES; c++) if (buffersFit(hw, set, c)) codes.push(c);
      nodes.push({ g: slice.grid, i, node, codes, bound: orderBound(m, objective, node, null) });
    }
  }
  // visit the most promising nodes first (ties in index order), so the runner-up tightens early
  const visit = nodes.map((_, v) => v).sort((a, b) => compareKeys(nodes[a]!.bound, nodes[b]!.bound) || nodes[a]!.g - nodes[b]!.g || nodes[a]!.i - nodes[b]!.i);
  const deferred: { v: number; o: number; bound: readonly number[] }[] = [];
  const byCode = new Float64Array(BUFFER_CODES);
  const cost = (v: number, o: number, traffic: OrderTraffic): void => {
    const { g, i, node, codes } = nodes[v]!;
    const big = traffic.perShare[0]!;
    const movers = moverTicks(node, big);
    const round = cRoundTripTicks(node, big);
    for (let d = 0; d < DATAFLOWS.length; d++) {
      const energy = energyOf(m, node, traffic, d);
      cyclesByBuffers(m, node, movers, d, round, byCode);
      for (const code of codes) {
        const cycles = byCode[code]!;
        counts.evaluated++;
        const primary = primaryOf(objective, cycles, energy, traffic.dramBytes);
        // most points lose to the runner-up on the objective alone: skip building their leaf
        const threshold = top.threshold;
        if (threshold !== undefined && primary > threshold.key[0]) continue;
        const key = [primary, cycles, energy, traffic.dramBytes] as const;
        const index = g * GRID_STRIDE + i * PER_TILE + (o * DATAFLOWS.length + d) * BUFFER_CODES + code;
        top.offer({ key, index, grid: node.grid, tile: node.tile, order: o, dataflow: d, buffersCode: code, cycles, energyPj: energy, dramBytes: traffic.dramBytes, analyticTraffic: traffic.analytic });
      }
    }
  };
  for (const v of visit) {
    const { node, codes, bound } = nodes[v]!;
    const points = codes.length * DATAFLOWS.length;
    if (boundedOut(bound, top.threshold)) {
      counts.pruned += points * NEST_ORDERS.length;
      continue;
    }
    for (let o = 0; o < NEST_ORDERS.length; o++) {
      const traffic = orderTraffic(m, node, NEST_ORDERS[o]!, false);
      if (traffic.analytic) cost(v, o, traffic);
      else deferred.push({ v, o, bound: orderBound(m, objective, node, traffic) });
    }
  }
  deferred.sort((a, b) => compareKeys(a.bound, b.bound) || nodes[a.v]!.g - nodes[b.v]!.g || nodes[a.v]!.i - nodes[b.v]!.i || a.o - b.o);
  for (const { v, o, bound } of deferred) {
    const { node, codes } = nodes[v]!;
    if (boundedOut(bound, top.threshold)) {
      counts.pruned += codes.length * DATAFLOWS.length;
      continue;
    }
    counts.engineRuns++;
    cost(v, o, orderTraffic(m, node, NEST_ORDERS[o]!, true));
  }
  return { top: top.top, ...counts };
}

/**
 * The lower-bound key of a node (traffic null: compulsory traffic) or of one of its orders (traffic: the closed form,
 * exact or a lower bound): the best dataflow, full overlap.
 */
function orderBound(m: Machine, objective: Objective, node: TileNode, traffic: OrderTraffic | null): [number, number, number, number] {
  const big = traffic === null ? compulsory() : traffic.perShare[0]!;
  const movers = moverTicks(node, big);
  const round = cRoundTripTicks(node, big);
  let cycles = Infinity;
  let l1 = Infinity;
  for (let d = 0; d < DATAFLOWS.length; d++) {
    // one buffer at L1 replaces the round trip by the whole streamer time, which is at least as long
    cycles = Math.min(cycles, cyclesOf(m, node, movers, d, [2, 2, 2], round));
    l1 = Math.min(l1, node.l1BytesChip[d]!);
  }
  const bytes = traffic === null ? compulsoryBytes(node, m.eb) : { dram: traffic.dramBytes, l3: traffic.l3Bytes, l2: traffic.l2Bytes };
  const lv = m.hw.levels;
  const energy = node.macsChip * m.hw.fabric.macEnergyPj + bytes.dram * lv.dram.energyPjPerByte + bytes.l3 * lv.l3.energyPjPerByte + bytes.l2 * lv.l2.energyPjPerByte + l1 * lv.l1.energyPjPerByte;
  return [primaryOf(objective, cycles, energy, bytes.dram), cycles, energy, bytes.dram];
}

/** The slices of the space: per grid, its tiles in chunks of at most `chunk`. */
export function spaceSlices(hw: Hardware, shape: GemmShape, chunk: number): Slice[] {
  const slices: Slice[] = [];
  spaceGrids(shape, hw.computeTiles).forEach((grid, g) => {
    const count = spaceTiles(hw, shape, grid).length;
    for (let from = 0; from < count; from += chunk) slices.push({ grid: g, from, to: Math.min(count, from + chunk) });
  });
  return slices;
}
