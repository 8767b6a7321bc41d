import { KpuError, STRATEGY_ORDER, singleLevelNest, type ReplacementPolicyName, type TileShape } from "@kpu/ir";
import { simulateHierarchy, type HierarchyLevel, type LevelTraffic } from "./hierarchy.js";
import { compulsoryBytes, ioLowerBoundBytes } from "./bounds.js";
import { simulateL3, type CAccounting, type L3Model } from "./internal/simulate.js";
import { elementBytesOf, tensorBytes, validateProblem, type MatmulProblem } from "./problem.js";
import { STRATEGIES, type Strategy } from "./strategy.js";
import { chooseTiles, tileFootprintBytes, type TileRule } from "./tiles.js";

export type { CAccounting, L3Model } from "./internal/simulate.js";
export const L3_MODELS = ["kpu", "kpu-sim"] as const;
export const C_ACCOUNTINGS = ["rmw", "read-once"] as const;

/** DRAM traffic of one tensor, in bytes. */
export interface TensorTraffic {
  /** Exact tensor size (M*K, K*N or M*N elements times element bytes). */
  readonly exactBytes: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  /** Tile requests to L3 and how many hit. */
  readonly requests: number;
  readonly hits: number;
}

/** One (strategy, L3 capacity) result. Byte counts are totals for the whole matmul. */
export interface L3Result {
  readonly strategy: Strategy;
  readonly l3Bytes: number;
  readonly tiles: TileShape;
  readonly model: L3Model;
  readonly cAccounting: CAccounting;
  readonly tensors: { readonly a: TensorTraffic; readonly b: TensorTraffic; readonly c: TensorTraffic };
  readonly dramReadBytes: number;
  readonly dramWriteBytes: number;
  /** A and B read once, C written once. */
  readonly compulsoryBytes: number;
  /** I/O lower bound for a fast memory of l3Bytes (l3Bytes + |C| with read-once, whose partial sums stay on chip). */
  readonly lowerBoundBytes: number;
  /** kpu model: (reads + writes) / compulsory; per tensor: A reads / |A|, B reads / |B|, C (reads + writes) / |C|.
   *  kpu-sim model: kpu-sim's ratios (see kpuSimOverfetch*). */
  readonly overfetchTotal: number;
  readonly overfetchA: number;
  readonly overfetchB: number;
  readonly overfetchC: number;
  /** kpu-sim's ratio in either model: bytes read from DRAM / (|A| + |B| + |C|), the C write-back excluded. */
  readonly kpuSimOverfetchTotal: number;
  /** (reads + writes) / I/O lower bound. */
  readonly lowerBoundRatio: number;
  readonly hitRate: number;
  readonly evictions: number;
  readonly peakBytes: number;
  /** peakBytes / l3Bytes. */
  readonly utilization: number;
  /** With an L2 in front of the L3 (`l2` option): the L2's own traffic, as the hierarchy engine reports it. */
  readonly l2?: LevelTraffic;
}

export interface L3Options {
  /** L3 capacities in bytes (one result per capacity and strategy). */
  readonly l3Bytes: readonly number[];
  /** Strategies to analyse (default all three). */
  readonly strategies?: readonly Strategy[];
  /** `kpu` (correct, default) or `kpu-sim` (its quirks reproduced). */
  readonly model?: L3Model;
  /** C accounting in the kpu model (default `rmw`). */
  readonly cAccounting?: CAccounting;
  /** Explicit tiles; default: the tile rule. */
  readonly tiles?: TileShape;
  /** `kpu-sim` (default; one rule for all strategies) or `strategy` (per-strategy sizing). */
  readonly tileRule?: TileRule;
  /** L2 bank for the tile rules (default 64 KiB). */
  readonly bankBytes?: number;
  /** The L3's replacement policy (kpu model; default `lru`, answered for every size in one pass). */
  readonly l3Policy?: ReplacementPolicyName;
  /** An L2 in front of the L3 holding the same tiles: the L3 then sees only the L2's misses and write-backs. */
  readonly l2?: { readonly bytes: number; readonly policy?: ReplacementPolicyName };
}

/** Checks an L3 capacity: a positive whole number of bytes that holds at least the smallest tile. */
export function validateL3Bytes(l3Bytes: number, tiles: TileShape, elementBytes: number, where = "--l3"): void {
  if (!Number.isSafeInteger(l3Bytes) || l3Bytes <= 0) {
    throw new KpuError("KPU_BAD_SIZE", `${String(l3Bytes)} is not a positive whole number of bytes`, {
      where,
      hint: "Give L3 sizes with a unit, e.g. 16MiB.",
    });
  }
  const smallest = Math.min(tiles.m * tiles.k, tiles.k * tiles.n, tiles.m * tiles.n) * elementBytes;
  if (l3Bytes < smallest) {
    throw new KpuError("KPU_BAD_SIZE", `${l3Bytes} bytes is below one tile (${smallest} bytes)`, {
      where,
      hint: `Give an L3 of at least ${tileFootprintBytes(tiles, elementBytes)} bytes (one A, B and C tile).`,
    });
  }
}

function result(
  problem: MatmulProblem,
  strategy: Strategy,
  tiles: TileShape,
  model: L3Model,
  cAccounting: CAccounting,
  r: LevelCounts,
): L3Result {
  const exact = tensorBytes(problem);
  const sim = model === "kpu-sim";
  const cReads = r.readBytes[2];
  const cWrites = r.cWriteBytes ?? (sim || cAccounting === "read-once" ? exact.c : exact.c + cReads);
  const traffic = (i: 0 | 1 | 2, exactBytes: number, writeBytes: number): TensorTraffic => ({
    exactBytes,
    readBytes: r.readBytes[i],
    writeBytes,
    requests: r.requests[i],
    hits: r.hits[i],
  });
  const tensors = { a: traffic(0, exact.a, 0), b: traffic(1, exact.b, 0), c: traffic(2, exact.c, cWrites) };
  const dramReadBytes = r.readBytes[0] + r.readBytes[1] + cReads;
  const dramWriteBytes = cWrites;
  const compulsory = compulsoryBytes(problem);
  // read-once keeps partial sums of C in the compute fabric, outside L3: its fast memory is L3 plus C
  const lowerBound = ioLowerBoundBytes(problem, cAccounting === "read-once" && !sim ? r.capBytes + exact.c : r.capBytes);
  const kpuSimTotal = dramReadBytes / (exact.a + exact.b + exact.c);
  const requests = r.requests[0] + r.requests[1] + r.requests[2];
  const hits = r.hits[0] + r.hits[1] + r.hits[2];
  return {
    strategy,
    l3Bytes: r.capBytes,
    tiles,
    model,
    cAccounting,
    tensors,
    dramReadBytes,
    dramWriteBytes,
    compulsoryBytes: compulsory,
    lowerBoundBytes: lowerBound,
    overfetchTotal: sim ? kpuSimTotal : (dramReadBytes + dramWriteBytes) / compulsory,
    overfetchA: r.readBytes[0] / exact.a,
    overfetchB: r.readBytes[1] / exact.b,
    overfetchC: sim ? cReads / exact.c : (cReads + cWrites) / exact.c,
    kpuSimOverfetchTotal: kpuSimTotal,
    lowerBoundRatio: (dramReadBytes + dramWriteBytes) / lowerBound,
    hitRate: requests === 0 ? 0 : hits / requests,
    evictions: r.evictions,
    peakBytes: r.peakBytes,
    utilization: r.peakBytes / r.capBytes,
    ...(r.l2 === undefined ? {} : { l2: r.l2 }),
  };
}

/** What one L3 size's simulation counted (either engine path). */
type LevelCounts = Pick<ReturnType<typeof simulateL3>[number], "capBytes" | "requests" | "hits" | "readBytes" | "evictions" | "peakBytes"> & {
  /** C's DRAM writes when the engine counted them (with an L2 in front the rmw closed form does not hold). */
  readonly cWriteBytes?: number;
  readonly l2?: LevelTraffic;
};

/** One L3 size through the hierarchy engine: for a non-LRU L3, or with an L2 in front of it. */
function hierarchyCounts(problem: MatmulProblem, strategy: Strategy, tiles: TileShape, capBytes: number, options: L3Options): LevelCounts {
  const levels: HierarchyLevel[] = [];
  if (options.l2 !== undefined) levels.push({ name: "l2", capacityBytes: options.l2.bytes, tile: tiles, policy: options.l2.policy ?? "lru" });
  levels.push({ name: "l3", capacityBytes: capBytes, tile: tiles, policy: options.l3Policy ?? "lru" });
  const nest = singleLevelNest({ m: problem.m, n: problem.n, k: problem.k }, tiles, STRATEGY_ORDER[strategy]);
  const h = simulateHierarchy({ nest, elementBytes: elementBytesOf(problem), levels, cAccounting: options.cAccounting ?? "rmw" });
  const l3 = h.levels[h.levels.length - 1]!;
  return {
    capBytes,
    requests: l3.requests,
    hits: l3.hits,
    readBytes: l3.fillBytes,
    evictions: l3.evictions,
    peakBytes: l3.peakBytes,
    cWriteBytes: l3.writeBackBytes[2],
    ...(options.l2 === undefined ? {} : { l2: h.levels[0]! }),
  };
}

/**
 * L3/DRAM traffic of a matmul for every requested strategy and L3 capacity: one simulation pass per strategy answers
 * all capacities. Results are ordered by strategy (as given), then by capacity (as given).
 */
export function analyzeL3(problem: MatmulProblem, options: L3Options): L3Result[] {
  validateProblem(problem, "--");
  const model = options.model ?? "kpu";
  const cAccounting = options.cAccounting ?? "rmw";
  const eb = elementBytesOf(problem);
  if (model === "kpu-sim" && (options.l2 !== undefined || (options.l3Policy ?? "lru") !== "lru")) {
    throw new KpuError("KPU_USAGE", "the kpu-sim model has one LRU L3 and no L2", {
      where: "--model",
      hint: "Use --model kpu for an L2 in front of the L3 or another L3 policy.",
    });
  }
  const out: L3Result[] = [];
  if (options.l3Bytes.length === 0) {
    throw new KpuError("KPU_BAD_SIZE", "no L3 size given", { where: "--l3", hint: "Give at least one size, e.g. --l3 16MiB." });
  }
  for (const strategy of options.strategies ?? STRATEGIES) {
    const tiles = chooseTiles(problem, strategy, {
      ...(options.tiles ? { tiles: options.tiles } : {}),
      ...(options.tileRule ? { rule: options.tileRule } : {}),
      ...(options.bankBytes ? { bankBytes: options.bankBytes } : {}),
    });
    for (const c of options.l3Bytes) validateL3Bytes(c, tiles, eb);
    const caps = [...new Set(options.l3Bytes)].sort((x, y) => x - y);
    const oneLruLevel = model === "kpu-sim" || (options.l2 === undefined && (options.l3Policy ?? "lru") === "lru");
    // one LRU level: Mattson's one pass answers every size (with the steady-state skip); otherwise the engine per size
    const rs: LevelCounts[] = oneLruLevel
      ? simulateL3({ ...problem, elementBytes: eb, ti: tiles.m, tj: tiles.n, tk: tiles.k, strategy, model, cAccounting, capsBytes: caps })
      : caps.map((c) => hierarchyCounts(problem, strategy, tiles, c, options));
    const byCap = new Map(rs.map((r) => [r.capBytes, r]));
    for (const c of options.l3Bytes) out.push(result(problem, strategy, tiles, model, cAccounting, byCap.get(c)!));
  }
  return out;
}

/**
 * Per-tensor DRAM traffic of one strategy, tiling and L3 capacity: the function @kpu/kpu-model uses so that bytes
 * moved per level equal what this package reports.
 */
export function l3Traffic(
  problem: MatmulProblem,
  options: { readonly strategy: Strategy; readonly l3Bytes: number } & Omit<L3Options, "l3Bytes" | "strategies">,
): L3Result {
  return analyzeL3(problem, { ...options, l3Bytes: [options.l3Bytes], strategies: [options.strategy] })[0]!;
}
