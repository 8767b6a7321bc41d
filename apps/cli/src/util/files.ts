import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { KpuError, readErrorCode } from "@kpu/ir";

/** Writes `content` to `path` via a temporary file and a rename, so a failed run never leaves a partial file. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw new KpuError("KPU_WRITE_FAILED", `could not write the file (${(cause as Error).message})`, {
      where: path,
      hint: "Check that the directory exists and is writable.",
      cause,
    });
  }
}

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
