import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type Tinypool from "tinypool";
import { KpuError } from "@kpu/ir";
import { ensureOutputDir, writeError, writeFileAtomic } from "./files.js";
import { dedupeSweepSpec, type SweepSpec } from "./grid.js";
import { lockOutputDir } from "./lock.js";
import { createWorkerPool } from "./worker-pool.js";
import {
  checkSweepRecord,
  csvHeader,
  csvLine,
  readCsvRecords,
  rowKey,
  runSweepJob,
  sweepJobs,
  SWEEP_COLUMNS,
  type SweepJob,
  type SweepRow,
} from "./sweep-rows.js";
import { STRATEGY_INFO } from "./strategy.js";

export interface SweepOptions {
  /** Output directory: rows.csv (appended as jobs finish), sweep.csv (sorted), results.json, spec.json. Locked while the sweep runs. */
  readonly outDir: string;
  /** Worker threads (default: every core). 1 runs in this thread. */
  readonly workers?: number;
  /** Called after each job with rows done so far and the total. */
  readonly onProgress?: (doneRows: number, totalRows: number) => void;
  /** Called for each stored row that resume throws away, and each repeated grid entry (default: a line on stderr). */
  readonly onWarning?: (message: string) => void;
  /** The flag that named outDir, for error locations (e.g. `--out`). */
  readonly outFlag?: string;
  /**
   * Runs the jobs somewhere else (e.g. `@kpu/queue`'s BullMQ workers) instead of this machine's worker threads; it must
   * call `done` once per job with the rows `runSweepJob` gives. Rows, resume and output files stay this function's.
   */
  readonly executor?: SweepExecutor;
}

/** Runs a sweep's jobs, calling `done` with each job's rows as it finishes (in any order). */
export type SweepExecutor = (spec: SweepSpec, jobs: readonly SweepJob[], done: (job: SweepJob, rows: SweepRow[]) => void) => Promise<void>;

/** A pool of worker threads that run sweep jobs (the same code as `runSweepJob`); destroy it when done. */
export interface SweepJobPool {
  run(spec: SweepSpec, job: SweepJob): Promise<SweepRow[]>;
  destroy(): Promise<void>;
}

export interface SweepOutcome {
  readonly rows: SweepRow[];
  readonly resumedRows: number;
  readonly computedRows: number;
  readonly failedRows: number;
  readonly files: { readonly log: string; readonly csv: string; readonly json: string };
}

function specText(spec: SweepSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

function defaultWarning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Reads rows.csv for resuming and keeps only rows it can trust: every cell parsed with its column's type, the row one
 * of this spec's points with the spec's dimensions, and its point stored once. Anything else (a garbage, torn, mis-typed,
 * foreign or repeated row) is reported with its line number and left to be recomputed. Checks the header.
 */
function loadLog(path: string, spec: SweepSpec, warn: (message: string) => void): SweepRow[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  const records = readCsvRecords(text, (line, problem) => { warn(`${path}:${line}: unreadable row (${problem}); it is recomputed`); });
  const head = records[0];
  if (head === undefined || head.line !== 1 || head.cells.join(",") !== SWEEP_COLUMNS.join(",")) {
    throw new KpuError("KPU_L3_BAD_RESUME", "rows.csv has other columns than this version writes", {
      where: path,
      hint: "Use a fresh --out directory.",
    });
  }
  const workloads = new Map(spec.workloads.map((w) => [w.name, w]));
  const labels = new Set(spec.strategies.map((s) => STRATEGY_INFO[s].label));
  const sizes = new Set(spec.l3Bytes.map(String));
  const byKey = new Map<string, { row: SweepRow; line: number } | null>();
  for (const r of records.slice(1)) {
    const checked = checkSweepRecord(r.cells, spec);
    let problem = "problem" in checked ? checked.problem : undefined;
    if ("row" in checked) {
      const row = checked.row;
      const w = workloads.get(row.Workload_Name);
      if (w === undefined || !labels.has(row.Strategy) || !sizes.has(row.L3_Bytes)) problem = "not a point of this sweep";
      else if (row.M !== String(w.m) || row.N !== String(w.n) || row.K !== String(w.k)) problem = "dimensions differ from the workload's";
      else {
        const key = rowKey(row.Workload_Name, row.Strategy, row.L3_Bytes);
        const seen = byKey.get(key);
        if (seen === undefined) byKey.set(key, { row, line: r.line });
        else {
          // the point is stored twice: trust neither copy
          problem = `repeats the point of line ${seen === null ? "an earlier line" : seen.line}`;
          byKey.set(key, null);
        }
      }
    }
    if (problem !== undefined) warn(`${path}:${r.line}: bad row (${problem}); it is recomputed`);
  }
  return [...byKey.values()].filter((v): v is { row: SweepRow; line: number } => v !== null).map((v) => v.row);
}

/** A pool of sweep worker threads (the shared worker-pool entry: built JS, or the tsx bootstrap from sources). */
export function sweepJobPool(threads: number): SweepJobPool {
  const pool: Tinypool = createWorkerPool(import.meta.url, { built: "./sweep-worker.js", source: "./sweep-worker-source.mjs" }, threads);
  return {
    // a job needs its own workload only: sending the whole spec would copy every workload to the thread per job
    run: async (spec, job) => (await pool.run({ spec: { ...spec, workloads: [job.workload] }, job })) as SweepRow[],
    destroy: () => pool.destroy(),
  };
}

/** Runs jobs on worker threads (or inline), calling `done` as each finishes. */
async function runJobs(spec: SweepSpec, jobs: SweepJob[], workers: number, done: (job: SweepJob, rows: SweepRow[]) => void): Promise<void> {
  if (workers <= 1 || jobs.length <= 1) {
    for (const job of jobs) {
      done(job, runSweepJob(spec, job));
      // yield between jobs so that a signal handler (Ctrl-C: restore the terminal, exit 130) gets to run
      await new Promise((resolve) => setImmediate(resolve));
    }
    return;
  }
  // biggest jobs first, so the last one to finish is short
  const queue = [...jobs].sort((a, b) => cost(b) - cost(a));
  const pool = sweepJobPool(Math.min(workers, queue.length));
  try {
    await Promise.all(
      queue.map(async (job) => {
        const rows = await pool.run(spec, job);
        done(job, rows);
      }),
    );
  } catch (error) {
    throw new Error(`sweep worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { cause: error });
  } finally {
    await pool.destroy();
  }
}

/** Rough work estimate of a job: tile steps with the default tiles (only used to order the queue). */
function cost(job: SweepJob): number {
  const w = job.workload;
  return (w.m * w.n * w.k) / 1e6;
}

/**
 * Runs a sweep: one job per (workload, strategy), every L3 size in one pass, spread over worker threads. Each finished
 * job's rows are appended to rows.csv in one write; a killed sweep run again with the same spec and directory skips
 * every row already there (a torn last line is dropped), so no row is lost or duplicated. A point that fails is a row
 * with Status=failed and the reason. At the end, sweep.csv (sorted) and results.json are written.
 */
export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepOutcome> {
  const dir = options.outDir;
  const flag = options.outFlag;
  const warn = options.onWarning ?? defaultWarning;
  ensureOutputDir(dir, flag);
  const release = await lockOutputDir(dir, flag);
  try {
    return await sweepLocked(dedupeSweepSpec(spec, "grid", warn), dir, options, warn);
  } finally {
    await release();
  }
}

async function sweepLocked(spec: SweepSpec, dir: string, options: SweepOptions, warn: (message: string) => void): Promise<SweepOutcome> {
  const flag = options.outFlag;
  const specPath = join(dir, "spec.json");
  const logPath = join(dir, "rows.csv");
  if (existsSync(specPath) && readFileSync(specPath, "utf8") !== specText(spec)) {
    throw new KpuError("KPU_L3_BAD_RESUME", "this directory holds a different sweep", {
      where: dir,
      hint: "Resume with the same preset or grid and model, or use a fresh --out directory.",
    });
  }
  writeFileAtomic(specPath, specText(spec), flag);
  const previous = loadLog(logPath, spec, warn);
  // the log from here on holds exactly the trusted rows; new rows are appended as jobs finish
  writeFileAtomic(logPath, csvHeader() + previous.map(csvLine).join(""), flag);
  const have = new Set(previous.map((r) => rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes)));
  const jobs = sweepJobs(spec);
  const totalRows = jobs.length * spec.l3Bytes.length;
  const todo = jobs.filter((j) => spec.l3Bytes.some((b) => !have.has(rowKey(j.workload.name, STRATEGY_INFO[j.strategy].label, b))));
  let doneRows = totalRows - todo.length * spec.l3Bytes.length;
  let computed = 0;
  const all = [...previous];
  options.onProgress?.(doneRows, totalRows);
  const run: SweepExecutor = options.executor ?? ((s, j, done) => runJobs(s, [...j], options.workers ?? availableParallelism(), done));
  await run(spec, todo, (_job, rows) => {
    const fresh = rows.filter((r) => !have.has(rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes)));
    try {
      if (fresh.length > 0) appendFileSync(logPath, fresh.map(csvLine).join(""));
    } catch (cause) {
      throw writeError(cause, logPath, flag);
    }
    for (const r of fresh) have.add(rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes));
    all.push(...fresh);
    computed += fresh.length;
    doneRows += rows.length;
    options.onProgress?.(Math.min(doneRows, totalRows), totalRows);
  });
  // deterministic order: the spec's workload, strategy and L3 order
  const order = new Map<string, number>();
  let n = 0;
  for (const j of jobs) for (const b of spec.l3Bytes) order.set(rowKey(j.workload.name, STRATEGY_INFO[j.strategy].label, b), n++);
  const rows = all
    .filter((r) => order.has(rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes)))
    .sort((a, b) => order.get(rowKey(a.Workload_Name, a.Strategy, a.L3_Bytes))! - order.get(rowKey(b.Workload_Name, b.Strategy, b.L3_Bytes))!);
  const csvPath = join(dir, "sweep.csv");
  const jsonPath = join(dir, "results.json");
  writeFileAtomic(csvPath, csvHeader() + rows.map(csvLine).join(""), flag);
  writeFileAtomic(jsonPath, `${JSON.stringify({ columns: SWEEP_COLUMNS, rows }, null, 2)}\n`, flag);
  return {
    rows,
    resumedRows: previous.length,
    computedRows: computed,
    failedRows: rows.filter((r) => r.Status === "failed").length,
    files: { log: logPath, csv: csvPath, json: jsonPath },
  };
}
