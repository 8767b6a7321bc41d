import { readFileSync } from "node:fs";
import { KpuError, readErrorCode } from "@kpu/ir";

/** A file's text and its JSON; unreadable files and bad JSON are KpuErrors naming the file. */
export function readJsonFile(path: string, accepted: string): { text: string; json: unknown } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new KpuError(readErrorCode(cause), `could not read the file (${(cause as NodeJS.ErrnoException).code ?? "error"})`, { where: path, hint: "Check the path and the file's permissions.", cause });
  }
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: path, hint: `Pass ${accepted}.`, cause });
  }
}
