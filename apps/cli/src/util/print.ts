import Table from "cli-table3";
import type { CliIo } from "../main.js";

/** A flag or input that is accepted but does nothing here, or is likely a mistake: one `warning: ...` line on stderr. */
export function warn(io: CliIo, text: string): void {
  io.stderr(`warning: ${text}\n`);
}

/** Stable, pretty JSON for `--json` output (one document, trailing newline). */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A plain table for people: header row, then rows; numbers right-aligned. */
export function renderTable(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const table = new Table({
    head: [...head],
    style: { head: [], border: [] },
    colAligns: head.map((_, i) => (rows.length > 0 && typeof rows[0]![i] === "number" ? "right" : "left")),
  });
  for (const row of rows) table.push(row.map((cell) => (typeof cell === "number" ? cell.toLocaleString("en-US") : cell)));
  return `${table.toString()}\n`;
}
