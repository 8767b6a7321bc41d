import { Option, type Command } from "commander";
import { KpuError, scheduleToJson, type Schedule } from "@kpu/ir";
import { verifySchedule, type VerifyResult } from "@kpu/kpu-model";
import { checkSchedule, type ScheduleCheck } from "@kpu/memory-planner";
import { writeFileAtomic } from "../../util/files.js";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { addModelFlags, addScheduleFlags, compileModel, type CompileFlags, type CompileResult } from "../compile/index.js";
import { renderScheduleSummary, scheduleSummary, type ScheduleSummary } from "../compile/schedule.js";

export interface RunFlags extends Omit<CompileFlags, "emit" | "out" | "dumpAfter"> {
  /** Seed of the random inputs (default 1). */
  readonly seed?: number;
  /** `schedule`: also emit the verified schedule (to `out`, or into the JSON report). Accepted so that `kpu run`
   * takes the same flags as `kpu compile ... --emit schedule`. */
  readonly emit?: "schedule";
  readonly out?: string;
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
  const compiled = compileModel(file, { ...flags }, true, true);
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
export function runCommand(file: string | undefined, flags: RunFlags & { readonly json?: boolean }, io: CliIo): boolean {
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
    .option("--json", "machine-readable output")
    .action((file: string | undefined, flags: RunFlags & { json?: boolean }) => {
      if (!runCommand(file, flags, io)) throw verificationFailed("kpu run");
    });
}
