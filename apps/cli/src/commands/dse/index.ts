import type { Command } from "commander";
import { TIMINGS, parseSpace, runDse, type DseOutcome, type PointExecutor, type Timing } from "@kpu/dse";
import { KpuError } from "@kpu/ir";
import { connectChecked, parseRedisUrl, queueDseExecutor } from "@kpu/queue";
import type { CliIo } from "../../main.js";
import { readTextFile } from "../../util/files.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { EXAMPLE_NAMES, loadNetwork } from "../../util/model.js";
import { countProgress } from "../../util/progress.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";

export interface DseFlags {
  readonly example?: string;
  readonly batch?: number;
  readonly seq?: number;
  readonly space?: string;
  readonly out?: string;
  readonly threads?: number;
  readonly timing?: Timing;
  readonly queue?: string;
  readonly json?: boolean;
}

/** The `--json` summary. */
export interface DseSummary {
  readonly points: number;
  readonly feasible: number;
  readonly computed: number;
  readonly resumed: number;
  readonly pareto: readonly string[];
  readonly seconds: number;
  readonly files: DseOutcome["files"];
}

async function queueExecutor(url: string): Promise<PointExecutor> {
  const target = parseRedisUrl(url, "--queue");
  (await connectChecked(target, 3_000, "--queue")).disconnect();
  return queueDseExecutor(target);
}

/**
 * `kpu dse`: every point of a space file mapped layer by layer with the exact mapper; points appended to
 * <out>/points.jsonl as they finish (the same command resumes), then dse.json, points.csv, pareto.svg, sensitivity.svg.
 */
export async function dseCommand(model: string | undefined, flags: DseFlags, io: CliIo): Promise<DseSummary> {
  if (flags.space === undefined) throw new KpuError("KPU_USAGE", "--space is required", { where: "--space", hint: "Give a space file, e.g. --space space.yaml (see the @kpu/dse README)." });
  if (flags.out === undefined) throw new KpuError("KPU_USAGE", "--out is required", { where: "--out", hint: "Give an output directory, e.g. --out dse-run." });
  const space = parseSpace(readTextFile(flags.space), flags.space);
  const graph = loadNetwork({ file: model, example: flags.example, batch: flags.batch, seq: flags.seq });
  if (flags.queue !== undefined && flags.threads !== undefined) warn(io, "--threads does nothing with --queue (the workers are `kpu worker` processes)");
  const executor = flags.queue === undefined ? undefined : await queueExecutor(flags.queue);
  const progress = countProgress(flags.json !== true, "dse", "points");
  const outcome = await runDse({
    graph,
    model: { name: graph.name, source: model ?? `example:${flags.example ?? "mlp"}` },
    space,
    outDir: flags.out,
    outFlag: "--out",
    onWarning: (m) => { warn(io, m); },
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.timing === undefined ? {} : { timing: flags.timing }),
    ...(executor === undefined ? {} : { executor }),
    onProgress: progress.onProgress,
  }).finally(progress.stop);
  const points = outcome.result.points;
  const summary: DseSummary = {
    points: points.length,
    feasible: points.filter((p) => p.feasible).length,
    computed: outcome.computed,
    resumed: outcome.resumed,
    pareto: points.filter((p) => p.pareto).map((p) => p.id),
    seconds: outcome.seconds,
    files: outcome.files,
  };
  if (flags.json === true) {
    io.stdout(toJsonText(summary));
    return summary;
  }
  io.stdout(`${summary.points} points (${summary.feasible} feasible; ${summary.computed} computed, ${summary.resumed} resumed) in ${summary.seconds.toFixed(1)} s\n`);
  const names = outcome.result.parameters.map((p) => p.name);
  const front = points.filter((p) => p.pareto).sort((a, b) => a.latencyNs! - b.latencyNs!);
  io.stdout(`Pareto front over latency, energy and area (${front.length} points):\n`);
  io.stdout(
    renderTable(
      [...names, "latency ms", "energy mJ", "area mm²"],
      front.map((p) => [...names.map((n) => String(p.params[n])), (p.latencyNs! / 1e6).toPrecision(4), (p.energyPj! / 1e9).toPrecision(4), p.areaMm2!.toPrecision(4)]),
    ),
  );
  for (const [what, path] of Object.entries(outcome.files)) io.stdout(`${what}: ${path}\n`);
  return summary;
}

export function registerDse(program: Command, io: CliIo): void {
  program
    .command("dse [model]")
    .description("design-space exploration: every hardware point of a space file mapped layer by layer with the exact mapper; Pareto front over latency, energy and area; resumable")
    .option("--example <name>", `a built-in network instead of a model file (${EXAMPLE_NAMES.join(", ")})`)
    .option("--batch <B>", "sequences or images per inference (default 1)", positiveInt("--batch"))
    .option("--seq <S>", "tokens per sequence for transformers (default 128)", positiveInt("--seq"))
    .option("--space <file>", "the space: base hardware, objective, parameter lists and ranges (YAML)")
    .option("--out <dir>", "output directory (points.jsonl, dse.json, points.csv, pareto.svg, sensitivity.svg)")
    .option("--threads <n>", "worker threads, one point each (default: every core)", positiveInt("--threads", 256))
    .option("--timing <how>", `${TIMINGS.join(" or ")}: how a point's network is timed from its mappings (default analysis)`, oneOf("--timing", TIMINGS))
    .option("--queue <url>", "evaluate the points on `kpu worker` processes through this Redis (redis://host:port)")
    .option("--json", "machine-readable summary (points, feasible, pareto ids, seconds)")
    .action(async (model: string | undefined, flags: DseFlags) => {
      await dseCommand(model, flags, io);
    });
}
