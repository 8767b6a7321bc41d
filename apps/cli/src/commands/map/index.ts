import { availableParallelism } from "node:os";
import { Option, type Command } from "commander";
import { KpuError, mappingToJson } from "@kpu/ir";
import { OBJECTIVES, mapGemm, type MapResult, type MappedPoint, type Objective } from "@kpu/mapper";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";
import { loadHardware } from "../hw/index.js";

export interface MapFlags {
  readonly hw: string;
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

/** `kpu map`: the exact mapper for one GEMM (or a batch of one shape). */
export async function mapCommand(flags: MapFlags, io: CliIo): Promise<MapResult> {
  const shape = required(flags);
  const hardware = loadHardware(flags.hw);
  const cores = availableParallelism();
  if (flags.threads !== undefined && flags.threads > cores) warn(io, `--threads ${flags.threads} is more than the ${cores} cores of this host; the answer is the same, only slower`);
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
    .command("map")
    .description("the exact mapper: the best kpu.mapping of a GEMM for an objective, with the runner-up, bounds and gaps")
    .option("--hw <preset|file>", "hardware preset (minimal, edge-ai, datacenter) or JSON/YAML file", "edge-ai")
    .option("--m <M>", "rows of A and C (required)", positiveInt("--m"))
    .option("--n <N>", "columns of B and C (required)", positiveInt("--n"))
    .option("--k <K>", "the reduction dimension (required)", positiveInt("--k"))
    .option("--batch <B>", "independent GEMMs of this shape, one after another (default 1)", positiveInt("--batch", 1 << 24))
    .addOption(new Option("--objective <o>", "what to minimise: latency (cycles), energy (pJ), edp (energy x cycles), dram (bytes)").choices(OBJECTIVES).default("latency"))
    .option("--threads <n>", "worker threads (default: every core; the answer does not depend on it)", positiveInt("--threads", 1024))
    .option("--emit-mapping <file>", "write the best mapping as kpu.mapping JSON (for kpu sim --mapping)")
    .option("--json", "machine-readable output")
    .action(async (flags: MapFlags) => {
      await mapCommand(flags, io);
    });
}
