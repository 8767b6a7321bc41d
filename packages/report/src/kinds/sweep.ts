import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KpuError } from "@kpu/ir";
import { SWEEP_COLUMNS, bestStrategies, type SweepRow } from "@kpu/scheduler";

/** One (workload, strategy, L3 size) of a sweep as the page draws it. */
export interface SweepPoint {
  readonly workload: string;
  readonly strategy: string;
  readonly l3Bytes: number;
  /** The plotted ratio: DRAM traffic / compulsory (kpu model) or kpu-sim's overfetch (kpu-sim model). */
  readonly value: number;
  readonly dramBytes: number;
  readonly tiles: string;
}

export interface SweepView {
  readonly model: string;
  readonly metric: string;
  readonly workloads: readonly string[];
  readonly strategies: readonly string[];
  readonly l3Sizes: readonly number[];
  readonly points: readonly SweepPoint[];
  /** Least DRAM traffic per (workload, size): every tied strategy listed. */
  readonly best: readonly { readonly workload: string; readonly l3Bytes: number; readonly strategies: readonly string[]; readonly ratio: number }[];
  readonly failed: readonly { readonly workload: string; readonly strategy: string; readonly l3Bytes: number; readonly reason: string }[];
}

const HINT = "Pass the folder written by `kpu l3 sweep --out dir` once the sweep has finished.";

/** True for a folder `kpu l3 sweep --out` wrote (or is writing). */
export function isSweepFolder(dir: string): boolean {
  return existsSync(join(dir, "spec.json")) && (existsSync(join(dir, "results.json")) || existsSync(join(dir, "rows.csv")));
}

function readRows(dir: string): SweepRow[] {
  const path = join(dir, "results.json");
  if (!existsSync(path)) {
    throw new KpuError("KPU_SCHEMA", "the sweep has not finished (rows.csv but no results.json)", { where: dir, hint: "Run the same `kpu l3 sweep` command again: it resumes and writes results.json." });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: path, hint: HINT, cause });
  }
  const d = doc as { columns?: unknown; rows?: unknown } | null;
  if (d === null || JSON.stringify(d.columns) !== JSON.stringify(SWEEP_COLUMNS) || !Array.isArray(d.rows)) {
    throw new KpuError("KPU_SCHEMA", "columns differ from the ones this kpu writes, or rows is missing", { where: `${path}:columns`, hint: HINT });
  }
  d.rows.forEach((row: unknown, i) => {
    const r = row as Record<string, unknown> | null;
    const bad = SWEEP_COLUMNS.find((c) => typeof r?.[c] !== "string");
    if (bad !== undefined) throw new KpuError("KPU_SCHEMA", `rows[${i}].${bad} is missing or not a string`, { where: `${path}:rows[${i}].${bad}`, hint: HINT });
  });
  return d.rows as SweepRow[];
}

/** The sweep's points, best strategies (with ties) and failures, in the workloads' and sizes' order. */
export function sweepView(dir: string): SweepView {
  const rows = readRows(dir);
  const ok = rows.filter((r) => r.Status === "ok");
  const sim = ok.some((r) => r.Model === "kpu-sim");
  const points = ok.map((r) => ({
    workload: r.Workload_Name,
    strategy: r.Strategy,
    l3Bytes: Number(r.L3_Bytes),
    value: Number(sim ? r.Overfetch_Total : r.Traffic_Over_Compulsory),
    dramBytes: Number(r.DRAM_Read_Bytes) + Number(r.DRAM_Write_Bytes),
    tiles: `${r.Ti}x${r.Tj}x${r.Tk}`,
  }));
  return {
    model: sim ? "kpu-sim" : "kpu",
    metric: sim ? "kpu-sim overfetch (DRAM reads / tensor bytes)" : "DRAM traffic / compulsory",
    workloads: [...new Set(rows.map((r) => r.Workload_Name))],
    strategies: [...new Set(rows.map((r) => r.Strategy))],
    l3Sizes: [...new Set(rows.map((r) => Number(r.L3_Bytes)))].sort((a, b) => a - b),
    points,
    best: bestStrategies(ok).map(({ workload, l3Bytes, strategies, ratio }) => ({ workload, l3Bytes, strategies, ratio })),
    failed: rows.filter((r) => r.Status !== "ok").map((r) => ({ workload: r.Workload_Name, strategy: r.Strategy, l3Bytes: Number(r.L3_Bytes), reason: r.Reason })),
  };
}
