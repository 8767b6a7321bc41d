import { formatCsv } from "@kpu/scheduler";
import type { SimRun } from "./sim.js";

/**
 * When the A and B tiles of one (i, j, k) step move, in fabric cycles from the start: when the copy that is used left
 * DRAM (the DMA read began) and arrived in L3, L2 and L1, and when the step was injected into the fabric. A tile that
 * was already resident (reused) shows the times of the transfer that brought it; null where a tile never came from DRAM
 * (a schedule's forwarded tile).
 */
export interface InjectionRow {
  readonly step: number;
  readonly i: number;
  readonly j: number;
  readonly k: number;
  readonly tile: string;
  readonly aLeaveDram: number | null;
  readonly aInL3: number | null;
  readonly aInL2: number | null;
  readonly aInL1: number | null;
  readonly bLeaveDram: number | null;
  readonly bInL3: number | null;
  readonly bInL2: number | null;
  readonly bInL1: number | null;
  readonly inject: number;
  readonly computeDone: number;
}

export const INJECTION_COLUMNS = [
  "step",
  "i",
  "j",
  "k",
  "tile",
  "aLeaveDram",
  "aInL3",
  "aInL2",
  "aInL1",
  "bLeaveDram",
  "bInL3",
  "bInL2",
  "bInL1",
  "inject",
  "computeDone",
] as const;

/** The injection schedule of a simulated run (the seed's emit_injection_schedule, with real latencies), in fabric cycles. */
export function injectionSchedule(run: SimRun, options: { limit?: number } = {}): InjectionRow[] {
  const { plan, trace } = run;
  const p = plan.program;
  const perCycle = run.hardware.derived.ticksPerCycle.fabric;
  const cyc = (ticks: number) => Math.round((ticks / perCycle) * 1000) / 1000;
  const start = (task: number) => (task < 0 ? null : cyc(trace.startTick[task]!));
  const done = (task: number) => (task < 0 ? null : cyc(trace.doneTick[task]!));
  const limit = Math.min(plan.steps, options.limit ?? plan.steps);
  const rows: InjectionRow[] = [];
  for (let s = 0; s < limit; s++) {
    const f = plan.stepFabric[s]!;
    const a = plan.stepArrivals.subarray(s * 6, s * 6 + 6);
    const i = p.ti[f]!;
    const j = p.tj[f]!;
    const k = p.tk[f]!;
    rows.push({
      step: s,
      i,
      j,
      k,
      tile: `C[${i},${j}] += A[${i},${k}] * B[${k},${j}]`,
      aLeaveDram: start(a[0]!),
      aInL3: done(a[0]!),
      aInL2: done(a[1]!),
      aInL1: done(a[2]!),
      bLeaveDram: start(a[3]!),
      bInL3: done(a[3]!),
      bInL2: done(a[4]!),
      bInL1: done(a[5]!),
      inject: cyc(trace.startTick[f]!),
      computeDone: cyc(trace.endTick[f]!),
    });
  }
  return rows;
}

/** CSV with a header row (@kpu/scheduler's one CSV writer: the tile column is quoted); a time that does not apply (a forwarded tile) is empty. */
export function injectionCsv(rows: readonly InjectionRow[]): string {
  return formatCsv(INJECTION_COLUMNS, rows.map((r) => INJECTION_COLUMNS.map((c) => String(r[c] ?? ""))));
}
