import { KpuError, mappingNest, nestStepCount, tileExtent, validateMapping, type Mapping, type TileShape } from "@kpu/ir";
import { DEP_DATA, TENSOR_A, TENSOR_B, TRANSFER_LOAD, simulateHierarchy, type HierarchySink, type HierarchySpec } from "@kpu/scheduler";
import type { Hardware, LevelName } from "../hardware.js";
import { Costs } from "./costs.js";
import { DMA, FABRIC, KIND_COMPUTE, KIND_LOAD, KIND_WRITEBACK, MOVER, STREAMER, TENSOR_C, TaskProgram, WAIT_CREDIT, WAIT_DATA, type Residency } from "./program.js";

/** Buffering depth per level: how many steps' tiles a level may hold ahead of its consumer (1 = none, 2 = double). */
export interface BufferDepths {
  readonly l3: number;
  readonly l2: number;
  readonly l1: number;
}

export interface PlanOptions {
  readonly buffers: BufferDepths;
  readonly activeComputeTiles: number;
  /** Levels whose transfers take no time (L1: the fabric is never slowed by L1 bandwidth). */
  readonly unlimitedBandwidth: ReadonlySet<LevelName>;
  readonly zeroLatency: boolean;
  readonly zeroCompute: boolean;
  readonly recordResidency: boolean;
  readonly onProgress?: (fraction: number) => void;
  /** The file the mapping came from, for error locations. */
  readonly mappingSource?: string;
}

/** Bytes and MACs the plan moves and computes, per level, for one compute tile's share. */
export interface PlanTotals {
  readonly dramReadBytes: number;
  readonly dramWriteBytes: number;
  readonly l3ReadBytes: number;
  readonly l3WriteBytes: number;
  readonly l2ReadBytes: number;
  readonly l2WriteBytes: number;
  readonly l1ReadBytes: number;
  readonly l1WriteBytes: number;
  readonly macs: number;
  readonly fabricCycles: number;
}

/** Totals of nothing: the starting point of every accumulation (a fresh, mutable object). */
export function zeroPlanTotals(): { -readonly [K in keyof PlanTotals]: PlanTotals[K] } {
  return { dramReadBytes: 0, dramWriteBytes: 0, l3ReadBytes: 0, l3WriteBytes: 0, l2ReadBytes: 0, l2WriteBytes: 0, l1ReadBytes: 0, l1WriteBytes: 0, macs: 0, fabricCycles: 0 };
}

export interface Plan {
  readonly program: TaskProgram;
  readonly steps: number;
  /** Per step: the fabric task, and for A and B the tasks that brought the used copy into L3, L2 and L1. */
  readonly stepFabric: Int32Array;
  readonly stepArrivals: Int32Array;
  readonly totals: PlanTotals;
  readonly residency: Residency[];
  readonly capacities: { readonly l3: number; readonly l2: number; readonly l1: number };
}

/** The most (i, j, k) steps one simulation plans (about 0.75 KB of task data per step). */
export const MAX_SIM_STEPS = 1_000_000;

/** Engine level index (0 = L1) -> the resource that moves tiles across the boundary above it, and its level name. */
const BOUNDARY_RESOURCE = [STREAMER, MOVER, DMA] as const;
const BOUNDARY_LEVEL: readonly ("l2" | "l3" | "dram")[] = ["l2", "l3", "dram"];

/** Per-compute-tile capacities of the on-chip levels. */
export function perTileCapacities(hw: Hardware): { readonly l3: number; readonly l2: number; readonly l1: number } {
  const d = hw.derived.levels;
  return { l3: d.l3.perTileCapacityBytes, l2: d.l2.perTileCapacityBytes, l1: d.l1.perTileCapacityBytes };
}

/** The hierarchy the engine runs for one compute tile's block under a mapping: L1, L2, L3 from the fabric out. */
export function hierarchyOf(hw: Hardware, mapping: Mapping, block: TileShape): HierarchySpec {
  const cap = perTileCapacities(hw);
  const lv = mapping.levels;
  return {
    nest: mappingNest(mapping, block),
    elementBytes: hw.derived.elementBytes,
    cAccounting: "rmw",
    levels: (["l1", "l2", "l3"] as const).map((name) => ({ name, capacityBytes: cap[name], tile: lv[name].tile, policy: lv[name].policy, buffers: lv[name].buffers })),
  };
}

/** Refuses a mapping that does not nest or fit one compute tile's levels, naming the level and the bytes missing. */
export function checkMappingFits(hw: Hardware, mapping: Mapping, block: TileShape, source?: string): void {
  try {
    const fit = { capacityBytes: perTileCapacities(hw), elementBytes: hw.derived.elementBytes, block, computeTiles: hw.computeTiles, array: { rows: hw.fabric.rows, cols: hw.fabric.cols } };
    validateMapping(mapping, fit, source === undefined ? "mapping" : `${source}:`);
  } catch (e) {
    if (e instanceof KpuError && e.code === "KPU_MAPPING_DOES_NOT_FIT") {
      // the mapping asks more of a level than the hardware has: name the hardware next to the mapping's field
      const where = source === undefined ? `${hw.name}:${e.where ?? "mapping"}` : `${e.where ?? source} (on ${hw.name})`;
      throw new KpuError("KPU_HW_BUFFER_TOO_SMALL", e.message, { where, hint: e.hint ?? "Use smaller tiles." });
    }
    throw e;
  }
  const steps = nestStepCount(mappingNest(mapping, block));
  if (steps > MAX_SIM_STEPS) {
    throw new KpuError("KPU_TOO_LARGE", `${steps} tile steps per compute tile is more than the ${MAX_SIM_STEPS} this simulation keeps in memory`, {
      where: "--tiles",
      hint: "Use larger tiles (--tiles Ti,Tj,Tk) or a smaller matmul; 8192^3 on edge-ai is about 800,000 steps.",
    });
  }
}

/**
 * Turns the hierarchy engine's transfer list into the task program: each transfer a task on the engine of its
 * boundary (streamer L2<->L1, block mover L3<->L2, DMA engine DRAM<->L3), each step a fabric task, each dependency a
 * prerequisite (data, or credit for space). With multicast, a DRAM read of A (B) serves the whole grid row (column):
 * the shared DRAM channels spend 1/cols (1/rows) of the per-tile time on it, and the chip reads it once.
 */
class TimingSink implements HierarchySink {
  readonly prog: TaskProgram;
  readonly stepFabric: Int32Array;
  readonly stepArrivals: Int32Array;
  readonly totals = zeroPlanTotals();
  readonly residencies: Residency[] = [];
  /** Recorded only when asked for: every tile copy's interval at its level (1 = L1, 2 = L2, 3 = L3). */
  readonly residency: HierarchySink["residency"];
  private last = -1;

  constructor(
    private readonly costs: Costs,
    private readonly block: TileShape,
    private readonly step: TileShape,
    private readonly share: { readonly a: number; readonly b: number },
    private readonly steps: number,
    private readonly opts: PlanOptions,
  ) {
    this.prog = new TaskProgram(Math.min(1 << 21, Math.max(1024, steps * 8)));
    this.stepFabric = new Int32Array(steps);
    this.stepArrivals = new Int32Array(steps * 6).fill(-1);
    if (opts.recordResidency) {
      this.residency = (level, bytes, alloc, releases, evicted) => {
        this.residencies.push({ level: (level + 1) as 1 | 2 | 3, bytes, alloc, release: releases.filter((r) => r >= 0), evicted });
      };
    }
  }

  transfer(kind: number, level: number, tensor: number, u: number, v: number, bytes: number, step: number): number {
    const boundary = BOUNDARY_LEVEL[level]!;
    const [occ0, lat] = this.costs.transfer(boundary, bytes);
    const shared = kind === TRANSFER_LOAD && boundary === "dram" ? (tensor === TENSOR_A ? this.share.a : tensor === TENSOR_B ? this.share.b : 1) : 1;
    const occ = shared > 1 ? Math.ceil(occ0 / shared) : occ0;
    const taskKind = kind === TRANSFER_LOAD ? KIND_LOAD : KIND_WRITEBACK;
    this.last = this.prog.add(BOUNDARY_RESOURCE[level]!, taskKind, tensor, u, v, -1, step, bytes, occ, lat);
    this.count(boundary, kind === TRANSFER_LOAD, bytes / shared);
    return this.last;
  }

  private count(boundary: "dram" | "l3" | "l2", read: boolean, bytes: number): void {
    const t = this.totals;
    if (boundary === "dram") {
      if (read) t.dramReadBytes += bytes;
      else t.dramWriteBytes += bytes;
    } else if (boundary === "l3") {
      if (read) t.l3ReadBytes += bytes;
      else t.l3WriteBytes += bytes;
    } else if (read) t.l2ReadBytes += bytes;
    else t.l2WriteBytes += bytes;
  }

  compute(step: number, m: number, n: number, k: number, chains: Int32Array): number {
    const tm = tileExtent(this.block.m, this.step.m, m);
    const tn = tileExtent(this.block.n, this.step.n, n);
    const tk = tileExtent(this.block.k, this.step.k, k);
    const cost = this.costs.fabric(tm, tn, tk);
    this.last = this.prog.add(FABRIC, KIND_COMPUTE, TENSOR_C, m, n, k, step, 0, cost.occ, this.costs.l1Latency);
    this.stepFabric[step] = this.last;
    // chains: A at L1, L2, L3, then B; the injection schedule keeps L3, L2, L1 per operand
    const o = step * 6;
    const arr = this.stepArrivals;
    arr[o] = chains[2]!;
    arr[o + 1] = chains[1]!;
    arr[o + 2] = chains[0]!;
    arr[o + 3] = chains[5]!;
    arr[o + 4] = chains[4]!;
    arr[o + 5] = chains[3]!;
    const t = this.totals;
    t.macs += tm * tn * tk;
    t.fabricCycles += cost.cycles;
    t.l1ReadBytes += cost.l1Read;
    t.l1WriteBytes += cost.l1Write;
    if ((step & 0xffff) === 0xffff) this.opts.onProgress?.(step / this.steps);
    return this.last;
  }

  require(task: number, kind: number): void {
    this.prog.require(this.last, task, kind === DEP_DATA ? WAIT_DATA : WAIT_CREDIT);
  }
}

/**
 * Builds the task program of one compute tile's block: the hierarchy engine plans which tile moves between which
 * levels and when (it is the only planner), and this turns its transfer list into timed tasks.
 */
export function planMatmul(hw: Hardware, mapping: Mapping, block: TileShape, opts: PlanOptions): Plan {
  checkMappingFits(hw, mapping, block, opts.mappingSource);
  const spec = hierarchyOf(hw, mapping, block);
  const steps = nestStepCount(spec.nest);
  const step = mapping.levels.l1.tile;
  const multicast = mapping.grid.multicast;
  const share = { a: multicast ? mapping.grid.cols : 1, b: multicast ? mapping.grid.rows : 1 };
  const sink = new TimingSink(new Costs(hw, mapping.fabric, opts), block, step, share, steps, opts);
  simulateHierarchy(spec, sink);
  return {
    program: sink.prog,
    steps,
    stepFabric: sink.stepFabric,
    stepArrivals: sink.stepArrivals,
    totals: sink.totals,
    residency: sink.residencies,
    capacities: perTileCapacities(hw),
  };
}
