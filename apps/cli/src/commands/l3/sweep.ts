import { join } from "node:path";
import type { Command } from "commander";
import { KpuError } from "@kpu/ir";
import {
  C_ACCOUNTINGS,
  L3_MODELS,
  bestStrategies,
  parseGridFile,
  presetSpec,
  runSweep,
  sweepPlots,
  type CAccounting,
  type L3Model,
  type SweepExecutor,
  type SweepSpec,
} from "@kpu/scheduler";
import { connectChecked, parseRedisUrl, queueSweepExecutor } from "@kpu/queue";
import type { CliIo } from "../../main.js";
import { readTextFile, writeFileAtomic } from "../../util/files.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { countProgress } from "../../util/progress.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";
import { size } from "./common.js";

const PRESETS = ["focused", "comprehensive"] as const;

export interface L3SweepFlags {
  readonly preset?: (typeof PRESETS)[number];
  readonly grid?: string;
  readonly model?: L3Model;
  readonly cAccounting?: CAccounting;
  readonly out?: string;
  readonly workers?: number;
  readonly plots?: boolean;
  readonly queue?: string;
  readonly json?: boolean;
}

/** The sweep spec named by --preset or --grid (exactly one). */
export function sweepSpecOf(
  flags: { preset?: string | undefined; grid?: string | undefined; model?: L3Model | undefined; cAccounting?: CAccounting | undefined },
  onWarning?: (message: string) => void,
): SweepSpec {
  if ((flags.preset === undefined) === (flags.grid === undefined)) {
    throw new KpuError("KPU_USAGE", "give exactly one of --preset and --grid", {
      where: "--preset/--grid",
      hint: "Example: --preset focused, or --grid my-grid.yaml.",
    });
  }
  if (flags.preset !== undefined) return presetSpec(flags.preset as (typeof PRESETS)[number], flags.model ?? "kpu", flags.cAccounting ?? "rmw");
  const spec = parseGridFile(readTextFile(flags.grid!), flags.grid!, onWarning);
  return { ...spec, ...(flags.model ? { model: flags.model } : {}), ...(flags.cAccounting ? { cAccounting: flags.cAccounting } : {}) };
}

/** The executor of `--queue URL`: the URL checked (reachable, password) first. */
async function queueExecutor(url: string): Promise<SweepExecutor> {
  const target = parseRedisUrl(url, "--queue");
  (await connectChecked(target, 3_000, "--queue")).disconnect();
  return queueSweepExecutor(target);
}

/**
 * `kpu l3 sweep`: every (workload, strategy, L3 size) of a preset or grid, on every core. Rows are appended to
 * <out>/rows.csv as jobs finish; running the same command again resumes. Writes sweep.csv, results.json and two SVGs.
 */
export async function l3SweepCommand(flags: L3SweepFlags, io: CliIo): Promise<void> {
  const onWarning = (message: string): void => { warn(io, message); };
  const spec = sweepSpecOf(flags, onWarning);
  if (flags.out === undefined) {
    throw new KpuError("KPU_USAGE", "--out is required", { where: "--out", hint: "Give an output directory, e.g. --out l3-sweep." });
  }
  if (flags.queue !== undefined && flags.workers !== undefined) warn(io, "--workers does nothing with --queue (the workers are `kpu worker` processes)");
  // a queued sweep checks Redis before it writes anything
  const executor = flags.queue === undefined ? undefined : await queueExecutor(flags.queue);
  const t0 = performance.now();
  // Ctrl-C / SIGTERM: stop the bar, restore auto-wrap, exit 130 / 143 (finished rows are kept). An inline sweep (one
  // worker) yields between jobs, so the handler runs there too, after the job in progress.
  const progress = countProgress(flags.json !== true, "l3 sweep", "rows");
  const outcome = await runSweep(spec, {
    outDir: flags.out,
    outFlag: "--out",
    onWarning,
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(executor === undefined ? {} : { executor }),
    onProgress: progress.onProgress,
  }).finally(progress.stop);
  const seconds = (performance.now() - t0) / 1000;
  const files = { ...outcome.files, overfetchSvg: "", bestStrategySvg: "" };
  if (flags.plots !== false) {
    const plots = await sweepPlots(outcome.rows);
    files.overfetchSvg = join(flags.out, "overfetch.svg");
    files.bestStrategySvg = join(flags.out, "best-strategy.svg");
    writeFileAtomic(files.overfetchSvg, plots.overfetchSvg, "--out");
    writeFileAtomic(files.bestStrategySvg, plots.bestStrategySvg, "--out");
  }
  const best = bestStrategies(outcome.rows);
  if (flags.json === true) {
    io.stdout(
      toJsonText({
        rows: outcome.rows.length,
        resumedRows: outcome.resumedRows,
        computedRows: outcome.computedRows,
        failedRows: outcome.failedRows,
        seconds,
        files,
        best,
      }),
    );
    return;
  }
  io.stdout(
    `${outcome.rows.length} rows (${outcome.computedRows} computed, ${outcome.resumedRows} resumed, ${outcome.failedRows} failed) in ${seconds.toFixed(1)} s\n`,
  );
  const sizes = [...new Set(best.map((b) => b.l3Bytes))].sort((a, b) => a - b);
  const names = [...new Set(best.map((b) => b.workload))];
  const cell = new Map(best.map((b) => [`${b.workload}\u0000${b.l3Bytes}`, `${b.strategy} ${b.ratio.toFixed(2)}`]));
  io.stdout("best strategy (traffic / compulsory):\n");
  io.stdout(renderTable(["workload", ...sizes.map(size)], names.map((n) => [n, ...sizes.map((s) => cell.get(`${n}\u0000${s}`) ?? "-")])));
  for (const [what, path] of Object.entries(files)) if (path !== "") io.stdout(`${what}: ${path}\n`);
}

export function registerL3Sweep(l3: Command, io: CliIo): void {
  l3.command("sweep")
    .description("sweep workloads x strategies x L3 sizes (preset or grid file) on every core; resumable")
    .option("--preset <name>", `${PRESETS.join(" or ")} (kpu-sim's workload lists)`, oneOf("--preset", PRESETS))
    .option("--grid <file>", "a JSON or YAML grid: workloads [{name, m, n, k}], l3 [sizes], strategies, model")
    .option("--model <model>", `${L3_MODELS.join(" or ")} (default kpu)`, oneOf("--model", L3_MODELS))
    .option("--c-accounting <mode>", C_ACCOUNTINGS.join(" or "), oneOf("--c-accounting", C_ACCOUNTINGS))
    .option("--out <dir>", "output directory (rows.csv, sweep.csv, results.json, SVG plots)")
    .option("--workers <n>", "worker threads (default: every core)", positiveInt("--workers", 256))
    .option("--no-plots", "skip the SVG plots")
    .option("--queue <url>", "run the jobs on `kpu worker` processes through this Redis (redis://host:port)")
    .option("--json", "machine-readable summary")
    .action(async (flags: L3SweepFlags) => {
      await l3SweepCommand(flags, io);
    });
}
