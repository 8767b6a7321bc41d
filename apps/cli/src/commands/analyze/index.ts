import { join } from "node:path";
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { analysisTrace, analyzeGraph, levelBytesPerCycle, ruleMapping, type Analysis } from "@kpu/kpu-model";
import { OBJECTIVES, exactMappingRule, type NetworkMapResult, type Objective } from "@kpu/mapper";
import type { CliIo } from "../../main.js";
import { ensureOutputDir, writeFileAtomic } from "../../util/files.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { DEFAULT_SEQ, MODEL_EXAMPLES, type Phase } from "@kpu/models";
import { addNetworkFlags, loadNetwork, networkFlagWarnings } from "../../util/model.js";
import { toJsonText, warn } from "../../util/print.js";
import { loadHardware } from "../hw/index.js";
import { mapGraph } from "../map/network.js";
import { layerTable, layersCsv, rooflinePlot, timePlot, totalsText } from "./report.js";

export const MAPPERS = ["rule", "exact"] as const;

export interface AnalyzeFlags {
  readonly example?: string;
  readonly seq?: number;
  readonly batch?: number;
  readonly phase?: Phase;
  readonly context?: number;
  readonly allowUnsupported?: boolean;
  readonly hw: string;
  readonly mapper: (typeof MAPPERS)[number];
  /** --mapper exact: what the mapper minimises per layer, and its worker threads. */
  readonly objective?: Objective;
  readonly threads?: number;
  readonly out?: string;
  /** Write the network's timeline in the Trace Event Format (Perfetto, chrome://tracing). */
  readonly trace?: string;
  readonly json?: boolean;
}

/** Files `--out` writes, by role. */
export interface AnalyzeFiles {
  readonly json: string;
  readonly csv: string;
  readonly timeSvg: string;
  readonly rooflineSvg: string;
}

/**
 * Loads the model and hardware and runs the analysis, with progress bars on an interactive terminal. With
 * `--mapper exact` every fabric layer is first mapped by the exact mapper (`mapNetwork`) and timed with its mapping.
 */
export async function runAnalysis(model: string | undefined, flags: AnalyzeFlags, io: CliIo): Promise<Analysis> {
  if (flags.mapper !== "exact") {
    for (const key of ["objective", "threads"] as const) if (flags[key] !== undefined) warn(io, `--${key} has no effect without --mapper exact`);
  }
  const source = { file: model, example: flags.example, seq: flags.seq, batch: flags.batch, phase: flags.phase, context: flags.context, allowUnsupported: flags.allowUnsupported };
  for (const w of networkFlagWarnings(source)) warn(io, w);
  const graph = loadNetwork(source);
  // Decoders report tokens per second: the phase the network was built for (prefill unless --phase says otherwise).
  const phase = flags.phase ?? (flags.example !== undefined && MODEL_EXAMPLES[flags.example]?.takes.includes("phase") === true ? "prefill" : undefined);
  const hw = loadHardware(flags.hw);
  const name = model ?? `example:${flags.example ?? "mlp"}`;
  const tty = process.stderr.isTTY && flags.json !== true;
  let exact: NetworkMapResult | undefined;
  if (flags.mapper === "exact") exact = await mapGraph(graph, hw, { objective: flags.objective ?? "latency", threads: flags.threads, progress: tty });
  const bar = tty ? new cliProgress.SingleBar({ format: "analysing [{bar}] {percentage}% | {eta}s", clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(1000, 0);
  try {
    return analyzeGraph(graph, hw, {
      model: { name: graph.name, source: name },
      ...(flags.batch === undefined ? {} : { batch: flags.batch }),
      ...(flags.seq === undefined && phase === undefined ? {} : { seq: flags.seq ?? DEFAULT_SEQ }),
      ...(phase === undefined ? {} : { phase }),
      ...(flags.context === undefined ? {} : { context: flags.context }),
      mapper: exact === undefined ? { name: "rule", rule: ruleMapping } : { name: "exact", rule: exactMappingRule(exact, ruleMapping) },
      onProgress: (f) => bar?.update(Math.round(f * 1000)),
    });
  } finally {
    bar?.stop();
  }
}

/** `--out dir`: the JSON, the layer CSV and the two plots, each written atomically. */
export async function writeAnalysisFiles(a: Analysis, dir: string, hwSpec: string): Promise<AnalyzeFiles> {
  ensureOutputDir(dir, "--out");
  const hw = loadHardware(hwSpec);
  const files = { json: join(dir, "analysis.json"), csv: join(dir, "layers.csv"), timeSvg: join(dir, "time-by-layer.svg"), rooflineSvg: join(dir, "roofline.svg") };
  const [time, roof] = await Promise.all([timePlot(a), rooflinePlot(a, hw.derived.peakMacsPerCycle, levelBytesPerCycle(hw, "dram"))]);
  writeFileAtomic(files.json, toJsonText(a), "--out");
  writeFileAtomic(files.csv, layersCsv(a), "--out");
  writeFileAtomic(files.timeSvg, time, "--out");
  writeFileAtomic(files.rooflineSvg, roof, "--out");
  return files;
}

export async function analyzeCommand(model: string | undefined, flags: AnalyzeFlags, io: CliIo, width = process.stdout.columns || 120): Promise<Analysis> {
  const a = await runAnalysis(model, flags, io);
  const files = flags.out === undefined ? undefined : await writeAnalysisFiles(a, flags.out, flags.hw);
  const hw = flags.trace === undefined ? undefined : loadHardware(flags.hw);
  if (flags.trace !== undefined && hw !== undefined) writeFileAtomic(flags.trace, JSON.stringify(analysisTrace(a, hw)), "--trace");
  if (flags.json === true) {
    io.stdout(toJsonText(a));
    return a;
  }
  io.stdout(layerTable(a.layers, width));
  io.stdout(totalsText(a));
  if (a.layers.some((l) => l.unit === "fabric")) {
    io.stdout(
      flags.mapper === "exact"
        ? `mapping: exact (kpu map's search per GEMM shape, objective ${flags.objective ?? "latency"}; kpu map --example or a model file lists each layer's mapping, bounds and gaps)\n`
        : "mapping: rule (kpu's auto strategy per GEMM: least DRAM traffic of WS, IS, OS; per-strategy tiles)\n",
    );
  }
  if (files !== undefined) io.stdout(`wrote ${files.json}, ${files.csv}, ${files.timeSvg}, ${files.rooflineSvg}\n`);
  if (flags.trace !== undefined && hw !== undefined) io.stdout(`wrote the timeline of ${a.layers.length} layers on ${hw.computeTiles} compute tile(s) to ${flags.trace} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
  return a;
}

export function registerAnalyze(program: Command, io: CliIo): void {
  addNetworkFlags(
    program
      .command("analyze [model]")
      .description("per-layer account of a network on a KPU: op, shapes, MACs, mapping, cycles, utilisation, bytes per level, energy, bound; totals"),
  )
    .option("--hw <preset|file>", "hardware preset (minimal, edge-ai, datacenter) or JSON/YAML file", "edge-ai")
    .option("--mapper <rule|exact>", "how GEMM layers are mapped: rule (kpu's auto strategy and tile rule) or exact (the mapper's search, as kpu map)", oneOf("--mapper", MAPPERS), "rule")
    .addOption(new Option("--objective <o>", "--mapper exact: what each layer's mapping minimises: latency, energy, edp, dram (default latency)").choices(OBJECTIVES))
    .option("--threads <n>", "--mapper exact: worker threads (default: every core; the answer does not depend on it)", positiveInt("--threads", 1024))
    .option("--out <dir>", "write analysis.json, layers.csv, time-by-layer.svg and roofline.svg here")
    .option("--trace <file>", "write the network's timeline as Trace Event Format JSON (Perfetto, chrome://tracing): layers one after another, one process per compute tile, one thread per engine")
    .option("--json", "machine-readable output (kind kpu.analysis)")
    .action(async (model: string | undefined, flags: AnalyzeFlags) => {
      await analyzeCommand(model, flags, io);
    });
}
