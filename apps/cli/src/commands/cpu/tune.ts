import { shapeKey, trialScore, tuneCurveSvg, tuneShape, type CandidateMeasurer, type TuneResult } from "@kpu/cpu-matmul";
import { connectChecked, parseRedisUrl, queueMeasurer } from "@kpu/queue";
import type { Command } from "commander";
import { dirname } from "node:path";
import type { CliIo } from "../../main.js";
import { ensureOutputDir, writeFileAtomic } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { DEFAULT_TUNE_LOG, addHostFlags, addShapeFlags, loadHost, progressBar, resolveShapes, threadsOf, type HostFlags, type ShapeFlags } from "./common.js";

export interface TuneFlags extends HostFlags, ShapeFlags {
  readonly trials: number;
  readonly batch: number;
  readonly seed: number;
  readonly log?: string;
  readonly curve?: string;
  readonly queue?: string;
  readonly json?: boolean;
}

async function queueMeasurerOf(url: string): Promise<CandidateMeasurer> {
  const target = parseRedisUrl(url, "--queue");
  (await connectChecked(target, 3_000, "--queue")).disconnect();
  return queueMeasurer(target);
}

/** `kpu cpu tune`: the autotuner baseline per shape; appends every trial to the log and resumes from it. */
export async function cpuTuneCommand(flags: TuneFlags, io: CliIo): Promise<TuneResult[]> {
  const shapes = resolveShapes(flags);
  const host = loadHost(flags);
  const threads = threadsOf(flags, host, io);
  const log = flags.log ?? DEFAULT_TUNE_LOG;
  // trials measured on `kpu worker --kinds tune` processes of this host's class; Redis checked before anything is written
  const measurer = flags.queue === undefined ? undefined : await queueMeasurerOf(flags.queue);
  ensureOutputDir(dirname(log), "--log");
  const out: TuneResult[] = [];
  for (const shape of shapes) {
    const bar = progressBar(flags.json !== true, flags.trials, `tune ${shapeKey(shape)}`);
    const r = await tuneShape(shape, {
      host,
      threads,
      trials: flags.trials,
      batchSize: flags.batch,
      seed: flags.seed,
      logPath: log,
      measure: { minWindowMs: 30, maxAttempts: 1 },
      ...(measurer === undefined ? {} : { measurer }),
      onProgress: (p) => {
        bar.tick(p.trials, `best ${p.bestGflops.toFixed(1)} GFLOP/s`);
      },
    });
    bar.stop();
    out.push(r);
    if (flags.json !== true) {
      const best = r.best === undefined ? "-" : trialScore(shape, r.best).toFixed(1);
      io.stdout(`${shapeKey(shape)}: ${r.curve.length} trials, best ${best} GFLOP/s at p10 re-measured (${r.best?.key ?? "none"}), rule schedule ${r.ruleGflops?.toFixed(1) ?? "-"}\n`);
    }
  }
  if (flags.curve !== undefined) {
    writeFileAtomic(flags.curve, await tuneCurveSvg(out, threads), "--curve");
  }
  if (flags.json === true) {
    io.stdout(
      toJsonText({
        log,
        shapes: out.map((r) => ({ shape: r.shape, trials: r.curve.length, best: r.best ?? null, ruleGflops: r.ruleGflops ?? null, curve: r.curve })),
      }),
    );
  } else {
    io.stdout(
      renderTable(
        ["shape", "trials", "best GFLOP/s (p10, re-measured)", "rule GFLOP/s (p10)", "rule/best"],
        out.map((r) => {
          const best = r.best === undefined ? undefined : trialScore(r.shape, r.best);
          return [shapeKey(r.shape), r.curve.length, best?.toFixed(1) ?? "-", r.ruleGflops?.toFixed(1) ?? "-", r.ruleGflops !== undefined && best !== undefined ? (r.ruleGflops / best).toFixed(3) : "-"];
        }),
      ),
    );
    io.stdout(`log: ${log}${flags.curve === undefined ? "" : `; best-so-far curve: ${flags.curve}`}\n`);
  }
  return out;
}

export function registerCpuTune(cpu: Command, io: CliIo): void {
  addHostFlags(
    addShapeFlags(
      cpu
        .command("tune")
        .description("autotuner baseline: random + cost-model-guided evolutionary search over the rule engine's space")
        .option("--trials <n>", "measured trials per shape", positiveInt("--trials", 100_000), 256)
        .option("--batch <n>", "candidates compiled and measured together", positiveInt("--batch", 1024), 32)
        .option("--seed <n>", "random seed", positiveInt("--seed"), 1)
        .option("--log <file>", `JSON Lines trial log, resumed when it exists (default ${DEFAULT_TUNE_LOG})`)
        .option("--curve <file.svg>", "write the best-so-far curve as SVG")
        .option("--queue <url>", "measure the trials on `kpu worker --kinds tune` processes of this host's class through Redis")
        .option("--json", "machine-readable output"),
    ),
  ).action(async (flags: TuneFlags) => {
    await cpuTuneCommand(flags, io);
  });
}
