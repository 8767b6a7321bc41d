import type { Command } from "commander";
import { KpuError } from "@kpu/ir";
import { buildReport } from "@kpu/report";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { toJsonText } from "../../util/print.js";

export interface ReportFlags {
  readonly out?: string;
  readonly title?: string;
  readonly json?: boolean;
}

export interface ReportOutcome {
  readonly kind: string;
  readonly input: string;
  readonly out: string;
  readonly bytes: number;
}

/** `kpu report <input> --out report.html`: one self-contained interactive page for a result of any kind. */
export function reportCommand(input: string, flags: ReportFlags, io: CliIo): ReportOutcome {
  if (flags.out === undefined) {
    throw new KpuError("KPU_USAGE", "--out is required", { where: "--out", hint: "Name the page to write, e.g. --out report.html." });
  }
  if (!/\.html?$/i.test(flags.out)) {
    throw new KpuError("KPU_BAD_FLAG", `"${flags.out}" does not end in .html`, { where: "--out", hint: "The report is one HTML page: name it e.g. report.html." });
  }
  const report = buildReport(input, flags.title === undefined ? {} : { title: flags.title });
  writeFileAtomic(flags.out, report.html, "--out");
  const outcome = { kind: report.kind, input, out: flags.out, bytes: Buffer.byteLength(report.html) };
  io.stdout(flags.json === true ? toJsonText(outcome) : `wrote the ${report.kind} report of ${input} to ${flags.out} (${(outcome.bytes / 1024).toFixed(0)} KiB, opens offline)\n`);
  return outcome;
}

export function registerReport(program: Command, io: CliIo): void {
  program
    .command("report")
    .description("an interactive, self-contained HTML report of a result: kpu.analysis JSON, L3 sweep folder, kpu sim --json or --trace file, CPU results, kpu.dse result")
    .argument("<input>", "the result file or folder (its kind is detected)")
    .option("--out <file.html>", "the page to write (required)")
    .option("--title <text>", "the page title (default: the kind and the input's name)")
    .option("--json", "machine-readable output")
    .action((input: string, flags: ReportFlags) => {
      reportCommand(input, flags, io);
    });
}
