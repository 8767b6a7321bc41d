import type { z } from "zod";
import { KpuError } from "./errors.js";
import { issuePath, issueRule } from "./zod-issues.js";

/** How to read one kind of versioned kpu JSON document, and what to tell a user when it cannot be read. */
export interface JsonDocumentSpec<S extends z.ZodType> {
  /** The format's name, e.g. `kpu.mapping`. */
  readonly kind: string;
  readonly version: number;
  readonly schema: S;
  /** What to do with a file of another version (write it again with ...). */
  readonly versionHint: string;
  /** Where the format is described, for a file that breaks it. */
  readonly formatHint: string;
}

/**
 * Parses a JSON document of one schema version: a syntax error, another version (refused by number) and the first
 * field that breaks the schema are typed errors naming the file and the field (`m.json:levels.l2.tile.m`).
 */
export function parseJsonDocument<S extends z.ZodType>(text: string, source: string, spec: JsonDocumentSpec<S>): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: source, hint: "Check the file for a syntax error.", cause });
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === "number" && version !== spec.version) {
    throw new KpuError("KPU_SCHEMA_VERSION", `has schemaVersion ${version}; this kpu reads ${spec.kind} version ${spec.version}`, { where: source, hint: spec.versionHint });
  }
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    const rule = issue.code === "custom" ? issue.message : `${path === "" ? "the document" : path} ${issueRule(issue)}`;
    throw new KpuError("KPU_SCHEMA", rule, { where: `${source}:${path || "(root)"}`, hint: spec.formatHint });
  }
  return parsed.data;
}
