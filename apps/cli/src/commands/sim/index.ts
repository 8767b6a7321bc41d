import { basename, extname } from "node:path";
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { KpuError, SCHEDULE_SCHEMA_VERSION, STRATEGIES, mappingToJson, mlpExample, parseMapping, type Schedule, type TileShape } from "@kpu/ir";
import {
  DATAFLOWS,
  LEVELS,
  buildMapping,
  ganttAscii,
  ganttChart,
  ganttSvg,
  simulateMatmul,
  simulateSchedule,
  simTrace,
  type BufferDepths,
  type Dataflow,
  type LevelName,
  type SimReport,
  type SimRun,
  type Strategy,
} from "@kpu/kpu-model";
import { simRunHtml } from "@kpu/report";
import { TILE_RULES, parseTiles, type TileRule } from "@kpu/scheduler";
import type { CliIo } from "../../main.js";
import { readTextFile, writeFileAtomic } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { loadHardware } from "../hw/index.js";

/** Flags shared by `kpu sim` and `kpu timing`. */
export interface MatmulSimFlags {
  readonly hw: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly strategy: Strategy;
  readonly tiles?: { m: number; n: number; k: number };
  readonly tileRule?: TileRule;
  readonly buffers?: number | Partial<BufferDepths>;
  readonly dataflow?: Dataflow;
  /** A `kpu.mapping` file instead of --strategy/--tiles/--buffers/--dataflow. */
  readonly mapping?: string;
  /** Write the mapping that was simulated (built from the flags, or read) to this file. */
  readonly emitMapping?: string;
  /** commander's `--no-multicast` sets this to false. */
  readonly multicast?: boolean;
  /** Idealisations for checking bounds: no compute time, no latency, transfers out of these levels (or all) free. */
  readonly zeroCompute?: boolean;
  readonly zeroLatency?: boolean;
  readonly unlimitedBandwidth?: true | string;
  readonly json?: boolean;
}

export interface SimFlags extends MatmulSimFlags {
  /** A memory-planner schedule (`kpu compile ... --emit schedule --out s.json`) instead of --m/--n/--k. */
  readonly schedule?: string;
  readonly gantt?: string;
  readonly ganttBars?: number;
  /** Write the timeline in the Trace Event Format (Perfetto, chrome://tracing). */
  readonly trace?: string;
  /** Which compute tiles the trace holds: every tile of the grid (default), or the first (the largest block) alone. */
  readonly traceTiles?: (typeof TRACE_TILES)[number];
  readonly ascii?: boolean;
}

export const TRACE_TILES = ["all", "first"] as const;

/** `--tiles Ti,Tj,Tk` (as @kpu/scheduler writes them). */
export function tilesFlag(text: string): TileShape {
  return parseTiles(text, "--tiles");
}

/** `--buffers 2` for every level, or per level: `--buffers l1=2,l2=2,l3=1`. */
export function buffersFlag(text: string): number | Partial<BufferDepths> {
  const bad = (): never => {
    throw new KpuError("KPU_BAD_FLAG", `"${text}" is not a buffering depth`, {
      where: "--buffers",
      hint: "Pass 1 (none), 2 (double buffering) or per level: --buffers l1=2,l2=2,l3=1.",
    });
  };
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^\s*(l1|l2|l3)\s*=\s*(\d+)\s*$/.exec(part);
    if (m === null) return bad();
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Reads a `kpu.schedule` JSON file (as written by `kpu compile --emit schedule`). */
export function readScheduleFile(path: string): Schedule {
  let doc: unknown;
  try {
    doc = JSON.parse(readTextFile(path));
  } catch (cause) {
    if (cause instanceof KpuError) throw cause;
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: path, hint: "Pass a file written by `kpu compile ... --emit schedule --out file`." });
  }
  const d = doc as { kind?: unknown; schemaVersion?: unknown; ops?: unknown; sramBytes?: unknown } | null;
  if (d === null || d.kind !== "kpu.schedule" || d.schemaVersion !== SCHEDULE_SCHEMA_VERSION || !Array.isArray(d.ops) || typeof d.sramBytes !== "number") {
    throw new KpuError("KPU_SCHEMA", `is not a kpu.schedule v${SCHEDULE_SCHEMA_VERSION} document`, {
      where: path,
      hint: "Pass a file written by `kpu compile ... --emit schedule --out file`.",
    });
  }
  return doc as Schedule;
}

function required(flags: MatmulSimFlags): void {
  for (const key of ["m", "n", "k"] as const) {
    if ((flags as Partial<MatmulSimFlags>)[key] === undefined) {
      throw new KpuError("KPU_USAGE", `--${key} is required`, { where: `--${key}`, hint: "Pass the matmul shape, e.g. --m 1024 --n 1024 --k 1024." });
    }
  }
}

function unlimitedLevels(value: true | string | undefined): boolean | LevelName[] {
  if (value === undefined) return false;
  if (value === true) return true;
  const levels = value.split(",").map((x) => x.trim());
  for (const l of levels) {
    if (!(LEVELS as readonly string[]).includes(l)) {
      throw new KpuError("KPU_BAD_FLAG", `"${l}" is not a memory level`, { where: "--unlimited-bandwidth", hint: `Use a comma-separated subset of ${LEVELS.join(", ")}, or no value for all.` });
    }
  }
  return levels as LevelName[];
}

/** The flags a `--mapping` file replaces (its levels' tiles, orders and depths, and its fabric's dataflow). */
const MAPPING_REPLACES = [
  ["strategy", "--strategy"],
  ["tiles", "--tiles"],
  ["tileRule", "--tile-rule"],
  ["buffers", "--buffers"],
  ["dataflow", "--dataflow"],
] as const;

/**
 * Refuses flag combinations that would otherwise be ignored without a word: a flag the `--mapping` file replaces,
 * and `--mapping` or `--emit-mapping` with `--schedule` (a memory-planner schedule has no mapping).
 */
export function checkMappingFlags(flags: MatmulSimFlags & { readonly schedule?: string }, command: Command): void {
  if (flags.schedule !== undefined) {
    for (const [value, flag] of [[flags.mapping, "--mapping"], [flags.emitMapping, "--emit-mapping"]] as const) {
      if (value === undefined) continue;
      throw new KpuError("KPU_USAGE", `${flag} does not apply to --schedule (a memory-planner schedule has no kpu.mapping)`, {
        where: flag,
        hint: "Use --mapping/--emit-mapping with --m/--n/--k, or drop them with --schedule.",
      });
    }
  }
  if (flags.mapping === undefined) return;
  for (const [key, flag] of MAPPING_REPLACES) {
    if (command.getOptionValueSource(key) !== "cli") continue;
    throw new KpuError("KPU_USAGE", `${flag} is set by the mapping file ${flags.mapping}`, {
      where: flag,
      hint: "Edit the mapping file (levels.<level>.tile, order and buffers; fabric.dataflow), or drop --mapping to build one from the flags.",
    });
  }
}

/** Runs the simulation with a progress bar on an interactive terminal (never with --json). */
export function runSimulation(flags: MatmulSimFlags & { readonly schedule?: string; readonly trace?: string; readonly traceTiles?: (typeof TRACE_TILES)[number] }): SimRun {
  const hardware = loadHardware(flags.hw);
  if (flags.schedule === undefined) required(flags);
  const tty = process.stderr.isTTY && flags.json !== true;
  const bar = tty ? new cliProgress.SingleBar({ format: "simulating [{bar}] {percentage}% | {eta}s", clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  const progress = { started: false };
  const ideal = {
    unlimitedBandwidth: unlimitedLevels(flags.unlimitedBandwidth),
    zeroLatency: flags.zeroLatency === true,
    zeroCompute: flags.zeroCompute === true,
  };
  const onProgress = (f: number) => {
    if (bar === undefined) return;
    if (!progress.started) {
      bar.start(1000, 0);
      progress.started = true;
    }
    bar.update(Math.round(f * 1000));
  };
  try {
    if (flags.schedule !== undefined) {
      return simulateSchedule({
        hardware,
        schedule: readScheduleFile(flags.schedule),
        ...ideal,
        ...(flags.buffers === undefined ? {} : { buffers: flags.buffers }),
        ...(flags.dataflow === undefined ? {} : { dataflow: flags.dataflow }),
        onProgress,
      });
    }
    const problem = { m: flags.m, n: flags.n, k: flags.k };
    const read = flags.mapping === undefined ? undefined : parseMapping(readTextFile(flags.mapping), flags.mapping);
    const mapping =
      read !== undefined
        ? flags.multicast === false
          ? { ...read, grid: { ...read.grid, multicast: false } }
          : read
        : buildMapping(hardware, problem, {
            strategy: flags.strategy,
            ...(flags.tiles === undefined ? {} : { tiles: flags.tiles }),
            ...(flags.tileRule === undefined ? {} : { tileRule: flags.tileRule }),
            ...(flags.buffers === undefined ? {} : { buffers: flags.buffers }),
            ...(flags.dataflow === undefined ? {} : { dataflow: flags.dataflow }),
            ...(flags.multicast === undefined ? {} : { multicast: flags.multicast }),
          });
    // a trace has one process per compute tile, each from its own block's simulation
    const everyBlock = flags.trace !== undefined && flags.traceTiles !== "first";
    const run = simulateMatmul({ hardware, ...problem, mapping, ...ideal, onProgress, everyBlock, ...(flags.mapping === undefined ? {} : { mappingSource: flags.mapping }) });
    // written once the mapping was simulated: a mapping the hardware refuses is never left behind
    if (flags.emitMapping !== undefined) writeFileAtomic(flags.emitMapping, toJsonText(mappingToJson(mapping)), "--emit-mapping");
    return run;
  } finally {
    if (progress.started) bar?.stop();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const int = (x: number) => Math.round(x).toLocaleString("en-US");

/** The human timing summary of a simulation. */
export function simSummary(r: SimReport): string {
  const b = r.buffers;
  const shares = r.shares.map((s) => `${s.m}x${s.n}x${s.k} x${s.count}`).join(", ");
  const what = r.source === "schedule" ? `schedule (loop order ${r.strategy}, largest matmul ${r.m}x${r.n}x${r.k})` : `${r.m}x${r.n}x${r.k} ${r.strategy.toUpperCase()}`;
  const head =
    `${r.hardware}: ${what} (fabric ${r.dataflow.toUpperCase()}), tiles ${r.tiles.m}x${r.tiles.n}x${r.tiles.k}, ` +
    `buffers l3=${b.l3} l2=${b.l2} l1=${b.l1}, ${r.activeComputeTiles} compute tile(s)${shares === "" ? "" : `: ${shares}`}\n` +
    `total ${int(r.totalCycles)} fabric cycles = ${(r.timeNs / 1000).toFixed(2)} us; fabric ${pct(r.fabricUtilisation)} busy, ` +
    `MACs at ${pct(r.macUtilisation)} of peak\n` +
    `bounds: fabric alone ${int(r.fabricCycles)} cycles; slowest mover ${r.slowestMover} ${int(r.dataMovementBoundCycles)} cycles\n`;
  const resources = renderTable(
    ["resource", "MHz", "tasks", "busy cyc", "stall data", "stall credit", "idle", "busy"],
    r.resources.map((x) => [x.resource, x.clockMhz, x.tasks, Math.round(x.busyCycles), Math.round(x.stalledDataCycles), Math.round(x.stalledCreditCycles), Math.round(x.idleCycles), pct(x.busyFraction)]),
  );
  const levels = renderTable(
    ["level", "read bytes", "write bytes", "GB/s", "peak GB/s", "energy uJ"],
    r.levels.map((l) => [l.level, l.readBytes, l.writeBytes, Number(l.achievedGBps.toFixed(2)), Number(l.peakGBps.toFixed(1)), Number((l.energyPj / 1e6).toFixed(3))]),
  );
  const e = r.energyPj;
  return `${head}${resources}${levels}energy ${(e.total / 1e6).toFixed(3)} uJ (MACs ${(e.macs / 1e6).toFixed(3)} uJ, DRAM ${(e.dram / 1e6).toFixed(3)} uJ)\n`;
}

const GANTT_FORMATS = [".svg", ".html", ".txt"] as const;

/** Writes a Gantt chart; the format follows the extension (.svg, .html, .txt for ASCII). */
export function writeGantt(run: SimRun, path: string, maxBars?: number, flag = "--gantt"): number {
  const ext = extname(path).toLowerCase();
  if (!(GANTT_FORMATS as readonly string[]).includes(ext)) {
    throw new KpuError("KPU_BAD_FLAG", `"${path}" has no Gantt format extension`, {
      where: "--gantt",
      hint: "End the file name in .svg, .html (hover and zoom) or .txt (ASCII).",
    });
  }
  if (ext === ".html") {
    // the interactive page of `kpu report`: zoom, pan, tile search, aggregation of bars narrower than a pixel
    const html = simRunHtml(run, { title: `kpu simulation: ${run.report.hardware} ${run.report.m}x${run.report.n}x${run.report.k}`, source: basename(path), where: flag, ...(maxBars === undefined ? {} : { maxTasks: maxBars }) });
    writeFileAtomic(path, html, flag);
    return Math.min(run.plan.program.n, maxBars ?? run.plan.program.n);
  }
  const chart = ganttChart(run, maxBars === undefined ? {} : { maxBars });
  writeFileAtomic(path, ext === ".svg" ? ganttSvg(chart) : ganttAscii(chart, { width: 160 }), flag);
  return chart.bars.length;
}

/** `kpu sim`: the event-driven simulation of DMA engine, block mover, streamer and fabric. */
export function simCommand(flags: SimFlags, io: CliIo): SimReport {
  const run = runSimulation(flags);
  const bars = flags.gantt === undefined ? 0 : writeGantt(run, flags.gantt, flags.ganttBars);
  const trace = flags.trace === undefined ? undefined : simTrace(run, { tiles: flags.traceTiles ?? "all" });
  if (flags.trace !== undefined) writeFileAtomic(flags.trace, JSON.stringify(trace), "--trace");
  if (flags.json === true) {
    const files = { ...(flags.gantt === undefined ? {} : { gantt: flags.gantt }), ...(flags.trace === undefined ? {} : { trace: flags.trace }) };
    io.stdout(toJsonText({ ...run.report, ...files }));
    return run.report;
  }
  io.stdout(simSummary(run.report));
  if (flags.ascii === true) io.stdout(ganttAscii(ganttChart(run, { maxBars: flags.ganttBars ?? 200 }), { width: 100 }));
  if (flags.gantt !== undefined) io.stdout(`wrote a Gantt chart of ${bars} tasks to ${flags.gantt}\n`);
  if (trace !== undefined) {
    const tiles = trace.otherData.tiles.length;
    const tasks = trace.traceEvents.filter((e) => e.ph === "X" && e.cat !== "stall").length;
    io.stdout(`wrote a trace of ${tasks} tasks on ${tiles} compute tile(s) to ${flags.trace} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
  }
  return run.report;
}

/**
 * The timing part of `kpu demo`: the default example's three matmuls (the seed MLP, 32x32x32 tiles) on `edge-ai`
 * with double buffering, one summary row each, and a Gantt chart of the first one written to `ganttPath`.
 */
export function simDemo(io: CliIo, options: { readonly ganttPath?: string; readonly hw?: string } = {}): SimReport[] {
  const graph = mlpExample();
  const shape = (name: string) => graph.tensors.find((t) => t.name === name)!.shape;
  const hw = options.hw ?? "edge-ai";
  const reports: SimReport[] = [];
  const rows: (string | number)[][] = [];
  for (const op of graph.ops) {
    if (op.kind !== "matmul") continue;
    const [m, k] = shape(op.inputs[0]!) as [number, number];
    const n = shape(op.inputs[1]!)[1]!;
    const run = runSimulation({ hw, m, n, k, strategy: "os", tiles: { m: 32, n: 32, k: 32 }, buffers: 2 });
    const r = run.report;
    if (reports.length === 0 && options.ganttPath !== undefined) writeGantt(run, options.ganttPath, undefined, "--out");
    reports.push(r);
    rows.push([op.id, `${m}x${n}x${k}`, Math.round(r.totalCycles), Number((r.timeNs / 1000).toFixed(3)), pct(r.fabricUtilisation), r.slowestMover, Number((r.energyPj.total / 1e6).toFixed(3))]);
  }
  io.stdout(`timing on ${hw} (OS, 32x32x32 tiles, double buffering):\n`);
  io.stdout(renderTable(["op", "MxNxK", "cycles", "us", "fabric busy", "slowest mover", "energy uJ"], rows));
  if (options.ganttPath !== undefined) io.stdout(`wrote a Gantt chart of ${graph.ops.find((o) => o.kind === "matmul")!.id} to ${options.ganttPath}\n`);
  return reports;
}

/** Options shared by `kpu sim` and `kpu timing`. */
export function addMatmulSimFlags(command: Command): Command {
  return command
    .option("--hw <preset|file>", "hardware preset (minimal, edge-ai, datacenter) or JSON/YAML file", "edge-ai")
    .option("--m <M>", "rows of A and C (required)", positiveInt("--m"))
    .option("--n <N>", "columns of B and C (required)", positiveInt("--n"))
    .option("--k <K>", "the reduction dimension (required)", positiveInt("--k"))
    .addOption(new Option("--strategy <s>", "tile loop order: ws = k,m,n; is = k,n,m; os = m,n,k").choices(STRATEGIES).default("os"))
    .option("--tiles <Ti,Tj,Tk>", "tile sizes (default: the tile rule sized so every level holds its buffered tile sets)", tilesFlag)
    .addOption(new Option("--tile-rule <rule>", "@kpu/scheduler's tile rule when --tiles is not given").choices(TILE_RULES).default("kpu-sim"))
    .option("--buffers <n|l1=n,l2=n,l3=n>", "buffering depth per level: 1 none, 2 double buffering (default 2)", buffersFlag)
    .addOption(new Option("--dataflow <df>", "the fabric's dataflow (default: the hardware's)").choices(DATAFLOWS))
    .option("--mapping <file>", "a kpu.mapping JSON file (tiles, loop order, buffers and policy per level, grid, fold) instead of --strategy, --tiles, --tile-rule, --buffers and --dataflow")
    .option("--emit-mapping <file>", "write the mapping that was simulated as kpu.mapping JSON")
    .option("--no-multicast", "each compute tile reads its own operand stripes (default: a grid row shares A, a column B; also overrides a --mapping file's grid.multicast)")
    .option("--zero-compute", "idealisation: compute steps take no time (the data-movement bound)")
    .option("--zero-latency", "idealisation: no latency at any level")
    .option("--unlimited-bandwidth [levels]", "idealisation: transfers out of these levels (dram,l3,l2,l1; default all) take no time")
    .option("--json", "machine-readable output");
}

export function registerSim(program: Command, io: CliIo): void {
  addMatmulSimFlags(program.command("sim").description("event-driven timing simulation: DMA engine, block mover, streamer and fabric with credits"))
    .option("--schedule <file>", "simulate a memory-planner schedule (kpu compile --emit schedule --out f) instead of --m/--n/--k")
    .option("--gantt <file>", "write a Gantt chart of tiles: .svg, .html (hover and zoom) or .txt (ASCII)")
    .option("--gantt-bars <n>", "at most this many tasks in the chart (default 4000 for .svg and .txt, 200000 for .html; earliest first)", positiveInt("--gantt-bars", 1_000_000))
    .option("--ascii", "print an ASCII Gantt chart of the first tasks")
    .option("--trace <file>", "write the timeline as Trace Event Format JSON (Perfetto, chrome://tracing; kpu report reads it): one process per compute tile")
    .addOption(new Option("--trace-tiles <which>", "the compute tiles in the trace: all of the grid (each block shape simulated), or the first alone (the largest block)").choices(TRACE_TILES).default("all"))
    .action((flags: SimFlags, command: Command) => {
      checkMappingFlags(flags, command);
      simCommand(flags, io);
    });
}
