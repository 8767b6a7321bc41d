import { isKpuError } from "@kpu/ir";
import type { SweepSpec } from "./grid.js";
import { KPU_SIM_COLUMNS, formatCppDouble, kpuSimRecord } from "./kpu-sim.js";
import { analyzeL3, type L3Result } from "./l3.js";
import type { Workload } from "./presets.js";
import { STRATEGY_INFO, type Strategy } from "./strategy.js";

/** Columns this package adds after kpu-sim's. */
export const SWEEP_EXTRA_COLUMNS = [
  "Model",
  "C_Accounting",
  "L3_Bytes",
  "Ti",
  "Tj",
  "Tk",
  "DRAM_Read_Bytes",
  "DRAM_Write_Bytes",
  "Compulsory_Bytes",
  "Lower_Bound_Bytes",
  "Traffic_Over_Compulsory",
  "Traffic_Over_Lower_Bound",
  "Status",
  "Reason",
] as const;
export const SWEEP_COLUMNS = [...KPU_SIM_COLUMNS, ...SWEEP_EXTRA_COLUMNS] as const;
export type SweepColumn = (typeof SWEEP_COLUMNS)[number];
export type SweepRow = Readonly<Record<SweepColumn, string>>;

/** One unit of sweep work: a workload and a strategy, every L3 size in one pass. */
export interface SweepJob {
  readonly index: number;
  readonly workload: Workload;
  readonly strategy: Strategy;
}

export function sweepJobs(spec: SweepSpec): SweepJob[] {
  const jobs: SweepJob[] = [];
  for (const workload of spec.workloads) for (const strategy of spec.strategies) jobs.push({ index: jobs.length, workload, strategy });
  return jobs;
}

/** Identifies a row for resuming: workload name, strategy label, L3 bytes. */
export function rowKey(workloadName: string, strategyLabel: string, l3Bytes: string | number): string {
  return `${workloadName}\u0000${strategyLabel}\u0000${String(l3Bytes)}`;
}

function okRow(w: Workload, r: L3Result): SweepRow {
  const total = r.dramReadBytes + r.dramWriteBytes;
  return {
    ...kpuSimRecord(w, r),
    Model: r.model,
    C_Accounting: r.model === "kpu-sim" ? "kpu-sim" : r.cAccounting,
    L3_Bytes: String(r.l3Bytes),
    Ti: String(r.tiles.m),
    Tj: String(r.tiles.n),
    Tk: String(r.tiles.k),
    DRAM_Read_Bytes: String(r.dramReadBytes),
    DRAM_Write_Bytes: String(r.dramWriteBytes),
    Compulsory_Bytes: String(r.compulsoryBytes),
    Lower_Bound_Bytes: String(Math.round(r.lowerBoundBytes)),
    Traffic_Over_Compulsory: formatCppDouble(total / r.compulsoryBytes),
    Traffic_Over_Lower_Bound: formatCppDouble(total / r.lowerBoundBytes),
    Status: "ok",
    Reason: "",
  };
}

function failedRow(w: Workload, strategy: Strategy, l3Bytes: number, spec: SweepSpec, reason: string): SweepRow {
  const empty = Object.fromEntries(SWEEP_COLUMNS.map((c) => [c, ""])) as Record<SweepColumn, string>;
  return {
    ...empty,
    Workload_Name: w.name,
    Category: w.category,
    Aspect: w.aspect,
    M: String(w.m),
    N: String(w.n),
    K: String(w.k),
    Strategy: STRATEGY_INFO[strategy].label,
    L3_Size_MB: String(Math.floor(l3Bytes / 1048576)),
    Model: spec.model,
    C_Accounting: spec.model === "kpu-sim" ? "kpu-sim" : spec.cAccounting,
    L3_Bytes: String(l3Bytes),
    Status: "failed",
    Reason: reason,
  };
}

/** Runs one job; an expected failure (bad dimensions, L3 below a tile) becomes failed rows with the reason. */
export function runSweepJob(spec: SweepSpec, job: SweepJob): SweepRow[] {
  const w = job.workload;
  try {
    const results = analyzeL3(w, {
      l3Bytes: spec.l3Bytes,
      strategies: [job.strategy],
      model: spec.model,
      cAccounting: spec.cAccounting,
      ...(spec.tiles ? { tiles: spec.tiles } : {}),
      ...(spec.tileRule ? { tileRule: spec.tileRule } : {}),
    });
    return results.map((r) => okRow(w, r));
  } catch (error) {
    if (!isKpuError(error)) throw error;
    const reason = `${error.code}${error.where === undefined ? "" : ` at ${error.where}`}: ${error.message}`;
    return spec.l3Bytes.map((b) => failedRow(w, job.strategy, b, spec, reason));
  }
}

const csvCell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function csvLine(row: SweepRow): string {
  return `${SWEEP_COLUMNS.map((c) => csvCell(row[c])).join(",")}\n`;
}

export function csvHeader(): string {
  return `${SWEEP_COLUMNS.join(",")}\n`;
}

/** Parses our CSV (quoted cells allowed) back into rows; used to resume and to build the summary. */
export function parseSweepCsv(text: string): SweepRow[] {
  const rows: SweepRow[] = [];
  const lines = text.split("\n");
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const cells: string[] = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        cells.push(cur);
        cur = "";
      } else cur += ch;
    }
    cells.push(cur);
    if (cells.length !== SWEEP_COLUMNS.length) continue;
    rows.push(Object.fromEntries(SWEEP_COLUMNS.map((c, i) => [c, cells[i]!])) as SweepRow);
  }
  return rows;
}
