import type { Command } from "commander";
import { ERROR_CATALOGUE, EXIT_CODES, type KpuErrorCode } from "@kpu/ir";
import type { CliIo } from "../../main.js";
import { toJsonText } from "../../util/print.js";

export interface ErrorRow {
  readonly code: KpuErrorCode;
  readonly category: string;
  readonly exitCode: number;
  readonly title: string;
  readonly description: string;
  readonly hint: string;
}

/** Every code in the catalogue with its category, exit code, title and hint, sorted by exit code, then code. */
export function errorRows(): ErrorRow[] {
  const rows = (Object.keys(ERROR_CATALOGUE) as KpuErrorCode[]).map((code) => {
    const spec = ERROR_CATALOGUE[code];
    return { code, category: spec.category, exitCode: EXIT_CODES[spec.category], title: spec.title, description: spec.description, hint: spec.hint };
  });
  return rows.sort((a, b) => a.exitCode - b.exitCode || a.code.localeCompare(b.code));
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 3))}...`;
}

/** A plain table as wide as the terminal (`width` columns): the hint column takes what is left, clipped. */
export function renderErrors(rows: readonly ErrorRow[], width: number): string {
  const codeW = Math.max(4, ...rows.map((r) => r.code.length));
  const catW = Math.max(8, ...rows.map((r) => r.category.length));
  const titleW = Math.max(5, ...rows.map((r) => r.title.length));
  const hintW = Math.max(20, width - (codeW + catW + titleW + 4) - 8);
  const line = (c: string, cat: string, exit: string, title: string, hint: string): string =>
    `${c.padEnd(codeW)}  ${cat.padEnd(catW)}  ${exit.padStart(4)}  ${title.padEnd(titleW)}  ${clip(hint, hintW)}`.trimEnd();
  const out = [line("code", "category", "exit", "title", "hint"), ...rows.map((r) => line(r.code, r.category, String(r.exitCode), r.title, r.hint))];
  return `${out.join("\n")}\n`;
}

/** `kpu errors`: the error catalogue, for people or (`--json`) as an array. */
export function errorsCommand(flags: { readonly json?: boolean }, io: CliIo, width = process.stdout.columns || 120): void {
  io.stdout(flags.json === true ? toJsonText(errorRows()) : renderErrors(errorRows(), width));
}

export function registerErrors(program: Command, io: CliIo): void {
  program
    .command("errors")
    .description("list every error code with its category, exit code, title and hint")
    .option("--json", "machine-readable output (an array)")
    .action((flags: { json?: boolean }) => {
      errorsCommand(flags, io);
    });
}
