import { KpuError } from "./errors.js";

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  kB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

export const BYTE_SIZE_FORMS = "a positive integer with a unit: 256KiB, 16MiB, 1GiB (binary) or 256kB, 16MB (decimal)";

/**
 * Parses a byte size such as `256KiB` (262,144 B) or `16MB` (16,000,000 B). A unit is required; `KB` is refused as
 * ambiguous (binary or decimal?) rather than guessed. `where` names the flag or field for the error.
 */
export function parseByteSize(text: string, where: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const fail = (why: string, hint = `Write ${BYTE_SIZE_FORMS}.`): never => {
    throw new KpuError("KPU_BAD_SIZE", `"${text}" ${why}`, { where, hint });
  };
  if (match === null) return fail("is not a size");
  const value = Number(match[1]);
  const unit = match[2] ?? "";
  if (unit === "") return fail("has no unit");
  if (unit === "KB" || unit === "Kb" || unit === "kb") {
    return fail("is ambiguous", `Write ${value}KiB (${value * 1024} B) or ${value}kB (${value * 1000} B).`);
  }
  const scale = UNITS[unit];
  if (scale === undefined) return fail(`has an unknown unit "${unit}"`);
  const bytes = value * scale;
  if (!Number.isSafeInteger(bytes)) return fail("is not a whole number of bytes");
  if (bytes <= 0) return fail("must be greater than zero");
  return bytes;
}

/** Formats bytes with the largest binary unit that divides them exactly (`262144` -> `256KiB`), else in B. */
export function formatByteSize(bytes: number): string {
  for (const unit of ["TiB", "GiB", "MiB", "KiB"]) {
    const scale = UNITS[unit]!;
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}
