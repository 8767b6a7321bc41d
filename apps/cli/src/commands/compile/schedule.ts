import { formatByteSize, formatSchedOp, type ReplacementPolicyName, type Schedule, type UopProgram } from "@kpu/ir";
import { scheduleProgram, type Placement, type ScheduleResult } from "@kpu/memory-planner";
import { renderTable } from "../../util/print.js";

/** The planner flags shared by `kpu compile --emit schedule` and `kpu run`. */
export interface ScheduleFlags {
  readonly sram?: number | undefined;
  readonly policy: ReplacementPolicyName;
  readonly placement: Placement;
  readonly doubleBuffer?: boolean | undefined;
  readonly forward?: boolean | undefined;
  /** Record the arena trace (for `checkSchedule`). */
  readonly trace?: boolean | undefined;
}

export const DEFAULT_SRAM_BYTES = 256 * 1024;

/** Schedules a lowered program with the planner flags (SRAM default 256 KiB). */
export function runSchedule(program: UopProgram, flags: ScheduleFlags): ScheduleResult {
  return scheduleProgram(program, {
    sramBytes: flags.sram ?? DEFAULT_SRAM_BYTES,
    policy: flags.policy,
    placement: flags.placement,
    doubleBuffer: flags.doubleBuffer === true,
    forward: flags.forward === true,
    trace: flags.trace === true,
  });
}

/** What `kpu compile --emit schedule` and `kpu run` report about a schedule (JSON names as in the schedule IR). */
export interface ScheduleSummary {
  readonly sramBytes: number;
  readonly policy: string;
  readonly loopOrder: string;
  readonly doubleBuffer: boolean;
  readonly stats: Schedule["stats"];
  /** loadsEliminated / (loadsEmitted + loadsEliminated). */
  readonly loadReuse: number;
  readonly minWorkingSetBytes: number;
  readonly layout: ScheduleResult["layout"];
  readonly evictions: number;
  readonly forwardedTiles: number;
  readonly prefetch: ScheduleResult["prefetch"];
  readonly traffic: ScheduleResult["traffic"];
}

export function scheduleSummary(result: ScheduleResult): ScheduleSummary {
  const { schedule } = result;
  const { stats } = schedule;
  const naive = stats.loadsEmitted + stats.loadsEliminated;
  return {
    sramBytes: schedule.sramBytes,
    policy: schedule.policy,
    loopOrder: schedule.loopOrder,
    doubleBuffer: schedule.doubleBuffer,
    stats,
    loadReuse: naive === 0 ? 0 : stats.loadsEliminated / naive,
    minWorkingSetBytes: result.minWorkingSetBytes,
    layout: result.layout,
    evictions: result.evictions,
    forwardedTiles: result.forwardedTiles,
    prefetch: result.prefetch,
    traffic: result.traffic,
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/** The statistics table, the traffic-vs-lower-bound table and the first `count` ops, for people. */
export function renderScheduleSummary(summary: ScheduleSummary, schedule: Schedule, count = 15): string {
  const s = summary.stats;
  const naive = s.loadsEmitted + s.loadsEliminated;
  const rows: (readonly (string | number)[])[] = [
    ["SRAM", `${formatByteSize(summary.sramBytes)} (min working set ${formatByteSize(summary.minWorkingSetBytes)})`],
    ["policy / order", `${summary.policy} / ${summary.loopOrder}${summary.doubleBuffer ? " / double-buffered" : ""}`],
    ["scheduled ops", String(s.schedOps)],
    ["loads emitted", String(s.loadsEmitted)],
    ["loads eliminated", `${s.loadsEliminated} of ${naive} (${(100 * summary.loadReuse).toFixed(1)}% reuse)`],
    ["stores", String(s.stores)],
    ["peak SRAM", `${s.peakSramBytes.toLocaleString("en-US")} B (${kib(s.peakSramBytes)})`],
    ["final live bytes", String(s.finalLiveBytes)],
    ["evictions", String(summary.evictions)],
    ["accumulator region", `${summary.layout.accRegionBytes} B @0x${summary.layout.accRegionAddr.toString(16)} (bound ${summary.layout.accLowerBoundBytes} B, ${summary.layout.packStrategy})`],
  ];
  if (summary.forwardedTiles > 0) rows.push(["forwarded tiles", String(summary.forwardedTiles)]);
  if (summary.doubleBuffer) rows.push(["prefetch overlapped / waited", `${summary.prefetch.overlapped} / ${summary.prefetch.serialized}`]);
  const stats = renderTable(["schedule", "value"], rows);
  const traffic = renderTable(
    ["matmul", "loads", "stores", "tiles moved", "lower bound", "ratio"],
    summary.traffic.map((t) => [t.op, t.loadsEmitted, t.stores, t.actualTiles, Number(t.lowerBoundTiles.toFixed(1)), t.ratioTiles.toFixed(2)]),
  );
  const first = schedule.ops.slice(0, count).map((op) => `  ${formatSchedOp(op)}`);
  const more = schedule.ops.length > count ? `\n  ... (${schedule.ops.length - count} more)` : "";
  return `${stats}${traffic}first ${Math.min(count, schedule.ops.length)} of ${schedule.ops.length} scheduled ops:\n${first.join("\n")}${more}\n`;
}
