import { KpuError, strategyMapping, type Mapping, type Schedule, type TileShape } from "@kpu/ir";
import { chooseComputeGrid, chooseTiles, gridBlocks, type TileRule } from "@kpu/scheduler";
import { LEVELS, type Dataflow, type Hardware, type LevelName } from "./hardware.js";
import { runEngine, type EngineTrace } from "./internal/engine.js";
import { planSchedule } from "./internal/plan-schedule.js";
import { perTileCapacities, planMatmul, zeroPlanTotals, type BufferDepths, type Plan, type PlanTotals } from "./internal/plan.js";
import { FABRIC, RESOURCES, WAIT_DATA, type ResourceName } from "./internal/program.js";
import { checkDim, type MatmulWorkload, type Strategy, type WorkShare } from "./workload.js";

export type { BufferDepths } from "./internal/plan.js";
export { RESOURCES } from "./internal/program.js";
/** Task kinds in a run's program (`run.plan.program.kind`): a load into a level, a write-back out of it, a compute step. */
export const TASK_KINDS = { load: 0, writeback: 1, compute: 2 } as const;
export type { ResourceName } from "./internal/program.js";

export interface SimOptions {
  readonly hardware: Hardware;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /**
   * The mapping (`kpu.mapping`): tiles, loop orders, buffering and policy per level, the grid of compute tiles with
   * multicast, the fabric dataflow and fold. Default: built from the flags below by `buildMapping`.
   */
  readonly mapping?: Mapping;
  /** Where `mapping` came from (a file name), for error locations. */
  readonly mappingSource?: string;
  /** The dataflow strategy when no mapping is given (default `os`). */
  readonly strategy?: Strategy;
  /** Tile sizes; default: @kpu/scheduler's tile rule sized for the hardware's levels and buffering. */
  readonly tiles?: TileShape;
  /** The scheduler's tile rule when `tiles` is not given: `kpu-sim` (default) or `strategy` (per-strategy sizing). */
  readonly tileRule?: TileRule;
  /** Buffering depth for every level, or per level (default 2: double buffering). */
  readonly buffers?: number | Partial<BufferDepths>;
  /** The fabric's dataflow; default: the hardware's. */
  readonly dataflow?: Dataflow;
  /** Multicast of operand stripes over the grid of compute tiles (default on). */
  readonly multicast?: boolean;
  /**
   * Idealisations for bounds and tests: transfers out of these levels (all with `true`) take no time; no latency;
   * every compute step takes no time.
   */
  readonly unlimitedBandwidth?: boolean | readonly LevelName[];
  readonly zeroLatency?: boolean;
  readonly zeroCompute?: boolean;
  /** Keep every tile's residency interval per level (for checking capacities). */
  readonly recordResidency?: boolean;
  /** Called now and then with the fraction of tasks started (for progress bars). */
  readonly onProgress?: (fraction: number) => void;
  /**
   * Run the event engine on every distinct block shape of the grid split (at most 4), not only the largest: each
   * compute tile's timeline then comes from its own block (`SimRun.blocks`, `simTrace`). Bytes and energy always sum
   * every block; the report's times stay the largest block's.
   */
  readonly everyBlock?: boolean;
}

export interface ResourceReport {
  readonly resource: ResourceName;
  readonly clockMhz: number;
  readonly tasks: number;
  readonly bytes: number;
  /** In cycles of the resource's own clock. */
  readonly busyCycles: number;
  readonly stalledDataCycles: number;
  readonly stalledCreditCycles: number;
  readonly idleCycles: number;
  readonly busyFraction: number;
}

export interface LevelReport {
  readonly level: LevelName;
  /** What crosses the level's read port: DRAM->L3 for dram, L3->L2 for l3, L2->L1 for l2, L1->fabric for l1. */
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly bytes: number;
  readonly achievedGBps: number;
  readonly peakGBps: number;
  readonly energyPj: number;
}

/** The JSON-able outcome of a timing simulation (whole chip; time is the slowest compute tile's). */
export interface SimReport {
  readonly hardware: string;
  /** `matmul` (simulateMatmul) or `schedule` (simulateSchedule: m, n, k are those of its largest matmul op). */
  readonly source: "matmul" | "schedule";
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** The strategy (ws, is, os), or a schedule's loop order. */
  readonly strategy: string;
  readonly dataflow: Dataflow;
  readonly tiles: TileShape;
  readonly buffers: BufferDepths;
  readonly activeComputeTiles: number;
  readonly shares: readonly WorkShare[];
  /** The mapping that was simulated (matmuls only). */
  readonly mapping?: Mapping;
  readonly steps: number;
  readonly totalCycles: number;
  readonly timeNs: number;
  /** The fabric's own stall-free cycle count for the simulated share (sum over steps). */
  readonly fabricCycles: number;
  /** The busiest data mover's busy time, in fabric cycles, and which mover it is. */
  readonly dataMovementBoundCycles: number;
  readonly slowestMover: ResourceName;
  readonly fabricUtilisation: number;
  readonly macUtilisation: number;
  readonly macs: number;
  readonly resources: readonly ResourceReport[];
  readonly levels: readonly LevelReport[];
  readonly energyPj: { readonly total: number; readonly macs: number; readonly dram: number; readonly l3: number; readonly l2: number; readonly l1: number };
  readonly events: number;
}

/** One block shape's simulation: the compute tiles whose block of C has this shape run this timeline. */
export interface BlockRun {
  /** The block (M x N x K) and how many compute tiles get it; null for a schedule (one compute tile). */
  readonly share: WorkShare | null;
  readonly plan: Plan;
  readonly trace: EngineTrace;
}

/** A simulation with its timeline (for Gantt charts and injection schedules). */
export interface SimRun {
  readonly report: SimReport;
  readonly hardware: Hardware;
  /** The simulated share (null for a schedule). */
  readonly workload: MatmulWorkload | null;
  /** The largest block's task program and timeline (the report's times). */
  readonly plan: Plan;
  readonly trace: EngineTrace;
  /**
   * The block shapes whose timelines were simulated, largest first: the first is `plan` and `trace`; every distinct
   * shape of the grid split with `everyBlock`, else only the largest.
   */
  readonly blocks: readonly BlockRun[];
}

function depths(b: SimOptions["buffers"]): BufferDepths {
  const all = typeof b === "number" ? b : 2;
  const per = typeof b === "object" ? b : {};
  const d = { l3: per.l3 ?? all, l2: per.l2 ?? all, l1: per.l1 ?? all };
  for (const [level, v] of Object.entries(d)) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 64) {
      throw new KpuError("KPU_BAD_FLAG", `buffering depth ${v} for ${level} must be an integer from 1 to 64`, {
        where: "--buffers",
        hint: "Use 1 (no overlap) or 2 (double buffering), e.g. --buffers 2 or --buffers l1=2,l2=2,l3=1.",
      });
    }
  }
  return d;
}

function addTotals(a: PlanTotals, b: PlanTotals, count: number): PlanTotals {
  const out: Record<string, number> = {};
  for (const key of Object.keys(a) as (keyof PlanTotals)[]) out[key] = a[key] + b[key] * count;
  return out as unknown as PlanTotals;
}


/** Bytes one A, B and C tile set may take so that every on-chip level holds `buffers` sets per compute tile. */
export function tileBudgetBytes(hw: Hardware, buffers: BufferDepths): number {
  const cap = perTileCapacities(hw);
  return Math.min(Math.floor(cap.l1 / buffers.l1), Math.floor(cap.l2 / buffers.l2), Math.floor(cap.l3 / buffers.l3));
}

/**
 * The mapping `kpu sim` and `kpu timing` use without `--mapping`: C split over the compute tiles (chooseComputeGrid),
 * every level holding the same tiles (given, or the tile rule sized for the hardware's levels and buffering) walked in
 * the strategy's loop order, the hardware's dataflow and full array as the fold, multicast on.
 */
export function buildMapping(
  hw: Hardware,
  problem: { readonly m: number; readonly n: number; readonly k: number },
  opts: Pick<SimOptions, "strategy" | "tiles" | "tileRule" | "buffers" | "dataflow" | "multicast"> = {},
): Mapping {
  checkDim(problem.m, "m");
  checkDim(problem.n, "n");
  checkDim(problem.k, "k");
  const buffers = depths(opts.buffers);
  const strategy = opts.strategy ?? "os";
  const grid = chooseComputeGrid(problem.m, problem.n, hw.computeTiles);
  const block = gridBlocks(problem.m, problem.n, grid.rows, grid.cols)[0]!;
  const tiles = opts.tiles ?? chooseTiles({ m: block.m, n: block.n, k: problem.k, elementBytes: hw.derived.elementBytes }, strategy, { budgetBytes: tileBudgetBytes(hw, buffers), rule: opts.tileRule ?? "kpu-sim" });
  for (const key of ["m", "n", "k"] as const) {
    const v = tiles[key];
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new KpuError("KPU_BAD_TILES", `tile ${key} = ${v} must be a positive integer`, { where: "--tiles", hint: "Pass --tiles Ti,Tj,Tk, e.g. --tiles 64,64,96." });
    }
  }
  const dataflow = opts.dataflow ?? hw.fabric.dataflow;
  return strategyMapping(strategy, tiles, {
    buffers,
    grid: { ...grid, multicast: opts.multicast ?? true },
    fabric: { dataflow, rows: hw.fabric.rows, cols: hw.fabric.cols },
  });
}

/**
 * Simulates a matmul on the hardware under a mapping: C is split over the compute tiles by the mapping's grid, the
 * largest block runs through the hierarchy engine and the event engine, and bytes and energy are summed over every
 * block (with multicast, a grid row shares its A reads from DRAM and a column its B reads).
 */
export function simulateMatmul(opts: SimOptions): SimRun {
  const hw = opts.hardware;
  const mapping = opts.mapping ?? buildMapping(hw, opts, opts);
  checkDim(opts.m, "m");
  checkDim(opts.n, "n");
  checkDim(opts.k, "k");
  const { rows, cols } = mapping.grid;
  if (rows > opts.m || cols > opts.n) {
    throw new KpuError("KPU_MAPPING_DOES_NOT_FIT", `a ${rows}x${cols} grid has more blocks than C has rows or columns (${opts.m}x${opts.n})`, {
      where: "mapping.grid",
      hint: "Use a grid of at most M x N blocks.",
    });
  }
  const shares: WorkShare[] = gridBlocks(opts.m, opts.n, rows, cols).map((b) => ({ m: b.m, n: b.n, k: opts.k, count: b.count }));
  const first = shares[0]!;
  const activeComputeTiles = rows * cols;
  const planOpts = {
    buffers: { l3: mapping.levels.l3.buffers, l2: mapping.levels.l2.buffers, l1: mapping.levels.l1.buffers },
    activeComputeTiles,
    unlimitedBandwidth: new Set<LevelName>(opts.unlimitedBandwidth === true ? LEVELS : opts.unlimitedBandwidth === false || opts.unlimitedBandwidth === undefined ? [] : opts.unlimitedBandwidth),
    zeroLatency: opts.zeroLatency === true,
    zeroCompute: opts.zeroCompute === true,
    recordResidency: opts.recordResidency === true,
    ...(opts.mappingSource === undefined ? {} : { mappingSource: opts.mappingSource }),
  };
  const progress = opts.onProgress;
  // Progress: planning is the first half, the event engine the second.
  const plan = planMatmul(hw, mapping, first, progress === undefined ? planOpts : { ...planOpts, onProgress: (f: number) => {
    progress(f / 2);
  } });
  const trace = runEngine(plan.program, progress === undefined ? undefined : (done, total) => {
    progress(0.5 + done / total / 2);
  });
  let totals = addTotals(zeroPlanTotals(), plan.totals, first.count);
  const blocks: BlockRun[] = [{ share: first, plan, trace }];
  for (const share of shares.slice(1)) {
    const other = planMatmul(hw, mapping, share, { ...planOpts, recordResidency: false });
    totals = addTotals(totals, other.totals, share.count);
    if (opts.everyBlock === true) blocks.push({ share, plan: other, trace: runEngine(other.program) });
  }
  const tiles = mapping.levels.l1.tile;
  const workload: MatmulWorkload = { m: first.m, n: first.n, k: first.k, tiles, strategy: mapping.strategy ?? "os" };
  const shape: ReportShape = {
    source: "matmul",
    m: opts.m,
    n: opts.n,
    k: opts.k,
    strategy: mapping.strategy ?? mapping.levels.l3.order,
    tiles,
    buffers: planOpts.buffers,
    dataflow: mapping.fabric.dataflow,
    shares,
    activeComputeTiles,
    mapping,
  };
  return { report: buildReport(shape, hw, plan, trace, totals), hardware: hw, workload, plan, trace, blocks };
}

/** What a report describes, besides the measured figures. */
interface ReportShape {
  readonly source: "matmul" | "schedule";
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly strategy: string;
  readonly tiles: TileShape;
  readonly buffers: BufferDepths;
  readonly dataflow: Dataflow;
  readonly shares: WorkShare[];
  readonly activeComputeTiles: number;
  readonly mapping?: Mapping;
}

export interface ScheduleSimOptions {
  readonly hardware: Hardware;
  /** A memory-planner schedule (@kpu/memory-planner's scheduleProgram): its SRAM is one compute tile's L2. */
  readonly schedule: Schedule;
  readonly buffers?: SimOptions["buffers"];
  readonly dataflow?: Dataflow;
  readonly unlimitedBandwidth?: SimOptions["unlimitedBandwidth"];
  readonly zeroLatency?: boolean;
  readonly zeroCompute?: boolean;
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Simulates a memory-planner schedule on one compute tile: LOADs through DMA engine and block mover into the SRAM
 * (L2) at their addresses, EXECs through streamer and fabric, STOREs back; dependencies follow the addresses.
 */
export function simulateSchedule(opts: ScheduleSimOptions): SimRun {
  const hw = opts.hardware;
  const buffers = depths(opts.buffers);
  const dataflow = opts.dataflow ?? hw.fabric.dataflow;
  const planOpts = {
    buffers,
    activeComputeTiles: 1,
    dataflow,
    unlimitedBandwidth: new Set<LevelName>(opts.unlimitedBandwidth === true ? LEVELS : opts.unlimitedBandwidth === false || opts.unlimitedBandwidth === undefined ? [] : opts.unlimitedBandwidth),
    zeroLatency: opts.zeroLatency === true,
    zeroCompute: opts.zeroCompute === true,
    recordResidency: false,
  };
  const plan = planSchedule(hw, opts.schedule, planOpts);
  const progress = opts.onProgress;
  const trace = runEngine(plan.program, progress === undefined ? undefined : (done, total) => {
    progress(done / total);
  });
  // Describe the schedule by its largest matmul op: extents summed over distinct tile indices.
  const perOp = new Map<string, { m: Map<number, number>; n: Map<number, number>; k: Map<number, number>; macs: number }>();
  let tiles: TileShape = { m: 0, n: 0, k: 0 };
  for (const op of opts.schedule.ops) {
    if (op.kind !== "EXEC") continue;
    if (tiles.m === 0) tiles = { m: op.tm, n: op.tn, k: op.tk };
    let e = perOp.get(op.op);
    if (e === undefined) {
      e = { m: new Map(), n: new Map(), k: new Map(), macs: 0 };
      perOp.set(op.op, e);
    }
    e.m.set(op.m, op.tm);
    e.n.set(op.n, op.tn);
    e.k.set(op.k, op.tk);
    e.macs += op.tm * op.tn * op.tk;
  }
  const sum = (x: Map<number, number>) => [...x.values()].reduce((a, b) => a + b, 0);
  const largest = [...perOp.values()].sort((a, b) => b.macs - a.macs)[0];
  const shape: ReportShape = {
    source: "schedule",
    m: largest === undefined ? 0 : sum(largest.m),
    n: largest === undefined ? 0 : sum(largest.n),
    k: largest === undefined ? 0 : sum(largest.k),
    strategy: opts.schedule.loopOrder,
    tiles,
    buffers,
    dataflow,
    shares: [],
    activeComputeTiles: 1,
  };
  return { report: buildReport(shape, hw, plan, trace, plan.totals), hardware: hw, workload: null, plan, trace, blocks: [{ share: null, plan, trace }] };
}

function buildReport(extra: ReportShape, hw: Hardware, plan: Plan, trace: EngineTrace, totals: PlanTotals): SimReport {
  const d = hw.derived;
  const fabricTicks = d.ticksPerCycle.fabric;
  const totalTicks = trace.totalTicks;
  const p = plan.program;
  const resources: ResourceReport[] = RESOURCES.map((resource, r) => {
    const q = p.queue(r);
    let busy = 0;
    let data = 0;
    let credit = 0;
    let bytes = 0;
    for (const t of q) {
      busy += p.occTicks[t]!;
      bytes += p.bytes[t]!;
      if (trace.stallCause[t] === WAIT_DATA) data += trace.stallTicks[t]!;
      else credit += trace.stallTicks[t]!;
    }
    const clock = (["dma", "blockMover", "streamer", "fabric"] as const)[r]!;
    const tpc = d.ticksPerCycle[clock];
    return {
      resource,
      clockMhz: hw.clocks[`${clock}Mhz`],
      tasks: q.length,
      bytes,
      busyCycles: busy / tpc,
      stalledDataCycles: data / tpc,
      stalledCreditCycles: credit / tpc,
      idleCycles: (totalTicks - busy - data - credit) / tpc,
      busyFraction: totalTicks === 0 ? 0 : busy / totalTicks,
    };
  });
  const timeNs = (totalTicks / d.timebaseMhz) * 1000;
  const rw: Record<LevelName, [number, number]> = {
    dram: [totals.dramReadBytes, totals.dramWriteBytes],
    l3: [totals.l3ReadBytes, totals.l3WriteBytes],
    l2: [totals.l2ReadBytes, totals.l2WriteBytes],
    l1: [totals.l1ReadBytes, totals.l1WriteBytes],
  };
  const energy = { total: 0, macs: totals.macs * hw.fabric.macEnergyPj, dram: 0, l3: 0, l2: 0, l1: 0 };
  const levels: LevelReport[] = LEVELS.map((level) => {
    const [readBytes, writeBytes] = rw[level];
    const bytes = readBytes + writeBytes;
    const energyPj = bytes * hw.levels[level].energyPjPerByte;
    energy[level] = energyPj;
    return {
      level,
      readBytes,
      writeBytes,
      bytes,
      achievedGBps: timeNs === 0 ? 0 : bytes / timeNs,
      peakGBps: d.levels[level].bandwidthGBps,
      energyPj,
    };
  });
  energy.total = energy.macs + energy.dram + energy.l3 + energy.l2 + energy.l1;
  let slowest = 0;
  for (let r = 0; r < FABRIC; r++) {
    if (resources[r]!.busyCycles * d.ticksPerCycle[clockOf(r)] > resources[slowest]!.busyCycles * d.ticksPerCycle[clockOf(slowest)]) slowest = r;
  }
  const fabric = resources[FABRIC]!;
  const totalCycles = totalTicks / fabricTicks;
  const peakMacs = hw.fabric.rows * hw.fabric.cols;
  return {
    hardware: hw.name,
    source: extra.source,
    m: extra.m,
    n: extra.n,
    k: extra.k,
    strategy: extra.strategy,
    dataflow: extra.dataflow,
    tiles: extra.tiles,
    buffers: extra.buffers,
    activeComputeTiles: extra.activeComputeTiles,
    shares: extra.shares,
    ...(extra.mapping === undefined ? {} : { mapping: extra.mapping }),
    steps: plan.steps,
    totalCycles,
    timeNs,
    fabricCycles: plan.totals.fabricCycles,
    dataMovementBoundCycles: (resources[slowest]!.busyCycles * d.ticksPerCycle[clockOf(slowest)]) / fabricTicks,
    slowestMover: RESOURCES[slowest]!,
    fabricUtilisation: fabric.busyFraction,
    macUtilisation: totalCycles === 0 ? 0 : plan.totals.macs / (totalCycles * peakMacs),
    macs: totals.macs,
    resources,
    levels,
    energyPj: energy,
    events: trace.events,
  };
}

function clockOf(r: number): "dma" | "blockMover" | "streamer" | "fabric" {
  return (["dma", "blockMover", "streamer", "fabric"] as const)[r]!;
}
