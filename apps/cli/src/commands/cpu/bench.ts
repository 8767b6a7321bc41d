import { VARIANTS, bestFromTuneLog, headline, measurePeak, parseVariants, runBench, type ResultsDoc } from "@kpu/cpu-matmul";
import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { toJsonText } from "../../util/print.js";
import { DEFAULT_RESULTS, DEFAULT_TUNE_LOG, addHostFlags, addShapeFlags, loadHost, progressBar, resolveShapes, threadsOf, type HostFlags, type ShapeFlags } from "./common.js";
import { printClasses, printPivot } from "./report.js";

export interface BenchFlags extends HostFlags, ShapeFlags {
  readonly variants: string;
  readonly runs?: number;
  readonly out?: string;
  readonly tuneLog?: string;
  readonly peak?: boolean;
  readonly json?: boolean;
}

/** `kpu cpu bench`: measure variants x shapes in one runner; writes the results JSON. */
export async function cpuBenchCommand(flags: BenchFlags, io: CliIo): Promise<ResultsDoc> {
  const variants = parseVariants(flags.variants);
  const shapes = resolveShapes(flags);
  const host = loadHost(flags);
  const threads = threadsOf(flags, host, io);
  const tuned = variants.includes("tuned") ? bestFromTuneLog(flags.tuneLog ?? DEFAULT_TUNE_LOG) : undefined;
  const bar = progressBar(flags.json !== true, shapes.length * variants.length, "bench");
  let done = 0;
  const doc = await runBench(shapes, variants, {
    host,
    threads,
    ...(tuned === undefined ? {} : { tuned }),
    measure: {
      ...(flags.runs === undefined ? {} : { minRuns: flags.runs }),
      onResult: (m) => {
        bar.tick(++done, m.id);
      },
    },
  });
  bar.stop();
  const peak = flags.peak === true ? (await measurePeak(host, [threads]))[0] : undefined;
  const full: ResultsDoc = peak === undefined ? doc : { ...doc, peakGflops: peak.gflops, kernelCeilingGflops: peak.kernelGflops, bandwidthGBps: peak.bandwidthGBps, bf16PeakGflops: peak.bf16.gflops, bf16Native: peak.bf16.native };
  const out = flags.out ?? DEFAULT_RESULTS;
  writeFileAtomic(out, toJsonText(full), "--out");
  if (flags.json === true) {
    io.stdout(toJsonText(full));
    return full;
  }
  printPivot(full, io);
  printClasses(full, io);
  io.stdout(`${headline(full).join("\n")}\n`);
  for (const f of full.failures) io.stdout(`failed ${f.variant} ${f.m}x${f.n}x${f.k}${f.dtype === undefined ? "" : `.${f.dtype}`}: ${f.reason}\n`);
  io.stdout(`wrote ${out}\n`);
  return full;
}

export function registerCpuBench(cpu: Command, io: CliIo): void {
  addHostFlags(
    addShapeFlags(
      cpu
        .command("bench")
        .description("compile, check and time schedule variants on shapes; write the results JSON")
        .option("--variants <list>", `comma-separated: ${VARIANTS.join(", ")} (or all, manual, peers)`, "seed-rules,host-rules,openblas")
        .option("--runs <n>", "timed runs per kernel (at least 30 recommended)", positiveInt("--runs", 100_000))
        .option("--tune-log <file>", `tune log for the tuned variant (default ${DEFAULT_TUNE_LOG})`)
        .option("--peak", "also measure the FMA peak, kernel ceiling and bandwidth per level, and report the shares of them and the roofline per shape")
        .option("--out <file>", `results JSON (default ${DEFAULT_RESULTS})`)
        .option("--json", "machine-readable output"),
    ),
  ).action(async (flags: BenchFlags) => {
    await cpuBenchCommand(flags, io);
  });
}
