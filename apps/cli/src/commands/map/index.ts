import { availableParallelism } from "node:os";
import { Option, type Command } from "commander";
import { KpuError, mappingToJson } from "@kpu/ir";
import { OBJECTIVES, mapGemm, type MapResult, type MappedPoint, type NetworkMapResult, type Objective } from "@kpu/mapper";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { EXAMPLE_NAMES, loadNetwork, networkFlagWarnings } from "../../util/model.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";
import { PHASES } from "@kpu/models";
import { loadHardware } from "../hw/index.js";
import { mapGraph, networkSummary } from "./network.js";

export interface MapFlags {
  readonly hw: string;
  /** A network instead of one GEMM: a built-in example, with the sizes `kpu analyze` takes. */
  readonly example?: string;
  readonly seq?: number;
  readonly phase?: (typeof PHASES)[number];
  readonly context?: number;
  readonly allowUnsupported?: boolean;
  readonly m?: number;
  readonly n?: number;
  readonly k?: number;
  readonly batch?: number;
  readonly objective: Objective;
  readonly threads?: number;
  /** Write the best mapping as kpu.mapping JSON (for `kpu sim --mapping`). */
  readonly emitMapping?: string;
  readonly json?: boolean;
}

function required(flags: MapFlags): { m: number; n: number; k: number } {
  for (const key of ["m", "n", "k"] as const) {
    if (flags[key] === undefined) throw new KpuError("KPU_USAGE", `--${key} is required`, { where: `--${key}`, hint: "Pass the GEMM shape, e.g. --m 1024 --n 1024 --k 1024." });
  }
  return { m: flags.m!, n: flags.n!, k: flags.k! };
}

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function row(label: string, p: MappedPoint): (string | number)[] {
  const l = p.mapping.levels;
  const t = l.l1.tile;
  return [
    label,
    `${t.m}x${t.n}x${t.k}`,
    l.l1.order,
    p.mapping.fabric.dataflow,
    `${l.l3.buffers}/${l.l2.buffers}/${l.l1.buffers}`,
    `${p.mapping.grid.rows}x${p.mapping.grid.cols}`,
    Math.round(p.cycles),
    Number((p.energyPj / 1e6).toFixed(3)),
    Math.round(p.dramBytes),
    p.analyticTraffic ? "closed form" : "engine",
  ];
}

/** The human summary: best and runner-up, the bounds and gaps, the search's counts. */
export function mapSummary(r: MapResult): string {
  const s = r.shape;
  const head = `${r.hardware}: ${s.m}x${s.n}x${s.k}${s.batch > 1 ? ` x${s.batch}` : ""}, objective ${r.objective}\n`;
  const table = renderTable(
    ["", "tile", "order", "dataflow", "buffers l3/l2/l1", "grid", "cycles", "energy uJ", "DRAM bytes", "traffic"],
    [row("best", r.best), ...(r.runnerUp === null ? [] : [row("runner-up", r.runnerUp)])],
  );
  const bounds =
    `bounds: DRAM ${int(r.lowerBoundDramBytes)} bytes (gap ${pct(r.gaps.dram)}), compute ${int(r.computeBoundCycles)} cycles (gap ${pct(r.gaps.cycles)})\n` +
    `searched: ${int(r.evaluated)} mappings costed, ${int(r.pruned)} pruned, ${int(r.engineRuns)} hierarchy-engine runs, ${r.threads} thread(s), ${r.seconds.toFixed(2)} s\n`;
  return head + table + bounds;
}

/** `kpu map <model> --json`: the network's mapping, with the model it came from. */
export interface NetworkMapJson extends NetworkMapResult {
  readonly model: { readonly name: string; readonly source: string };
}

/** `kpu map <model> | --example NAME`: the exact mapper for every fabric layer of a network. */
export async function mapNetworkCommand(model: string | undefined, flags: MapFlags, io: CliIo, width = process.stdout.columns || 120): Promise<NetworkMapJson> {
  for (const key of ["m", "n", "k"] as const) {
    if (flags[key] !== undefined) throw new KpuError("KPU_USAGE", `--${key} was given with a network`, { where: `--${key}`, hint: "Map one GEMM with --m --n --k, or a network with a model file or --example NAME, not both." });
  }
  if (flags.emitMapping !== undefined) {
    throw new KpuError("KPU_USAGE", "--emit-mapping writes one GEMM's mapping; a network has one per layer", { where: "--emit-mapping", hint: "Use --json: every layer's best.mapping is a kpu.mapping document." });
  }
  const source = { file: model, example: flags.example, seq: flags.seq, batch: flags.batch, phase: flags.phase, context: flags.context, allowUnsupported: flags.allowUnsupported };
  for (const w of networkFlagWarnings(source)) warn(io, w);
  const graph = loadNetwork(source);
  const hardware = loadHardware(flags.hw);
  const result = await mapGraph(graph, hardware, { objective: flags.objective, threads: flags.threads, progress: process.stderr.isTTY && flags.json !== true });
  const out: NetworkMapJson = { model: { name: graph.name, source: model ?? `example:${flags.example ?? "mlp"}` }, ...result };
  io.stdout(flags.json === true ? toJsonText(out) : networkSummary(result, graph.name, width));
  return out;
}

/** `kpu map`: the exact mapper for one GEMM (or a batch of one shape), or for every layer of a network. */
export async function mapCommand(flags: MapFlags, io: CliIo, model?: string): Promise<MapResult | NetworkMapJson> {
  const cores = availableParallelism();
  if (flags.threads !== undefined && flags.threads > cores) warn(io, `--threads ${flags.threads} is more than the ${cores} cores of this host; the answer is the same, only slower`);
  if (model !== undefined || flags.example !== undefined) return mapNetworkCommand(model, flags, io);
  for (const key of ["seq", "phase", "context"] as const) {
    if (flags[key] !== undefined) throw new KpuError("KPU_USAGE", `--${key} sizes a network, and none was given`, { where: `--${key}`, hint: "Pass a model file or --example NAME, or drop the flag." });
  }
  if (flags.m === undefined && flags.n === undefined && flags.k === undefined) {
    throw new KpuError("KPU_USAGE", "nothing to map: give a GEMM or a network", { where: "--m", hint: "Pass --m M --n N --k K for one GEMM, or a model file or --example NAME for a network." });
  }
  const shape = required(flags);
  const hardware = loadHardware(flags.hw);
  const result = await mapGemm({ ...shape, ...(flags.batch === undefined ? {} : { batch: flags.batch }) }, hardware, {
    objective: flags.objective,
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
  });
  if (flags.emitMapping !== undefined) writeFileAtomic(flags.emitMapping, toJsonText(mappingToJson(result.best.mapping)), "--emit-mapping");
  io.stdout(flags.json === true ? toJsonText(result) : mapSummary(result));
  return result;
}

export function registerMap(program: Command, io: CliIo): void {
  program
    .command("map [model]")
    .description("the exact mapper: the best kpu.mapping of a GEMM, or of every layer of a network, for an objective, with the runner-up, bounds and gaps")
    .option("--hw <preset|file>", "hardware preset (minimal, edge-ai, datacenter) or JSON/YAML file", "edge-ai")
    .option("--example <name>", `a built-in network instead of a model file (${EXAMPLE_NAMES.join(", ")})`)
    .option("--seq <S>", "networks: tokens per sequence for transformers (default 128)", positiveInt("--seq"))
    .option("--phase <phase>", "networks: decoders' prefill (the prompt at once) or decode (one token against a KV cache)", oneOf("--phase", PHASES))
    .option("--context <C>", "networks: decode's tokens in the KV cache", positiveInt("--context"))
    .option("--allow-unsupported", "ONNX: keep going past unsupported nodes (they have no fabric layer to map)")
    .option("--m <M>", "rows of A and C (required)", positiveInt("--m"))
    .option("--n <N>", "columns of B and C (required)", positiveInt("--n"))
    .option("--k <K>", "the reduction dimension (required)", positiveInt("--k"))
    .option("--batch <B>", "independent GEMMs of this shape, one after another; for a network, images or sequences per inference (default 1)", positiveInt("--batch", 1 << 24))
    .addOption(new Option("--objective <o>", "what to minimise: latency (cycles), energy (pJ), edp (energy x cycles), dram (bytes)").choices(OBJECTIVES).default("latency"))
    .option("--threads <n>", "worker threads (default: every core; the answer does not depend on it)", positiveInt("--threads", 1024))
    .option("--emit-mapping <file>", "write the best mapping as kpu.mapping JSON (for kpu sim --mapping)")
    .option("--json", "machine-readable output")
    .action(async (model: string | undefined, flags: MapFlags) => {
      await mapCommand(flags, io, model);
    });
}
