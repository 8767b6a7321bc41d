import { isKpuError } from "@kpu/ir";
import { parse as parseCsv, type CsvError, type InfoRecord } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
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

/** The rows of a job that failed as a whole (every L3 size of its workload and strategy), with the reason. */
export function failedSweepRows(spec: SweepSpec, job: SweepJob, reason: string): SweepRow[] {
  return spec.l3Bytes.map((b) => failedRow(job.workload, job.strategy, b, spec, reason));
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
    return failedSweepRows(spec, job, reason);
  }
}

/** One CSV dialect for every sweep file: RFC 4180 quoting (a cell with a comma, quote or newline is quoted), LF ends. */
const STRINGIFY_OPTIONS = { eol: "\n", quoted_match: /[\r\n",]/ } as const;

/** Any table as CSV in the one dialect (header first); used for every CSV kpu writes. */
export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return stringify([[...header], ...rows.map((r) => [...r])], STRINGIFY_OPTIONS);
}

export function csvLine(row: SweepRow): string {
  return stringify([SWEEP_COLUMNS.map((c) => row[c])], STRINGIFY_OPTIONS);
}

export function csvHeader(): string {
  return stringify([[...SWEEP_COLUMNS]], STRINGIFY_OPTIONS);
}

/** A stored record with the line it ends on (1-based, counting the header). */
export interface CsvRecord {
  readonly cells: string[];
  readonly line: number;
}

/**
 * Reads CSV records (csv-parse) with their line numbers. A record that cannot be parsed is reported through `onBad` and
 * left out; an unterminated quote (a torn last record) stops the read there, also reported.
 */
export function readCsvRecords(text: string, onBad: (line: number, problem: string) => void): CsvRecord[] {
  const out: CsvRecord[] = [];
  try {
    parseCsv(text, {
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error: CsvError | undefined) => {
        if (error !== undefined) onBad(typeof error.lines === "number" ? error.lines : 0, error.message);
      },
      on_record: (record: string[], context: InfoRecord) => {
        out.push({ cells: record, line: context.lines });
        return null;
      },
    });
  } catch (error) {
    const e = error as CsvError;
    onBad(typeof e.lines === "number" ? e.lines : out.length + 1, e.message);
  }
  return out;
}

/** Parses a sweep CSV (header first) into rows; records with another column count are left out. */
export function parseSweepCsv(text: string): SweepRow[] {
  return readCsvRecords(text, () => undefined)
    .slice(1)
    .filter((r) => r.cells.length === SWEEP_COLUMNS.length)
    .map((r) => Object.fromEntries(SWEEP_COLUMNS.map((c, i) => [c, r.cells[i]!])) as SweepRow);
}

/** Columns that hold text; every other column is a number (empty in a failed row). */
const TEXT_COLUMNS: ReadonlySet<SweepColumn> = new Set<SweepColumn>(["Workload_Name", "Category", "Aspect", "Strategy", "Model", "C_Accounting", "Status", "Reason"]);
/** Columns a failed row still fills. */
const FAILED_FILLED: ReadonlySet<SweepColumn> = new Set<SweepColumn>(["M", "N", "K", "L3_Size_MB", "L3_Bytes"]);
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Checks one stored record against the columns and types this version writes: the column count, every numeric cell a
 * finite number (kpu-sim's `inf`/`nan` allowed only in the ratio columns), Status ok or failed, Strategy a known label,
 * Model and C_Accounting the spec's. Returns the row, or the problem in words.
 */
export function checkSweepRecord(cells: readonly string[], spec: SweepSpec): { row: SweepRow } | { problem: string } {
  if (cells.length !== SWEEP_COLUMNS.length) return { problem: `${cells.length} cells, expected ${SWEEP_COLUMNS.length}` };
  const row = Object.fromEntries(SWEEP_COLUMNS.map((c, i) => [c, cells[i]!])) as SweepRow;
  if (row.Status !== "ok" && row.Status !== "failed") return { problem: `Status "${row.Status}" is not ok or failed` };
  if (!Object.values(STRATEGY_INFO).some((s) => s.label === row.Strategy)) return { problem: `Strategy "${row.Strategy}" is not WS, IS or OS` };
  if (row.Model !== spec.model) return { problem: `Model "${row.Model}" is not the sweep's ${spec.model}` };
  const ok = row.Status === "ok";
  for (const c of SWEEP_COLUMNS) {
    if (TEXT_COLUMNS.has(c)) continue;
    const v = row[c];
    if (v === "" && !ok && !FAILED_FILLED.has(c)) continue;
    const ratio = c.startsWith("Traffic_Over_") && (v === "inf" || v === "nan");
    if (ratio) continue;
    if (!NUMBER.test(v) || !Number.isFinite(Number(v))) return { problem: `${c} "${v}" is not a number` };
  }
  if (ok && row.Reason !== "") return { problem: "an ok row has a Reason" };
  return { row };
}
