import { join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { KpuError } from "@kpu/ir";
import { analyzeGraph, levelBytesPerCycle, ruleMapping, type Analysis } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { ensureOutputDir, writeFileAtomic } from "../../util/files.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { loadModel } from "../../util/model.js";
import { toJsonText, warn } from "../../util/print.js";
import { loadHardware } from "../hw/index.js";
import { layerTable, layersCsv, rooflinePlot, timePlot, totalsText } from "./report.js";

export const MAPPERS = ["rule", "exact"] as const;
export const PHASES = ["prefill", "decode"] as const;

export interface AnalyzeFlags {
  readonly example?: string;
  readonly seq?: number;
  readonly batch?: number;
  readonly phase?: (typeof PHASES)[number];
  readonly context?: number;
  readonly hw: string;
  readonly mapper: (typeof MAPPERS)[number];
  readonly out?: string;
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
 * The model flags the loader does not use yet (the current loader reads kpu.graph files, `mlp` and `bert-layer`):
 * they are refused rather than ignored, so a throughput is never computed for a batch the graph does not have.
 */
function checkModelFlags(flags: AnalyzeFlags, io: CliIo): void {
  for (const [value, flag] of [[flags.batch, "--batch"], [flags.phase, "--phase"], [flags.context, "--context"]] as const) {
    if (value === undefined) continue;
    throw new KpuError("KPU_USAGE", `${flag} needs a model the loader can shape (a Hugging Face config or a model-library example)`, {
      where: flag,
      hint: "A kpu.graph file has fixed shapes: drop the flag, or build the graph at the batch and sequence you want.",
    });
  }
  if (flags.seq !== undefined && flags.example !== "bert-layer") warn(io, "--seq only shapes --example bert-layer; ignored");
}

/** Loads the model and hardware and runs the analysis, with a progress bar on an interactive terminal. */
export function runAnalysis(model: string | undefined, flags: AnalyzeFlags, io: CliIo): Analysis {
  if (flags.mapper === "exact") {
    throw new KpuError("KPU_BAD_FLAG", "the exact mapper is not in this build", {
      where: "--mapper",
      hint: "Use --mapper rule (kpu's auto strategy and tile rule); the exact search plugs in at the same option.",
    });
  }
  checkModelFlags(flags, io);
  const graph = loadModel({ file: model, example: flags.example, seq: flags.seq });
  const hw = loadHardware(flags.hw);
  const source = model ?? `example:${flags.example ?? "mlp"}`;
  const tty = process.stderr.isTTY && flags.json !== true;
  const bar = tty ? new cliProgress.SingleBar({ format: "analysing [{bar}] {percentage}% | {eta}s", clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(1000, 0);
  try {
    return analyzeGraph(graph, hw, {
      model: { name: graph.name, source },
      ...(flags.seq === undefined || flags.example !== "bert-layer" ? {} : { seq: flags.seq }),
      mapper: { name: "rule", rule: ruleMapping },
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
  const a = runAnalysis(model, flags, io);
  const files = flags.out === undefined ? undefined : await writeAnalysisFiles(a, flags.out, flags.hw);
  if (flags.json === true) {
    io.stdout(toJsonText(a));
    return a;
  }
  io.stdout(layerTable(a.layers, width));
  io.stdout(totalsText(a));
  if (a.layers.some((l) => l.unit === "fabric")) io.stdout(`mapping: ${a.layers.find((l) => l.unit === "fabric")!.mapping.source} (kpu's auto strategy per GEMM: least DRAM traffic of WS, IS, OS; per-strategy tiles)\n`);
  if (files !== undefined) io.stdout(`wrote ${files.json}, ${files.csv}, ${files.timeSvg}, ${files.rooflineSvg}\n`);
  return a;
}

export function registerAnalyze(program: Command, io: CliIo): void {
  program
    .command("analyze [model]")
    .description("per-layer account of a network on a KPU: op, shapes, MACs, mapping, cycles, utilisation, bytes per level, energy, bound; totals")
    .option("--example <name>", "a built-in example instead of a model file (mlp, bert-layer)")
    .option("--seq <S>", "sequence length of --example bert-layer", positiveInt("--seq"))
    .option("--batch <B>", "batch size (models the loader can shape)", positiveInt("--batch"))
    .option("--phase <phase>", "LLM phase: prefill or decode (models the loader can shape)", oneOf("--phase", PHASES))
    .option("--context <C>", "decode: tokens in the KV cache", positiveInt("--context"))
    .option("--hw <preset|file>", "hardware preset (minimal, edge-ai, datacenter) or JSON/YAML file", "edge-ai")
    .option("--mapper <rule|exact>", "how GEMM layers are mapped: rule (kpu's auto strategy and tile rule) or exact (the mapper's search)", oneOf("--mapper", MAPPERS), "rule")
    .option("--out <dir>", "write analysis.json, layers.csv, time-by-layer.svg and roofline.svg here")
    .option("--json", "machine-readable output (kind kpu.analysis)")
    .action(async (model: string | undefined, flags: AnalyzeFlags) => {
      await analyzeCommand(model, flags, io);
    });
}
