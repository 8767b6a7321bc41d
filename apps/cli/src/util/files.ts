import { readFileSync } from "node:fs";
import { KpuError, readErrorCode } from "@kpu/ir";

/** The one atomic writer (write-file-atomic behind @kpu/scheduler's wrapper): failures are KpuErrors naming the flag. */
export { ensureOutputDir, writeFileAtomic } from "@kpu/scheduler";

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new KpuError(readErrorCode(cause), `could not read the file (${(cause as NodeJS.ErrnoException).code ?? "error"})`, {
      where: path,
      hint: "Check the path and the file's permissions.",
      cause,
    });
  }
}
