import { Option, type Command } from "commander";
import { KpuError, LOOP_ORDERS, REPLACEMENT_POLICIES, formatUop, scheduleToJson, type Graph, type LoopOrder, type ReplacementPolicyName } from "@kpu/ir";
import { PLACEMENTS, blockForSram, type Placement, type ScheduleResult } from "@kpu/memory-planner";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { byteSize, oneOf, positiveInt } from "../../util/flags.js";
import { EXAMPLE_NAMES, loadNetwork, networkFlagWarnings } from "../../util/model.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";
import { DEFAULT_MAX_UOPS, EMIT_FRONTEND, emitFrontend, runFrontend, type FrontendReport, type FrontendResult } from "./frontend.js";
import { DEFAULT_SRAM_BYTES, renderScheduleSummary, runSchedule, scheduleSummary } from "./schedule.js";

export const EMIT_KINDS = [...EMIT_FRONTEND, "schedule"] as const;

export interface CompileFlags {
  readonly example?: string;
  readonly seq?: number;
  readonly tile?: number;
  readonly budget?: number;
  readonly order: LoopOrder;
  /** Block of output tiles for `--order blocked`, e.g. `{ m: 4, n: 4 }`; default: the largest square that fits --sram. */
  readonly block?: { readonly m: number; readonly n: number };
  readonly fusion: boolean;
  readonly emit?: (typeof EMIT_KINDS)[number];
  readonly out?: string;
  readonly json?: boolean;
  readonly dumpAfter?: string;
  /** Planner flags: scheduling runs with `--emit schedule` or when `--sram` is given. */
  readonly sram?: number;
  readonly policy?: ReplacementPolicyName;
  readonly placement?: Placement;
  readonly doubleBuffer?: boolean;
  readonly forward?: boolean;
  /** Refuse to lower more micro-ops than this (default DEFAULT_MAX_UOPS). */
  readonly maxUops?: number;
}

/** Parses `--block 4x4` (output tiles per block). */
export function parseBlock(text: string): { m: number; n: number } {
  const match = /^\s*(\d+)\s*x\s*(\d+)\s*$/.exec(text);
  const m = Number(match?.[1]);
  const n = Number(match?.[2]);
  if (match === null || !(m > 0 && n > 0 && m <= 1024 && n <= 1024)) {
    throw new KpuError("KPU_BAD_FLAG", `"${text}" is not a block of output tiles`, {
      where: "--block",
      hint: "Write rows x columns of output tiles, such as --block 4x4.",
    });
  }
  return { m, n };
}


/** The result of compiling and scheduling: the front half and, when asked for, the schedule. */
export interface CompileResult {
  readonly graph: Graph;
  readonly frontend: FrontendResult;
  readonly scheduled?: ScheduleResult;
}

/** Loads the model, runs fusion, tiling and lowering, and schedules when `schedule` is true. No output. */
export function compileModel(file: string | undefined, flags: CompileFlags, schedule: boolean, trace = false, checkGraph?: (graph: Graph) => void): CompileResult {
  const graph = loadNetwork({ file, example: flags.example, seq: flags.seq });
  checkGraph?.(graph);
  const dumpAfter = flags.dumpAfter === undefined ? [] : flags.dumpAfter.split(",");
  const block =
    flags.order !== "blocked"
      ? undefined
      : (flags.block ?? (flags.tile === undefined && flags.budget !== undefined ? undefined : blockForSram(flags.sram ?? DEFAULT_SRAM_BYTES, (flags.tile ?? 32) ** 2 * 4, { doubleBuffer: flags.doubleBuffer === true })));
  const frontend = runFrontend(graph, { tile: flags.tile, budgetBytes: flags.budget, order: flags.order, fusion: flags.fusion, block, maxUops: flags.maxUops }, dumpAfter);
  if (!schedule) return { graph, frontend };
  const scheduled = runSchedule(frontend.program, {
    sram: flags.sram,
    policy: flags.policy ?? "lru",
    placement: flags.placement ?? "first-fit",
    doubleBuffer: flags.doubleBuffer,
    forward: flags.forward,
    trace,
  });
  return { graph, frontend, scheduled };
}

function humanReport(report: FrontendReport): string {
  const passes = renderTable(
    ["pass", "ms", "statistics"],
    report.passes.map((p) => [
      p.name,
      p.millis.toFixed(2),
      Object.entries(p.stats)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ]),
  );
  const perOp = renderTable(
    ["op", "LOAD", "EXEC", "EWISE", "STORE"],
    report.perOp.map((o) => [o.op, o.LOAD, o.EXEC, o.EWISE, o.STORE]),
  );
  const u = report.uops;
  return (
    `model ${report.model}: ${report.opsBeforeFusion} ops before fusion, ${report.opsAfterFusion} after\n` +
    passes +
    `micro-ops: ${u.total} (LOAD ${u.LOAD}, EXEC ${u.EXEC}, EWISE ${u.EWISE}, STORE ${u.STORE})\n` +
    perOp
  );
}

/**
 * `kpu compile`: fusion, tiling and lowering of a model file or built-in example; with `--emit schedule` (or
 * `--sram`), also the static schedule with its statistics.
 */
export function compileCommand(file: string | undefined, flags: CompileFlags, io: CliIo, given: GivenFlag = () => true): void {
  if (flags.out !== undefined && flags.emit === undefined) {
    throw new KpuError("KPU_USAGE", "--out writes the IR chosen by --emit, and no --emit was given", {
      where: "--out",
      hint: `Add --emit ${EMIT_KINDS.join("|")}, e.g. --emit uops --out ${flags.out}.`,
    });
  }
  const scheduling = flags.emit === "schedule" || flags.sram !== undefined;
  for (const w of modelFlagWarnings(flags, given, file)) warn(io, w);
  if (!scheduling) {
    const idle = (["policy", "placement", "doubleBuffer", "forward"] as const).filter((name) => given(name) && flags[name] !== undefined && flags[name] !== false);
    for (const name of idle) warn(io, `${flagName(name)} has no effect without scheduling (add --emit schedule or --sram)`);
  }
  const { frontend: result, scheduled } = compileModel(file, flags, scheduling);
  const ir =
    flags.emit === undefined ? undefined : flags.emit === "schedule" ? scheduleToJson(scheduled!.schedule) : emitFrontend(flags.emit, result);
  if (ir !== undefined && flags.out !== undefined) writeFileAtomic(flags.out, toJsonText(ir), "--out");
  const summary = scheduled === undefined ? undefined : scheduleSummary(scheduled);
  if (flags.json === true) {
    const doc = { ...result.report, ...(summary ?? {}), ...(ir !== undefined && flags.out === undefined ? { ir } : {}) };
    io.stdout(toJsonText(doc));
    return;
  }
  io.stdout(humanReport(result.report));
  if (summary !== undefined && scheduled !== undefined) io.stdout(renderScheduleSummary(summary, scheduled.schedule));
  if (flags.emit === "schedule") {
    // The summary above shows the first ops; the whole schedule goes to --out or --json.
  } else if (flags.emit === "uops" && flags.out === undefined) {
    const shown = result.program.uops.slice(0, 12).map(formatUop);
    io.stdout(`first micro-ops:\n${shown.map((l) => `  ${l}`).join("\n")}\n  ...\n`);
  } else if (ir !== undefined && flags.out === undefined) {
    io.stdout(toJsonText(ir));
  }
  if (ir !== undefined && flags.out !== undefined) io.stdout(`wrote ${flags.emit} IR to ${flags.out}\n`);
}

/** Whether the user gave a flag (not its default): `(name) => command.getOptionValueSource(name) === "cli"`. */
export type GivenFlag = (name: string) => boolean;

export function givenFlags(command: Command): GivenFlag {
  return (name) => {
    const source = command.getOptionValueSource(name);
    return source !== undefined && source !== "default";
  };
}

const flagName = (name: string): string => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Model flags that do nothing in this combination (`--block` without `--order blocked`, ...), as warnings. */
export function modelFlagWarnings(flags: CompileFlags, given: GivenFlag, file?: string): string[] {
  const out: string[] = [];
  if (flags.block !== undefined && flags.order !== "blocked") out.push(`--block has no effect without --order blocked (the order is ${flags.order})`);
  out.push(...networkFlagWarnings({ example: file === undefined ? (flags.example ?? "mlp") : flags.example, seq: flags.seq }));
  if (flags.tile !== undefined && flags.budget !== undefined && given("budget")) out.push("--budget has no effect with --tile (the tile is given)");
  return out;
}

/** Flags shared by every command that compiles a model (`compile`, `run`). */
export function addModelFlags(command: Command): Command {
  return command
    .argument("[model]", "model file: kpu.graph JSON, Hugging Face config.json, SCALE-Sim topology CSV; default: the built-in mlp example")
    .addOption(new Option("--example <name>", "built-in example model").choices(EXAMPLE_NAMES))
    .option("--seq <n>", "sequence length for transformer examples and Hugging Face configs (default 128)", positiveInt("--seq", 1 << 20))
    .option("--tile <n>", "tile edge in elements for m, n and k", positiveInt("--tile", 1 << 20))
    .option("--budget <size>", "on-chip bytes for A, B and C tiles: pick tiles by rule instead of --tile", byteSize("--budget"))
    .option("--order <order>", `loop order of the tile loops (${LOOP_ORDERS.join(", ")})`, oneOf("--order", LOOP_ORDERS), "mnk")
    .option("--block <MxN>", "output tiles per block for --order blocked (default: the largest square that fits --sram)", parseBlock)
    .option("--no-fusion", "skip the fusion pass")
    .option("--max-uops <n>", `refuse to lower more micro-ops than this (default ${DEFAULT_MAX_UOPS.toLocaleString("en-US")}, about 1.3 GB)`, positiveInt("--max-uops", 2 ** 40));
}

/** Flags of the memory planner (`compile --emit schedule`, `run`). */
export function addScheduleFlags(command: Command): Command {
  return command
    .option("--sram <size>", `SRAM capacity, e.g. 256KiB (default ${DEFAULT_SRAM_BYTES / 1024}KiB when scheduling)`, byteSize("--sram"))
    .option("--policy <name>", `eviction policy (${REPLACEMENT_POLICIES.join(", ")})`, oneOf("--policy", REPLACEMENT_POLICIES), "lru")
    .option("--placement <name>", `operand placement in SRAM (${PLACEMENTS.join(", ")})`, oneOf("--placement", PLACEMENTS), "first-fit")
    .option("--double-buffer", "prefetch the next step's tiles while the current EXEC runs (two buffers per operand)")
    .option("--forward", "keep intermediate tensors on chip for the next layer when they fit (no STORE + LOAD)");
}

export function registerCompile(program: Command, io: CliIo): void {
  addScheduleFlags(addModelFlags(program.command("compile").description("fuse, tile and lower a model to micro-ops, optionally schedule it; print statistics")))
    .addOption(new Option("--emit <ir>", "IR to write").choices(EMIT_KINDS))
    .option("--out <file>", "write the emitted IR here (atomically) instead of stdout")
    .option("--dump-after <passes>", "comma-separated pass names whose IR goes into the JSON report (* for all)")
    .option("--json", "machine-readable output")
    .action((file: string | undefined, flags: CompileFlags, command: Command) => {
      compileCommand(file, flags, io, givenFlags(command));
    });
}
