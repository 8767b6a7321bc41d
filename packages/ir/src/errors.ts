/**
 * Every expected failure in kpu is a KpuError: a stable code, a location (an op, a tensor, a pass, a flag, a file),
 * and a hint on how to fix it. Codes come from ERROR_CATALOGUE (error-codes.ts); the CLI turns a KpuError into one
 * line plus a hint and the exit code of its category (EXIT_CODES); anything else is a bug.
 */
import { ERROR_CATALOGUE, errorCategory, isKpuErrorCode, type KpuErrorCategory, type KpuErrorCode } from "./error-codes.js";

export interface KpuErrorOptions {
  /** Where the problem is, e.g. `op "mm1"`, `tensor "x"`, `--tile`, `model.json:ops[2].inputs[0]`. */
  readonly where?: string;
  /** How to fix it, in one sentence; the catalogue's hint for the code when absent. */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class KpuError extends Error {
  override readonly name: string = "KpuError";
  readonly code: KpuErrorCode;
  readonly category: KpuErrorCategory;
  readonly where: string | undefined;
  readonly hint: string | undefined;

  constructor(code: KpuErrorCode, message: string, options: KpuErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    // looked up by string, so a code from a caller without types still gets a category (internal)
    this.category = errorCategory(code);
    this.where = options.where;
    this.hint = options.hint ?? (isKpuErrorCode(code) ? ERROR_CATALOGUE[code].hint : undefined);
  }
}

/** True for KpuErrors, also across duplicated module instances (checked by shape, not identity). */
export function isKpuError(value: unknown): value is KpuError {
  if (value instanceof KpuError) return true;
  if (typeof value !== "object" || value === null) return false;
  const v = value as { code?: unknown; message?: unknown; name?: unknown };
  return typeof v.code === "string" && v.code.startsWith("KPU_") && typeof v.message === "string";
}

// C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that reorder what a terminal shows.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Text from files and flags made safe to print: every control byte (ESC, NUL, CR, ...) becomes a visible escape
 * (`\x1b`), so an error about a binary file can never drive the terminal. Tabs and newlines stay.
 */
export function sanitizeText(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * One line for people: `error KPU_X at where: message` followed by `hint: ...` when there is one. Every part goes
 * through `sanitizeText` (the one place where text from files reaches the terminal in an error).
 */
export function formatKpuError(error: KpuError): string {
  const at = error.where === undefined ? "" : ` at ${sanitizeText(error.where)}`;
  const hint = error.hint === undefined ? "" : `\n  hint: ${sanitizeText(error.hint)}`;
  return `error ${error.code}${at}: ${sanitizeText(error.message)}${hint}`;
}

/** The code for a failed read: a path that names no file (ENOENT, EISDIR) is the input's fault, anything else the environment's. */
export function readErrorCode(cause: unknown): "KPU_NO_SUCH_FILE" | "KPU_READ_FAILED" {
  const errno = (cause as { code?: unknown } | null | undefined)?.code;
  return errno === "ENOENT" || errno === "EISDIR" ? "KPU_NO_SUCH_FILE" : "KPU_READ_FAILED";
}
