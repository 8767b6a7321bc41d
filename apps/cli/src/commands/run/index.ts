import { Option, type Command } from "commander";
import { KpuError, formatByteSize, scheduleToJson, type Graph, type Schedule } from "@kpu/ir";
import { verifySchedule, type VerifyResult } from "@kpu/kpu-model";
import { checkSchedule, type ScheduleCheck } from "@kpu/memory-planner";
import { writeFileAtomic } from "../../util/files.js";
import type { CliIo } from "../../main.js";
import { byteSize, positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText, warn } from "../../util/print.js";
import { addModelFlags, addScheduleFlags, compileModel, givenFlags, modelFlagWarnings, type CompileFlags, type CompileResult, type GivenFlag } from "../compile/index.js";
import { DEFAULT_SRAM_BYTES, renderScheduleSummary, scheduleSummary, type ScheduleSummary } from "../compile/schedule.js";

export interface RunFlags extends Omit<CompileFlags, "emit" | "out" | "dumpAfter"> {
  /** Seed of the random inputs (default 1). */
  readonly seed?: number;
  /** `schedule`: also emit the verified schedule (to `out`, or into the JSON report). Accepted so that `kpu run`
   * takes the same flags as `kpu compile ... --emit schedule`. */
  readonly emit?: "schedule";
  readonly out?: string;
  /** Refuse when the functional execution's estimated memory exceeds this (default DEFAULT_MAX_MEMORY). */
  readonly maxMemory?: number;
}

/** Default bound on the functional execution's memory (`kpu run --max-memory`). */
export const DEFAULT_MAX_MEMORY = 2 * 1024 ** 3;

/**
 * Bytes the functional execution holds: every tensor in float64 for the reference and in float32 for the simulated
 * DRAM, the random inputs once more in float32, and the SRAM. Micro-ops are bounded separately (`--max-uops`).
 */
export function estimateRunBytes(graph: Graph, sramBytes: number): { total: number; tensors: number; sram: number } {
  const elements = (name: string): number => graph.tensors.find((t) => t.name === name)?.shape.reduce((p, d) => p * d, 1) ?? 0;
  const all = graph.tensors.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * d, 1), 0);
  const inputs = graph.inputs.reduce((sum, name) => sum + elements(name), 0);
  const tensors = all * (8 + 4) + inputs * 4;
  return { total: tensors + sramBytes, tensors, sram: sramBytes };
}

/** Throws KPU_TOO_LARGE, naming the estimate, when executing `graph` would need more than `maxBytes`. */
export function checkRunMemory(graph: Graph, sramBytes: number, maxBytes: number): void {
  const e = estimateRunBytes(graph, sramBytes);
  if (e.total <= maxBytes) return;
  const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  throw new KpuError("KPU_TOO_LARGE", `executing ${graph.name} needs about ${gib(e.total)} (tensors ${gib(e.tensors)}, SRAM ${formatByteSize(e.sram)}), more than the limit of ${gib(maxBytes)}`, {
    where: "--max-memory",
    hint: `Run a smaller model, check it without executing (kpu compile --emit schedule), or raise the limit with --max-memory ${Math.ceil(e.total / 1024 ** 3)}GiB if the machine has the memory.`,
  });
}

/** What `kpu run` found: the schedule's summary, its invariants, and the verification against the reference. */
export interface RunReport {
  readonly model: string;
  readonly summary: ScheduleSummary;
  /** The planner's invariants replayed on the schedule and its arena trace (checkSchedule). */
  readonly invariants: ScheduleCheck;
  readonly verify: VerifyResult;
  /** Both checks passed. */
  readonly ok: boolean;
}

/**
 * Test-only fault injection, so that a test can see `kpu run` fail its check and exit 1:
 * `KPU_FAULT_RUN=exec-a-addr` makes the last EXEC read its A tile at its B tile's address before the schedule is
 * executed (the invariants are still checked on the planner's schedule). Any other value is ignored.
 */
export function injectRunFault(schedule: Schedule, fault: string | undefined): Schedule {
  if (fault !== "exec-a-addr") return schedule;
  const ops = schedule.ops.map((o) => ({ ...o }));
  const last = ops.findLastIndex((o) => o.kind === "EXEC");
  const exec = ops[last];
  if (exec?.kind === "EXEC") ops[last] = { ...exec, aAddr: exec.bAddr };
  return { ...schedule, ops };
}

/** Compiles, schedules, executes on seeded random inputs and verifies against the reference of the original graph. */
export function runModel(file: string | undefined, flags: RunFlags): { compiled: CompileResult; report: RunReport } {
  const compiled = compileModel(file, { ...flags }, true, true, (graph) => {
    checkRunMemory(graph, flags.sram ?? DEFAULT_SRAM_BYTES, flags.maxMemory ?? DEFAULT_MAX_MEMORY);
  });
  const scheduled = compiled.scheduled!;
  const invariants = checkSchedule(scheduled.schedule, compiled.frontend.program, scheduled.trace);
  const verify = verifySchedule(injectRunFault(scheduled.schedule, process.env.KPU_FAULT_RUN), compiled.frontend.program.tiled, {
    reference: compiled.graph,
    seed: flags.seed ?? 1,
  });
  return {
    compiled,
    report: { model: compiled.graph.name, summary: scheduleSummary(scheduled), invariants, verify, ok: invariants.ok && verify.ok },
  };
}

/** The invariant check's verdict, for people. */
export function renderInvariants(check: ScheduleCheck): string {
  if (check.ok) return `invariants: ok (addresses, residency, accumulators, hazards, statistics; peak recounted ${check.recountedPeakBytes ?? "-"} B)\n`;
  return `INVARIANTS VIOLATED:\n${check.violations.map((v) => `  ${v}`).join("\n")}\n`;
}

/** The verification table and verdict, for people. */
export function renderVerification(verify: VerifyResult): string {
  const table = renderTable(
    ["output", "elements", "max |error|", "tolerance", "check"],
    verify.outputs.map((o) => [o.tensor, o.elements, o.maxAbsError.toExponential(2), o.toleranceAbs.toExponential(2), o.ok ? "ok" : "FAIL"]),
  );
  const verdict = verify.ok
    ? `verified: the schedule computes the graph (seed ${verify.seed}, max error ${verify.maxAbsError.toExponential(2)}, tolerance ${verify.toleranceRel} x max(1, max |reference|))`
    : `VERIFICATION FAILED: max error ${verify.maxAbsError.toExponential(2)} exceeds the tolerance (seed ${verify.seed})`;
  return `${table}${verdict}\n`;
}

/**
 * `kpu run`: compile, schedule, replay the schedule's invariants, execute it on seeded random inputs through a
 * simulated SRAM, and compare with the reference. Returns true if both checks pass (the command then exits 0, else 1).
 */
export function runCommand(file: string | undefined, flags: RunFlags & { readonly json?: boolean }, io: CliIo, given: GivenFlag = () => true): boolean {
  if (flags.out !== undefined && flags.emit === undefined) {
    throw new KpuError("KPU_USAGE", "--out writes the schedule chosen by --emit schedule, and no --emit was given", {
      where: "--out",
      hint: `Add --emit schedule, e.g. kpu run ... --emit schedule --out ${flags.out}.`,
    });
  }
  for (const w of modelFlagWarnings(flags, given, file)) warn(io, w);
  const { compiled, report } = runModel(file, flags);
  const ir = flags.emit === "schedule" ? scheduleToJson(compiled.scheduled!.schedule) : undefined;
  if (ir !== undefined && flags.out !== undefined) writeFileAtomic(flags.out, toJsonText(ir), "--out");
  if (flags.json === true) {
    const { summary, invariants, verify } = report;
    io.stdout(toJsonText({ model: report.model, ...summary, ok: report.ok, invariants, verify, ...(ir !== undefined && flags.out === undefined ? { ir } : {}) }));
  } else {
    const r = compiled.frontend.report;
    io.stdout(`model ${r.model}: ${r.opsBeforeFusion} ops before fusion, ${r.opsAfterFusion} after, ${r.uops.total} micro-ops\n`);
    io.stdout(renderScheduleSummary(report.summary, compiled.scheduled!.schedule, 6));
    io.stdout(renderInvariants(report.invariants));
    io.stdout(renderVerification(report.verify));
    if (ir !== undefined && flags.out !== undefined) io.stdout(`wrote schedule IR to ${flags.out}\n`);
  }
  return report.ok;
}

/** The check-category error a command throws when its verification ran and failed (exit 1; the report is printed). */
export function verificationFailed(command: string): KpuError {
  return new KpuError("KPU_CHECK_FAILED", "the schedule failed verification (see the report)", { where: command });
}

export function registerRun(program: Command, io: CliIo): void {
  addScheduleFlags(addModelFlags(program.command("run").description("compile, schedule and execute a model on seeded random inputs; verify against the reference")))
    .option("--seed <n>", "seed of the random inputs", positiveInt("--seed"), 1)
    .addOption(new Option("--emit <ir>", "also emit the verified schedule (to --out, or into the --json report)").choices(["schedule"]))
    .option("--out <file>", "write the emitted schedule here (atomically)")
    .option("--max-memory <size>", `refuse when executing would need more than this (default ${formatByteSize(DEFAULT_MAX_MEMORY)})`, byteSize("--max-memory"))
    .option("--json", "machine-readable output")
    .action((file: string | undefined, flags: RunFlags & { json?: boolean }, command: Command) => {
      if (!runCommand(file, flags, io, givenFlags(command))) throw verificationFailed("kpu run");
    });
}
