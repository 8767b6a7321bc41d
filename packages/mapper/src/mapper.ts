import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { KpuError, NEST_ORDERS, type Mapping } from "@kpu/ir";
import { DATAFLOWS, type Hardware } from "@kpu/kpu-model";
import { createWorkerPool, ioLowerBoundWords } from "@kpu/scheduler";
import type { ConvGemm } from "@kpu/passes";
import type { GemmShape } from "./cost.js";
import { convCompulsoryWords } from "./halo.js";
import { OBJECTIVES, compareLeaves, searchSlices, spaceSlices, type Leaf, type Objective, type SliceResult } from "./search.js";
import { buffersOf, pointMapping } from "./space.js";

export interface MapOptions {
  readonly objective?: Objective;
  /** Worker threads (default: every core); the answer is the same for every count. */
  readonly threads?: number;
}

/** One mapping with its cost for the whole (batched) GEMM. */
export interface MappedPoint {
  readonly mapping: Mapping;
  readonly cycles: number;
  readonly energyPj: number;
  readonly dramBytes: number;
  /** The objective's value (edp: energy in pJ times cycles). */
  readonly cost: number;
  /** The traffic came from the closed form (true) or the hierarchy engine (false). */
  readonly analyticTraffic: boolean;
}

export interface MapResult {
  /** The GEMM searched; `conv` when it is an implicit-GEMM conv (its A bytes carry the halo factor). */
  readonly shape: { readonly m: number; readonly n: number; readonly k: number; readonly batch: number; readonly conv?: ConvGemm };
  readonly hardware: string;
  readonly objective: Objective;
  readonly best: MappedPoint;
  /** The second point in the tie order (null when the space has one point). */
  readonly runnerUp: MappedPoint | null;
  /** The matmul I/O lower bound for the chip's on-chip capacity (ioLowerBoundWords), in bytes; a conv's: `convCompulsoryWords`. */
  readonly lowerBoundDramBytes: number;
  /** MACs over the chip's peak MACs per cycle. */
  readonly computeBoundCycles: number;
  /** best / bound - 1 (0 = on the bound). */
  readonly gaps: { readonly dram: number; readonly cycles: number };
  /** Points costed, points pruned without costing, hierarchy-engine runs for traffic the closed form does not cover. */
  readonly evaluated: number;
  readonly pruned: number;
  readonly engineRuns: number;
  readonly threads: number;
  readonly seconds: number;
}

function checkShape(shape: GemmShape): MapResult["shape"] {
  const batch = shape.batch ?? 1;
  for (const [key, v] of [["m", shape.m], ["n", shape.n], ["k", shape.k], ["batch", batch]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0 || v > 1 << 24) {
      throw new KpuError("KPU_BAD_DIM", `${key} = ${String(v)} must be a positive integer up to ${1 << 24}`, { where: `--${key}`, hint: "Give GEMM dimensions as whole numbers, e.g. --m 1024." });
    }
  }
  const conv = shape.conv;
  if (conv === undefined) return { m: shape.m, n: shape.n, k: shape.k, batch };
  for (const key of ["m", "n", "k"] as const) {
    if (conv[key] !== shape[key]) {
      throw new KpuError("KPU_BAD_DIM", `${key} = ${shape[key]} is not the conv geometry's ${key} = ${conv[key]}`, { where: `conv.${key}`, hint: "Give a conv's implicit GEMM as its geometry's m, n, k (FabricLayer.gemm and FabricLayer.conv)." });
    }
  }
  return { m: shape.m, n: shape.n, k: shape.k, batch, conv };
}

export function checkOptions(options: MapOptions): { objective: Objective; threads: number } {
  const objective = options.objective ?? "latency";
  const name: string = objective;
  if (!(OBJECTIVES as readonly string[]).includes(name)) {
    throw new KpuError("KPU_BAD_FLAG", `"${name}" is not one of ${OBJECTIVES.join(", ")}`, { where: "--objective", hint: `Use one of: ${OBJECTIVES.join(", ")}.` });
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1) {
    throw new KpuError("KPU_BAD_FLAG", `threads = ${String(threads)} must be a positive integer`, { where: "--threads", hint: "Pass --threads 1 or more." });
  }
  return { objective, threads };
}

/**
 * Runs a shape's slices: inline (one thread) or on a tinypool shared by every shape it is given. `whole`: the shape's
 * slices all go to one worker (a network keeps the workers busy with different shapes; one search prunes best).
 */
export interface SliceRunner {
  run(hw: Hardware, shape: GemmShape, objective: Objective, whole?: boolean): Promise<SliceResult[]>;
  destroy(): Promise<void>;
}

export function sliceRunner(threads: number): SliceRunner {
  let pool: ReturnType<typeof createWorkerPool> | undefined;
  return {
    async run(hw, shape, objective, whole = false) {
      const slices = spaceSlices(hw, shape, 128);
      if (threads <= 1 || slices.length <= 1) return [searchSlices(hw, shape, objective, slices)];
      if (whole) {
        pool ??= createWorkerPool(import.meta.url, { built: "./search-worker.js", source: "./search-worker-source.mjs" }, threads);
        return [(await pool.run({ hw, shape, objective, slices })) as SliceResult];
      }
      const workers = Math.min(threads, slices.length);
      // round-robin so every worker gets a share of every grid (the grids differ in cost)
      const tasks = Array.from({ length: workers }, (_, t) => slices.filter((_, i) => i % workers === t));
      pool ??= createWorkerPool(import.meta.url, { built: "./search-worker.js", source: "./search-worker-source.mjs" }, threads);
      const p = pool;
      return (await Promise.all(tasks.map((task) => p.run({ hw, shape, objective, slices: task })))) as SliceResult[];
    },
    async destroy() {
      await pool?.destroy();
    },
  };
}

function pointOf(hw: Hardware, leaf: Leaf, batch: number, objective: Objective): MappedPoint {
  const mapping = pointMapping(hw, { grid: leaf.grid, tile: leaf.tile, order: NEST_ORDERS[leaf.order]!, dataflow: DATAFLOWS[leaf.dataflow]!, buffers: buffersOf(leaf.buffersCode) });
  const cycles = leaf.cycles * batch;
  const energyPj = leaf.energyPj * batch;
  const dramBytes = leaf.dramBytes * batch;
  const cost = objective === "latency" ? cycles : objective === "energy" ? energyPj : objective === "dram" ? dramBytes : cycles * energyPj;
  return { mapping, cycles, energyPj, dramBytes, cost, analyticTraffic: leaf.analyticTraffic };
}

/**
 * The best mapping of a GEMM (or `batch` GEMMs of one shape) on the hardware for the objective, exact over the space
 * the package README documents, with the runner-up, the bounds and the gaps to them.
 */
export async function mapGemm(shape: GemmShape, hw: Hardware, options: MapOptions = {}): Promise<MapResult> {
  const { threads } = checkOptions(options);
  const runner = sliceRunner(threads);
  try {
    return await mapWith(runner, shape, hw, options);
  } finally {
    await runner.destroy();
  }
}

/** mapGemm on a given slice runner (the network mapper shares one pool between its shapes). */
export async function mapWith(runner: SliceRunner, shape: GemmShape, hw: Hardware, options: MapOptions = {}, whole = false): Promise<MapResult> {
  const start = performance.now();
  const s = checkShape(shape);
  const { objective, threads } = checkOptions(options);
  const results = await runner.run(hw, s, objective, whole);
  const leaves = results.flatMap((r) => r.top).sort(compareLeaves).filter((leaf, i, all) => i === 0 || leaf.index !== all[i - 1]!.index);
  const first = leaves[0];
  if (first === undefined) {
    throw new KpuError("KPU_MAPPING_DOES_NOT_FIT", `no mapping of ${s.m}x${s.n}x${s.k} fits ${hw.name}: no tile set fits every level within 1000000 steps`, {
      where: "--hw",
      hint: "Use hardware with larger on-chip levels, or a smaller GEMM.",
    });
  }
  const eb = hw.derived.elementBytes;
  const d = hw.derived.levels;
  const onChipWords = Math.floor(((d.l1.perTileCapacityBytes + d.l2.perTileCapacityBytes + d.l3.perTileCapacityBytes) * hw.computeTiles) / eb);
  const words = s.conv === undefined ? ioLowerBoundWords(s.m, s.n, s.k, onChipWords) : convCompulsoryWords(s.conv);
  const lowerBoundDramBytes = words * eb * s.batch;
  const computeBoundCycles = Math.ceil((s.m * s.n * s.k) / hw.derived.peakMacsPerCycle) * s.batch;
  const best = pointOf(hw, first, s.batch, objective);
  const second = leaves[1];
  return {
    shape: s,
    hardware: hw.name,
    objective,
    best,
    runnerUp: second === undefined ? null : pointOf(hw, second, s.batch, objective),
    lowerBoundDramBytes,
    computeBoundCycles,
    gaps: { dram: best.dramBytes / lowerBoundDramBytes - 1, cycles: best.cycles / computeBoundCycles - 1 },
    evaluated: results.reduce((a, r) => a + r.evaluated, 0),
    pruned: results.reduce((a, r) => a + r.pruned, 0),
    engineRuns: results.reduce((a, r) => a + r.engineRuns, 0),
    threads,
    seconds: (performance.now() - start) / 1000,
  };
}
