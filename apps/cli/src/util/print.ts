import Table from "cli-table3";
import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";
import type { CliIo } from "../main.js";

/** A flag or input that is accepted but does nothing here, or is likely a mistake: one `warning: ...` line on stderr. */
export function warn(io: CliIo, text: string): void {
  io.stderr(`warning: ${text}\n`);
}

/** Stable, pretty JSON for `--json` output (one document, trailing newline). */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The terminal's width when stdout is one (tables wrap to fit it), else undefined (tables keep their natural width). */
export function terminalColumns(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

/** Narrowest a wrapped column gets, in characters. */
const MIN_COLUMN = 6;

/**
 * Column widths (content, without padding) that fit `budget` characters: columns narrower than an even share keep
 * their width, the others share what is left equally (water filling), never below MIN_COLUMN.
 */
export function fitColumns(natural: readonly number[], budget: number): number[] {
  const out = [...natural];
  let open = natural.map((_, i) => i);
  let left = budget;
  for (;;) {
    const share = Math.floor(left / Math.max(1, open.length));
    const fits = open.filter((i) => natural[i]! <= share);
    if (fits.length === 0) {
      for (const i of open) out[i] = Math.max(MIN_COLUMN, share);
      return out;
    }
    for (const i of fits) left -= natural[i]!;
    open = open.filter((i) => natural[i]! > share);
    if (open.length === 0) return out;
  }
}

/**
 * A plain table for people: header row, then rows; numbers right-aligned. Given a width (default: the terminal's, when
 * stdout is one), the widest columns wrap (words kept whole where they fit) so every line fits it.
 */
export function renderTable(head: readonly string[], rows: readonly (readonly (string | number)[])[], options: { readonly width?: number | undefined } = {}): string {
  const text = rows.map((row) => row.map((cell) => (typeof cell === "number" ? cell.toLocaleString("en-US") : cell)));
  const width = "width" in options ? options.width : terminalColumns();
  const natural = head.map((h, i) => Math.max(stringWidth(h), ...text.map((r) => Math.max(0, ...(r[i] ?? "").split("\n").map((l) => stringWidth(l))))));
  // each column has 2 spaces of padding and one border, plus the closing border
  const budget = width === undefined ? Number.POSITIVE_INFINITY : width - 3 * head.length - 1;
  const fitted = natural.reduce((a, b) => a + b, 0) <= budget ? natural : fitColumns(natural, budget);
  const wrap = (cell: string, i: number): string => (fitted[i]! < natural[i]! ? wrapAnsi(cell, fitted[i]!, { hard: true, trim: true }) : cell);
  const table = new Table({
    head: head.map(wrap),
    style: { head: [], border: [] },
    colAligns: head.map((_, i) => (rows.length > 0 && typeof rows[0]![i] === "number" ? "right" : "left")),
    ...(fitted === natural ? {} : { colWidths: fitted.map((w) => w + 2) }),
  });
  for (const row of text) table.push(row.map((cell, i) => wrap(cell, i)));
  return `${table.toString()}\n`;
}
