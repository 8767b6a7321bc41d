import { KpuError } from "@kpu/ir";
import { GANTT_LANES, taskLabel } from "./gantt.js";
import { KIND_COMPUTE, KIND_LOAD, RESOURCES, WAIT_DATA } from "./internal/program.js";
import type { SimReport, SimRun } from "./sim.js";

/** The `otherData.kind` of a simulation trace, so `kpu report` recognises the file. */
export const SIM_TRACE_KIND = "kpu.sim.trace";
export const SIM_TRACE_SCHEMA_VERSION = 1;
/** Above this many tasks a trace file would be hundreds of MB: refused. */
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

export interface SimTraceDocument {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: "ns";
  readonly otherData: {
    readonly kind: typeof SIM_TRACE_KIND;
    readonly schemaVersion: typeof SIM_TRACE_SCHEMA_VERSION;
    /** The run's report (`kpu sim --json`), so the trace alone is enough for `kpu report`. */
    readonly report: SimReport;
  };
}

const TENSORS = ["A", "B", "C"] as const;
/** Microseconds rounded to picoseconds: equal ticks give equal times, so adjacent slices never overlap by rounding. */
const us = (ticks: number, timebaseMhz: number): number => Math.round((ticks / timebaseMhz) * 1e6) / 1e6;

/**
 * The run's timeline in the Trace Event Format (Perfetto, chrome://tracing): one process for the simulated compute
 * tile, one thread per engine (DMA engine, block mover, streamer, fabric), a complete event (ph X) per transfer and
 * compute step (args.deliveredUs: when its data arrived, after the level's latency), and a complete event per stall (cat "stall", args.cause data or credit) just before the task it delayed.
 */
export function simTrace(run: SimRun, options: { readonly where?: string } = {}): SimTraceDocument {
  const p = run.plan.program;
  const tr = run.trace;
  if (p.n > MAX_TRACE_TASKS) {
    throw new KpuError("KPU_TOO_LARGE", `a trace of ${p.n.toLocaleString("en-US")} tasks is more than kpu writes (at most ${MAX_TRACE_TASKS.toLocaleString("en-US")})`, {
      where: options.where ?? "--trace",
      hint: "Trace a smaller problem, or larger tiles (fewer tasks).",
    });
  }
  const mhz = run.hardware.derived.timebaseMhz;
  const r = run.report;
  const share = r.shares[0];
  const pid = 1;
  const tile = share === undefined ? "compute tile 0" : `compute tile 0 (simulated block ${share.m}x${share.n}x${share.k}; ${r.activeComputeTiles} tile(s) active)`;
  const events: TraceEvent[] = [
    { name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name: tile } },
    { name: "process_sort_index", ph: "M", ts: 0, pid, tid: 0, args: { sort_index: 0 } },
  ];
  RESOURCES.forEach((_, i) => {
    events.push({ name: "thread_name", ph: "M", ts: 0, pid, tid: i + 1, args: { name: GANTT_LANES[i]! } });
    events.push({ name: "thread_sort_index", ph: "M", ts: 0, pid, tid: i + 1, args: { sort_index: i } });
  });
  for (let t = 0; t < p.n; t++) {
    const kind = p.kind[t] === KIND_COMPUTE ? "compute" : p.kind[t] === KIND_LOAD ? "load" : "writeback";
    const label = taskLabel(kind, p.tensor[t]!, p.ti[t]!, p.tj[t]!, p.tk[t]!);
    const start = us(tr.startTick[t]!, mhz);
    const end = us(tr.endTick[t]!, mhz);
    const stall = tr.stallTicks[t]!;
    if (stall > 0) {
      const from = us(tr.startTick[t]! - stall, mhz);
      const cause = tr.stallCause[t] === WAIT_DATA ? "data" : "credit";
      events.push({ name: `stall: ${cause}`, cat: "stall", ph: "X", ts: from, dur: us(tr.startTick[t]!, mhz) - from, pid, tid: p.res[t]! + 1, args: { cause, before: label } });
    }
    events.push({
      name: label,
      cat: kind === "compute" ? "compute" : "transfer",
      ph: "X",
      ts: start,
      dur: end - start,
      pid,
      tid: p.res[t]! + 1,
      args: { kind, tensor: TENSORS[p.tensor[t]!]!, step: p.step[t]!, bytes: p.bytes[t]!, engine: RESOURCES[p.res[t]!]!, deliveredUs: us(tr.doneTick[t]!, mhz) },
    });
  }
  return { traceEvents: events, displayTimeUnit: "ns", otherData: { kind: SIM_TRACE_KIND, schemaVersion: SIM_TRACE_SCHEMA_VERSION, report: r } };
}
