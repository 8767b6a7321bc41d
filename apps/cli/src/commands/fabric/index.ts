import { Option, type Command } from "commander";
import { KpuError } from "@kpu/ir";
import {
  DATAFLOWS,
  fabricTiming,
  fabricTrace,
  parseScaleSimConfig,
  parseScaleSimTopology,
  scaleSimGemm,
  scaleSimTopology,
  type Dataflow,
  type FabricGemm,
  type ScaleSimTopologyFormat,
} from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { readTextFile } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { scaleSimGemmCommand, scaleSimTopologyCommand } from "./scale-sim.js";

/** Which fabric model answers: ours (`kpu`, the default) or SCALE-Sim v2's stall-free one (`scale-sim`). */
export const FABRIC_MODELS = ["kpu", "scale-sim"] as const;
export type FabricModel = (typeof FABRIC_MODELS)[number];

export interface FabricFlags {
  readonly rows?: number;
  readonly cols?: number;
  /** Defaults to os for a single GEMM. */
  readonly dataflow?: Dataflow;
  readonly m?: number;
  readonly n?: number;
  readonly k?: number;
  /** Defaults to kpu. */
  readonly model?: FabricModel;
  /** A SCALE-Sim .cfg and topology CSV: run every layer with the cfg's array and dataflow (SCALE-Sim model). */
  readonly scaleSimConfig?: string;
  readonly topology?: string;
  readonly topologyFormat?: ScaleSimTopologyFormat;
  readonly trace?: boolean;
  readonly json?: boolean;
}

function usage(where: string, message: string, hint: string): KpuError {
  return new KpuError("KPU_USAGE", message, { where, hint });
}

const GEMM_FLAGS = ["rows", "cols", "m", "n", "k"] as const;

/** The single GEMM the flags describe; every size flag is required outside topology mode. */
function gemmFromFlags(flags: FabricFlags): FabricGemm {
  for (const key of GEMM_FLAGS) {
    if (flags[key] === undefined) {
      throw usage(`--${key}`, `--${key} is required`, "Pass --rows R --cols C --m M --n N --k K, or --scale-sim-config a.cfg --topology t.csv.");
    }
  }
  const { rows, cols, m, n, k } = flags as Required<Pick<FabricFlags, (typeof GEMM_FLAGS)[number]>>;
  return { rows, cols, dataflow: flags.dataflow ?? "os", m, n, k };
}

/** Topology mode takes the array from the cfg and the GEMMs from the topology, so the per-GEMM flags would conflict. */
function checkTopologyFlags(flags: FabricFlags): { config: string; topology: string } {
  if (flags.scaleSimConfig === undefined) throw usage("--topology", "--topology needs --scale-sim-config", "Pass the SCALE-Sim .cfg with --scale-sim-config a.cfg.");
  if (flags.topology === undefined) throw usage("--scale-sim-config", "--scale-sim-config needs --topology", "Pass the layers with --topology t.csv.");
  if (flags.model === "kpu") throw usage("--model", "a SCALE-Sim cfg runs the scale-sim model", "Drop --model kpu, or pass --rows/--cols/--m/--n/--k instead of a cfg.");
  for (const key of [...GEMM_FLAGS, "dataflow", "trace"] as const) {
    if (flags[key] !== undefined) {
      throw usage(`--${key}`, `--${key} does not apply with --scale-sim-config`, "The cfg gives the array and dataflow and the topology the GEMMs; drop the flag.");
    }
  }
  return { config: flags.scaleSimConfig, topology: flags.topology };
}

/**
 * `kpu fabric`: the systolic array alone, stall-free. `--model kpu` (default) is our per-fold model; `--model scale-sim`
 * and `--scale-sim-config` reproduce SCALE-Sim v2's numbers.
 */
export function fabricCommand(flags: FabricFlags, io: CliIo): void {
  if (flags.scaleSimConfig !== undefined || flags.topology !== undefined) {
    const files = checkTopologyFlags(flags);
    const config = parseScaleSimConfig(readTextFile(files.config), files.config);
    const topology = parseScaleSimTopology(readTextFile(files.topology), files.topology, flags.topologyFormat);
    scaleSimTopologyCommand({ config, configFile: files.config, topology, topologyFile: files.topology, run: scaleSimTopology(config, topology.layers) }, flags, io);
    return;
  }
  if (flags.topologyFormat !== undefined) throw usage("--topology-format", "--topology-format needs --topology", "Pass --scale-sim-config a.cfg --topology t.csv.");
  const gemm = gemmFromFlags(flags);
  if ((flags.model ?? "kpu") === "scale-sim") {
    if (flags.trace === true) throw usage("--trace", "--trace is only for --model kpu", "Drop --trace, or use --model kpu for the injection trace.");
    scaleSimGemmCommand(scaleSimGemm(gemm), flags, io);
    return;
  }
  kpuFabricCommand(gemm, flags, io);
}

/** Our model: cycles with fill and drain per fold over the used rows and columns, SRAM traffic in elements. */
function kpuFabricCommand(gemm: FabricGemm, flags: FabricFlags, io: CliIo): void {
  const t = fabricTiming(gemm);
  const trace = flags.trace === true ? fabricTrace(gemm) : undefined;
  if (flags.json === true) {
    io.stdout(toJsonText({ ...t, ...(trace === undefined ? {} : { trace }) }));
    return;
  }
  io.stdout(
    `${t.m}x${t.n}x${t.k} GEMM on a ${t.rows}x${t.cols} ${t.dataflow.toUpperCase()} array: ` +
      `${t.folds} folds (${t.rowFolds} x ${t.colFolds}), ${t.cycles.toLocaleString("en-US")} cycles, ` +
      `${(t.utilisation * 100).toFixed(1)}% of peak MACs\n`,
  );
  io.stdout(
    renderTable(
      ["SRAM traffic (elements)", "count"],
      [
        ["reads A", t.sramReadsA],
        ["reads B", t.sramReadsB],
        ["reads C (partial sums)", t.sramReadsC],
        ["writes C", t.sramWritesC],
      ],
    ),
  );
  if (trace !== undefined) {
    const lines = ["cycle  fold  operand  element      port"];
    for (const e of trace) {
      lines.push(
        `${String(e.cycle).padStart(5)}  ${String(e.fold).padStart(4)}  ${e.operand}${e.phase === "preload" ? " (pre)" : "      "}  ` +
          `${`[${e.row},${e.col}]`.padEnd(11)}  ${e.port} ${e.portIndex}`,
      );
    }
    io.stdout(`${lines.join("\n")}\n`);
  }
}

export function registerFabric(program: Command, io: CliIo): void {
  program
    .command("fabric")
    .description("the systolic fabric alone, stall-free: cycles with fill and drain per fold, SRAM reads and writes")
    .addOption(new Option("--model <model>", "kpu (our model, default) or scale-sim (SCALE-Sim v2's stall-free numbers)").choices(FABRIC_MODELS))
    .option("--rows <R>", "array rows", positiveInt("--rows", 4096))
    .option("--cols <C>", "array columns", positiveInt("--cols", 4096))
    .addOption(new Option("--dataflow <df>", "which operand stays in the PEs (default: os)").choices(DATAFLOWS))
    .option("--m <M>", "rows of A and C", positiveInt("--m"))
    .option("--n <N>", "columns of B and C", positiveInt("--n"))
    .option("--k <K>", "the reduction dimension", positiveInt("--k"))
    .option("--scale-sim-config <file>", "a SCALE-Sim .cfg: run every layer of --topology on its array and dataflow")
    .option("--topology <file>", "a SCALE-Sim topology CSV (GEMM `Layer, M, N, K,` or convolution format)")
    .addOption(new Option("--topology-format <format>", "the topology's format (default: from its header)").choices(["gemm", "conv"]))
    .option("--trace", "per-cycle trace of which operand element enters which row or column (small cases, --model kpu)")
    .option("--json", "machine-readable output (cycles, sramReadsA, sramReadsB, sramWritesC; per layer and totals for a topology)")
    .action((flags: FabricFlags) => {
      fabricCommand(flags, io);
    });
}
