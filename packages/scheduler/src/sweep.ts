import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { KpuError } from "@kpu/ir";
import type { SweepSpec } from "./grid.js";
import {
  csvHeader,
  csvLine,
  parseSweepCsv,
  rowKey,
  runSweepJob,
  sweepJobs,
  SWEEP_COLUMNS,
  type SweepJob,
  type SweepRow,
} from "./sweep-rows.js";
import { STRATEGY_INFO } from "./strategy.js";

export interface SweepOptions {
  /** Output directory: rows.csv (appended as jobs finish), sweep.csv (sorted), results.json, spec.json. */
  readonly outDir: string;
  /** Worker threads (default: every core). 1 runs in this thread. */
  readonly workers?: number;
  /** Called after each job with rows done so far and the total. */
  readonly onProgress?: (doneRows: number, totalRows: number) => void;
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

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Reads rows.csv for resuming: drops a torn last line, checks the header. */
function loadLog(path: string): SweepRow[] {
  if (!existsSync(path)) return [];
  let text = readFileSync(path, "utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    const keep = text.lastIndexOf("\n") + 1;
    truncateSync(path, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  if (text === "") return [];
  if (!text.startsWith(csvHeader())) {
    throw new KpuError("KPU_L3_BAD_RESUME", "rows.csv has other columns than this version writes", {
      where: path,
      hint: "Use a fresh --out directory.",
    });
  }
  return parseSweepCsv(text);
}

/** The parent's Node flags without its export conditions (`--conditions X`, `--conditions=X`, `-C X`), which the worker replaces. */
function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--conditions" || a === "-C") i++;
    else if (!a.startsWith("--conditions=")) out.push(a);
  }
  return out;
}

function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    // Running from source (tests, tsx): register tsx's ESM loader in the worker, then load the TypeScript entry.
    const loader = createRequire(here).resolve("tsx");
    const api = pathToFileURL(join(dirname(loader), "esm", "api", "index.mjs")).href;
    const entry = new URL("./sweep-worker.ts", here).href;
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, execArgv: [...withoutConditions(process.execArgv), "--conditions=@kpu/source"] });
  }
  return new Worker(new URL("./sweep-worker.js", here));
}

/** Runs jobs on worker threads (or inline), calling `done` as each finishes. */
async function runJobs(spec: SweepSpec, jobs: SweepJob[], workers: number, done: (job: SweepJob, rows: SweepRow[]) => void): Promise<void> {
  if (workers <= 1 || jobs.length <= 1) {
    for (const job of jobs) done(job, runSweepJob(spec, job));
    return;
  }
  // biggest jobs first, so the last one to finish is short
  const queue = [...jobs].sort((a, b) => cost(b) - cost(a));
  const byIndex = new Map(jobs.map((j) => [j.index, j]));
  await new Promise<void>((resolve, reject) => {
    let active = 0;
    let failed = false;
    const pool = Array.from({ length: Math.min(workers, queue.length) }, () => spawnWorker());
    const feed = (w: Worker): void => {
      const job = queue.shift();
      if (job === undefined) {
        void w.terminate();
        if (--active === 0 && !failed) resolve();
        return;
      }
      w.postMessage({ spec, job });
    };
    for (const w of pool) {
      active++;
      w.on("message", (msg: { index: number; rows?: SweepRow[]; error?: string }) => {
        if (msg.error !== undefined || msg.rows === undefined) {
          failed = true;
          for (const p of pool) void p.terminate();
          reject(new Error(`sweep worker failed: ${msg.error ?? "no rows"}`));
          return;
        }
        done(byIndex.get(msg.index)!, msg.rows);
        feed(w);
      });
      w.on("error", (e) => {
        failed = true;
        for (const p of pool) void p.terminate();
        reject(e);
      });
      feed(w);
    }
  });
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
  mkdirSync(dir, { recursive: true });
  const specPath = join(dir, "spec.json");
  const logPath = join(dir, "rows.csv");
  if (existsSync(specPath) && readFileSync(specPath, "utf8") !== specText(spec)) {
    throw new KpuError("KPU_L3_BAD_RESUME", "this directory holds a different sweep", {
      where: dir,
      hint: "Resume with the same preset or grid and model, or use a fresh --out directory.",
    });
  }
  writeAtomic(specPath, specText(spec));
  const previous = loadLog(logPath);
  if (!existsSync(logPath) || readFileSync(logPath, "utf8") === "") writeFileSync(logPath, csvHeader());
  const have = new Set(previous.map((r) => rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes)));
  const jobs = sweepJobs(spec);
  const totalRows = jobs.length * spec.l3Bytes.length;
  const todo = jobs.filter((j) => spec.l3Bytes.some((b) => !have.has(rowKey(j.workload.name, STRATEGY_INFO[j.strategy].label, b))));
  let doneRows = totalRows - todo.length * spec.l3Bytes.length;
  let computed = 0;
  const all = [...previous];
  options.onProgress?.(doneRows, totalRows);
  await runJobs(spec, todo, options.workers ?? availableParallelism(), (_job, rows) => {
    const fresh = rows.filter((r) => !have.has(rowKey(r.Workload_Name, r.Strategy, r.L3_Bytes)));
    if (fresh.length > 0) appendFileSync(logPath, fresh.map(csvLine).join(""));
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
  writeAtomic(csvPath, csvHeader() + rows.map(csvLine).join(""));
  writeAtomic(jsonPath, `${JSON.stringify({ columns: SWEEP_COLUMNS, rows }, null, 2)}\n`);
  return {
    rows,
    resumedRows: previous.length,
    computedRows: computed,
    failedRows: rows.filter((r) => r.Status === "failed").length,
    files: { log: logPath, csv: csvPath, json: jsonPath },
  };
}
