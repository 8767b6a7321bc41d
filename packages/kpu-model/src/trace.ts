import { KpuError } from "@kpu/ir";
import { splitExtent } from "@kpu/scheduler";
import type { Analysis, LayerAnalysis } from "./analysis/analyze.js";
import { GANTT_LANES, taskLabel } from "./gantt.js";
import type { Hardware } from "./hardware.js";
import { KIND_COMPUTE, KIND_LOAD, RESOURCES, WAIT_DATA } from "./internal/program.js";
import type { BlockRun, SimReport, SimRun } from "./sim.js";

/** The `otherData.kind` of a simulation trace, so `kpu report` recognises the file. */
export const SIM_TRACE_KIND = "kpu.sim.trace";
/** 2: one process per compute tile of the grid (version 1 had one process, the largest block's tile). */
export const SIM_TRACE_SCHEMA_VERSION = 2;
/** The `otherData.kind` of a network's timeline (`kpu analyze --trace`). */
export const ANALYSIS_TRACE_KIND = "kpu.analysis.trace";
export const ANALYSIS_TRACE_SCHEMA_VERSION = 1;
/** Above this many tasks (summed over the compute tiles) a trace file would be hundreds of MB: refused. */
export const MAX_TRACE_TASKS = 1_000_000;

/** One event of the Trace Event Format (JSON Object Format); times in microseconds. */
export interface TraceEvent {
  readonly name: string;
  readonly cat?: string;
  /** X complete, M metadata. */
  readonly ph: "X" | "M";
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly args?: Readonly<Record<string, string | number | null>>;
}

/** Where a compute tile sits in the grid and which block of C it computes (rows m0..m1-1, columns n0..n1-1). */
export interface TraceTile {
  readonly pid: number;
  readonly row: number;
  readonly col: number;
  readonly m0: number;
  readonly m1: number;
  readonly n0: number;
  readonly n1: number;
  readonly k: number;
}

export interface SimTraceDocument {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: "ns";
  readonly otherData: {
    readonly kind: typeof SIM_TRACE_KIND;
    readonly schemaVersion: typeof SIM_TRACE_SCHEMA_VERSION;
    /** The run's report (`kpu sim --json`), so the trace alone is enough for `kpu report`. */
    readonly report: SimReport;
    /** The compute tiles in the trace, one process each (pid), in grid order. */
    readonly tiles: readonly TraceTile[];
  };
}

export interface AnalysisTraceDocument {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: "ns";
  readonly otherData: {
    readonly kind: typeof ANALYSIS_TRACE_KIND;
    readonly schemaVersion: typeof ANALYSIS_TRACE_SCHEMA_VERSION;
    readonly model: Analysis["model"];
    readonly hardware: string;
    readonly totals: Analysis["totals"];
  };
}

const TENSORS = ["A", "B", "C"] as const;
/** Microseconds rounded to picoseconds: equal ticks give equal times, so adjacent slices never overlap by rounding. */
const ps = (us: number): number => Math.round(us * 1e6) / 1e6;
const us = (ticks: number, timebaseMhz: number): number => ps(ticks / timebaseMhz);

/** The metadata events that name a process and its threads and fix their order in the viewer. */
function metadata(pid: number, processName: string, sortIndex: number, threads: readonly string[]): TraceEvent[] {
  const events: TraceEvent[] = [
    { name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name: processName } },
    { name: "process_sort_index", ph: "M", ts: 0, pid, tid: 0, args: { sort_index: sortIndex } },
  ];
  threads.forEach((name, i) => {
    events.push({ name: "thread_name", ph: "M", ts: 0, pid, tid: i + 1, args: { name } });
    events.push({ name: "thread_sort_index", ph: "M", ts: 0, pid, tid: i + 1, args: { sort_index: i } });
  });
  return events;
}

/** One block's tasks and stalls as complete events on thread `resource + 1` of process `pid`. */
function blockEvents(block: BlockRun, pid: number, mhz: number, out: TraceEvent[]): void {
  const p = block.plan.program;
  const tr = block.trace;
  for (let t = 0; t < p.n; t++) {
    const kind = p.kind[t] === KIND_COMPUTE ? "compute" : p.kind[t] === KIND_LOAD ? "load" : "writeback";
    const label = taskLabel(kind, p.tensor[t]!, p.ti[t]!, p.tj[t]!, p.tk[t]!);
    const start = us(tr.startTick[t]!, mhz);
    const end = us(tr.endTick[t]!, mhz);
    const stall = tr.stallTicks[t]!;
    const tid = p.res[t]! + 1;
    if (stall > 0) {
      const from = us(tr.startTick[t]! - stall, mhz);
      const cause = tr.stallCause[t] === WAIT_DATA ? "data" : "credit";
      out.push({ name: `stall: ${cause}`, cat: "stall", ph: "X", ts: from, dur: start - from, pid, tid, args: { cause, before: label } });
    }
    out.push({
      name: label,
      cat: kind === "compute" ? "compute" : "transfer",
      ph: "X",
      ts: start,
      dur: end - start,
      pid,
      tid,
      args: { kind, tensor: TENSORS[p.tensor[t]!]!, step: p.step[t]!, bytes: p.bytes[t]!, engine: RESOURCES[p.res[t]!]!, deliveredUs: us(tr.doneTick[t]!, mhz) },
    });
  }
}

/** The grid's compute tiles in row-major order, each with its block of C (near-equal split, larger blocks first). */
function gridTiles(report: SimReport): TraceTile[] {
  const grid = report.mapping?.grid;
  if (grid === undefined) return [{ pid: 1, row: 0, col: 0, m0: 0, m1: report.m, n0: 0, n1: report.n, k: report.k }];
  const rows = splitExtent(report.m, grid.rows);
  const cols = splitExtent(report.n, grid.cols);
  const tiles: TraceTile[] = [];
  let m0 = 0;
  rows.forEach((bm, row) => {
    let n0 = 0;
    cols.forEach((bn, col) => {
      tiles.push({ pid: tiles.length + 1, row, col, m0, m1: m0 + bm, n0, n1: n0 + bn, k: report.k });
      n0 += bn;
    });
    m0 += bm;
  });
  return tiles;
}

/**
 * The run's timeline in the Trace Event Format (Perfetto, chrome://tracing): one process per compute tile of the grid
 * (named by its grid position and its block of C), one thread per engine (DMA engine, block mover, streamer, fabric),
 * a complete event (ph X) per transfer and compute step (args.deliveredUs: when its data arrived, after the level's
 * latency), and a complete event per stall (cat "stall", args.cause data or credit) just before the task it delayed.
 * Each tile's events come from its own block's simulation (`run.blocks`; tiles with equal blocks share one), so the
 * run must have simulated every block shape (`everyBlock`); `tiles: "first"` writes tile 0 alone (the largest block).
 */
export function simTrace(run: SimRun, options: { readonly where?: string; readonly tiles?: "all" | "first" } = {}): SimTraceDocument {
  const r = run.report;
  const where = options.where ?? "--trace";
  const all = gridTiles(r);
  const tiles = options.tiles === "first" ? all.slice(0, 1) : all;
  const blockOf = (t: TraceTile): BlockRun => {
    const b = r.mapping === undefined ? run.blocks[0] : run.blocks.find((x) => x.share !== null && x.share.m === t.m1 - t.m0 && x.share.n === t.n1 - t.n0);
    if (b === undefined) {
      throw new KpuError("KPU_USAGE", `compute tile ${t.pid - 1}'s ${t.m1 - t.m0}x${t.n1 - t.n0} block was not simulated`, {
        where,
        hint: "Simulate with everyBlock: true (kpu sim --trace does), or trace the first tile alone (tiles: \"first\").",
      });
    }
    return b;
  };
  const chosen = tiles.map((t) => ({ tile: t, block: blockOf(t) }));
  const tasks = chosen.reduce((s, c) => s + c.block.plan.program.n, 0);
  if (tasks > MAX_TRACE_TASKS) {
    throw new KpuError("KPU_TOO_LARGE", `a trace of ${tasks.toLocaleString("en-US")} tasks on ${tiles.length} compute tile(s) is more than kpu writes (at most ${MAX_TRACE_TASKS.toLocaleString("en-US")})`, {
      where,
      hint: "Trace the first compute tile alone (kpu sim --trace-tiles first; simTrace tiles: \"first\"), a smaller problem, or larger tiles (fewer tasks).",
    });
  }
  const mhz = run.hardware.derived.timebaseMhz;
  const events: TraceEvent[] = [];
  for (const { tile, block } of chosen) {
    const name =
      r.mapping === undefined
        ? "compute tile 0 (memory-planner schedule)"
        : `compute tile ${tile.pid - 1} (row ${tile.row}, col ${tile.col}): C[${tile.m0}:${tile.m1}, ${tile.n0}:${tile.n1}], block ${tile.m1 - tile.m0}x${tile.n1 - tile.n0}x${tile.k}`;
    events.push(...metadata(tile.pid, name, tile.pid - 1, GANTT_LANES));
    blockEvents(block, tile.pid, mhz, events);
  }
  return { traceEvents: events, displayTimeUnit: "ns", otherData: { kind: SIM_TRACE_KIND, schemaVersion: SIM_TRACE_SCHEMA_VERSION, report: r, tiles } };
}

/** Threads of a network's timeline: the layers, then one per engine (the engine's key in `engineCycles`). */
export const ANALYSIS_TRACE_THREADS = [
  ["layers", "Layers"],
  ["fabric", "Fabric"],
  ["vector", "Vector unit"],
  ["dram", GANTT_LANES[0]],
  ["l3", GANTT_LANES[1]],
  ["l2", GANTT_LANES[2]],
] as const;

const shapeText = (s: readonly number[]): string => s.join("x");

/** The compute tiles a layer runs on: a fabric layer's grid of blocks, or every tile for streamed layers. */
function layerTiles(layer: LayerAnalysis, computeTiles: number): number {
  const grid = layer.mapping.grid;
  return layer.unit === "fabric" && grid !== undefined ? Math.min(computeTiles, grid[0] * grid[1]) : computeTiles;
}

/**
 * A network's timeline in the Trace Event Format, from its analysis: the layers run one after another (each starts
 * when the previous one ends, `latencyNs` long). One process per compute tile of the hardware, one thread per engine
 * (fabric, vector unit, DMA engine, block mover, streamer) and a "Layers" thread. Per layer, a complete event on the
 * Layers thread of every tile (args: op, shapes, bound, bytes, mapping) and, on each tile that runs it, one complete
 * event per engine it keeps busy, as long as the layer's busy cycles on that engine (`engineCycles`) and starting with
 * the layer: the analysis knows how long an engine is busy within a layer, not when.
 */
export function analysisTrace(analysis: Analysis, hw: Hardware): AnalysisTraceDocument {
  const mhz = hw.clocks.fabricMhz;
  const tiles = hw.computeTiles;
  const events: TraceEvent[] = [];
  const threads = ANALYSIS_TRACE_THREADS.map(([, name]) => name);
  for (let t = 0; t < tiles; t++) events.push(...metadata(t + 1, `compute tile ${t}`, t, threads));
  let startNs = 0;
  for (const [index, layer] of analysis.layers.entries()) {
    const ts = ps(startNs / 1000);
    startNs += layer.latencyNs;
    const dur = ps(startNs / 1000) - ts;
    const active = layerTiles(layer, tiles);
    const args = {
      index,
      op: layer.op,
      unit: layer.unit,
      inputShapes: layer.inputShapes.map(shapeText).join(", "),
      outputShape: shapeText(layer.outputShape),
      bound: layer.bound,
      macs: layer.macs,
      cycles: layer.cycles,
      dramBytes: layer.bytes.dram,
      l3Bytes: layer.bytes.l3,
      l2Bytes: layer.bytes.l2,
      l1Bytes: layer.bytes.l1,
      mapping: layer.mapping.why,
      tiles: active,
    };
    for (let t = 0; t < tiles; t++) {
      events.push({ name: layer.id, cat: "layer", ph: "X", ts, dur, pid: t + 1, tid: 1, args });
      if (t >= active) continue;
      ANALYSIS_TRACE_THREADS.forEach(([key], i) => {
        if (key === "layers") return;
        const busy = layer.engineCycles[key];
        if (busy <= 0) return;
        // an engine is never busy longer than its layer (the layer's cycles are the largest engine's, or more)
        const busyDur = Math.min(dur, ps(busy / mhz));
        events.push({ name: layer.id, cat: key, ph: "X", ts, dur: busyDur, pid: t + 1, tid: i + 1, args: { layer: layer.id, op: layer.op, busyCycles: busy, busyFraction: layer.cycles === 0 ? 0 : busy / layer.cycles } });
      });
    }
  }
  return {
    traceEvents: events,
    displayTimeUnit: "ns",
    otherData: { kind: ANALYSIS_TRACE_KIND, schemaVersion: ANALYSIS_TRACE_SCHEMA_VERSION, model: analysis.model, hardware: analysis.hardware, totals: analysis.totals },
  };
}
