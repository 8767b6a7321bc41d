import { Option, type Command } from "commander";
import { scheduleToJson } from "@kpu/ir";
import { verifySchedule, type VerifyResult } from "@kpu/kpu-model";
import { writeFileAtomic } from "../../util/files.js";
import { EXIT, type CliIo } from "../../main.js";
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

/** What `kpu run` found: the schedule's summary and the verification against the reference. */
export interface RunReport {
  readonly model: string;
  readonly summary: ScheduleSummary;
  readonly verify: VerifyResult;
}

/** Compiles, schedules, executes on seeded random inputs and verifies against the reference of the original graph. */
export function runModel(file: string | undefined, flags: RunFlags): { compiled: CompileResult; report: RunReport } {
  const compiled = compileModel(file, { ...flags }, true);
  const scheduled = compiled.scheduled!;
  const verify = verifySchedule(scheduled.schedule, compiled.frontend.program.tiled, {
    reference: compiled.graph,
    seed: flags.seed ?? 1,
  });
  return { compiled, report: { model: compiled.graph.name, summary: scheduleSummary(scheduled), verify } };
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
 * `kpu run`: compile, schedule, execute the schedule on seeded random inputs through a simulated SRAM, and compare
 * with the reference. Returns true if the numerics verify (the command then exits 0, else 1).
 */
export function runCommand(file: string | undefined, flags: RunFlags & { readonly json?: boolean }, io: CliIo): boolean {
  const { compiled, report } = runModel(file, flags);
  const ir = flags.emit === "schedule" ? scheduleToJson(compiled.scheduled!.schedule) : undefined;
  if (ir !== undefined && flags.out !== undefined) writeFileAtomic(flags.out, toJsonText(ir));
  if (flags.json === true) {
    const { summary, verify } = report;
    io.stdout(toJsonText({ model: report.model, ...summary, verify, ...(ir !== undefined && flags.out === undefined ? { ir } : {}) }));
  } else {
    const r = compiled.frontend.report;
    io.stdout(`model ${r.model}: ${r.opsBeforeFusion} ops before fusion, ${r.opsAfterFusion} after, ${r.uops.total} micro-ops\n`);
    io.stdout(renderScheduleSummary(report.summary, compiled.scheduled!.schedule, 6));
    io.stdout(renderVerification(report.verify));
    if (ir !== undefined && flags.out !== undefined) io.stdout(`wrote schedule IR to ${flags.out}\n`);
  }
  return report.verify.ok;
}

export function registerRun(program: Command, io: CliIo): void {
  addScheduleFlags(addModelFlags(program.command("run").description("compile, schedule and execute a model on seeded random inputs; verify against the reference")))
    .option("--seed <n>", "seed of the random inputs", positiveInt("--seed"), 1)
    .addOption(new Option("--emit <ir>", "also emit the verified schedule (to --out, or into the --json report)").choices(["schedule"]))
    .option("--out <file>", "write the emitted schedule here (atomically)")
    .option("--json", "machine-readable output")
    .action((file: string | undefined, flags: RunFlags & { json?: boolean }) => {
      if (!runCommand(file, flags, io)) process.exitCode = EXIT.failed;
    });
}
