import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import writeFileAtomicLib from "write-file-atomic";
import { KpuError } from "@kpu/ir";

/** Plain words for the file-system errors a user can cause, with the fix. */
function explain(cause: unknown, isDir: boolean): { what: string; hint: string } {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOTDIR":
      return { what: "a part of the path is a file, not a folder", hint: "Choose a path whose folders are folders, or move the file out of the way." };
    case "EEXIST":
      return isDir
        ? { what: "a file with this name exists where a folder is needed", hint: "Name a folder (new or existing), not a file." }
        : { what: "the path already exists", hint: "Choose another path." };
    case "EISDIR":
      return { what: "the path is a folder, not a file", hint: "Name a file inside the folder, e.g. add /out.json." };
    case "EACCES":
    case "EPERM":
      return { what: "permission denied", hint: "Choose a folder you can write to, or fix its permissions." };
    case "EROFS":
      return { what: "the file system is read-only", hint: "Choose a folder on a writable disk." };
    case "ENOSPC":
    case "EDQUOT":
      return { what: "the disk is full", hint: "Free some space or choose another disk." };
    case "ENAMETOOLONG":
      return { what: "the path is too long", hint: "Choose a shorter path." };
    default:
      return { what: `could not write (${code ?? (cause instanceof Error ? cause.message : String(cause))})`, hint: "Check that the folder exists and is writable." };
  }
}

function where(path: string, flag: string | undefined): string {
  return flag === undefined ? path : `${flag} ${path}`;
}

/** A path the user chose badly (input, exit 2) rather than a machine that cannot write (environment, exit 4). */
const BAD_PATH = new Set(["ENOTDIR", "EEXIST", "EISDIR", "ENAMETOOLONG"]);

function writeCode(cause: unknown): "KPU_BAD_OUTPUT" | "KPU_WRITE_FAILED" {
  return BAD_PATH.has((cause as NodeJS.ErrnoException | undefined)?.code ?? "") ? "KPU_BAD_OUTPUT" : "KPU_WRITE_FAILED";
}

/** A KpuError for a failed write or folder creation at `path`, named by `flag` when given. */
export function writeError(cause: unknown, path: string, flag?: string, isDir = false): KpuError {
  const { what, hint } = explain(cause, isDir);
  return new KpuError(writeCode(cause), `could not write ${isDir ? "the folder" : "the file"}: ${what}`, { where: where(path, flag), hint, cause });
}

/**
 * Creates `dir` (and its parents) for output and checks that it is a writable folder. Fails with a KpuError naming
 * `flag` and the path: a file in the way, no permission, a read-only disk.
 */
export function ensureOutputDir(dir: string, flag?: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "EEXIST" });
    accessSync(dir, constants.W_OK);
  } catch (cause) {
    throw writeError(cause, dir, flag, true);
  }
}

/**
 * Writes `content` to `path` atomically (write-file-atomic: a temporary file beside it, fsync, rename), creating the
 * folder first. A failed run never leaves a partial file and never throws from its cleanup: every failure is one
 * KpuError (KPU_WRITE_FAILED) naming `flag` (e.g. `--out`) and the path, with a hint.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, flag?: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    const { what, hint } = explain(cause, true);
    throw new KpuError(writeCode(cause), `could not make the file's folder ${dir}: ${what}`, { where: where(path, flag), hint, cause });
  }
  try {
    writeFileAtomicLib.sync(path, typeof content === "string" ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength));
  } catch (cause) {
    throw writeError(cause, path, flag);
  }
}
