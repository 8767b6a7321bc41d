import type { z } from "zod";

/** Renders a zod issue path like `ops[2].inputs[0]`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** The rule a zod issue broke, in words for a person ("is missing", "has an unknown field (x)", "must be ..."). */
export function issueRule(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.message.includes("received undefined") ? "is missing" : `must be ${issue.expected === "int" ? "an integer" : `${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`}`;
    case "too_small":
      return issue.inclusive === false ? `must be greater than ${String(issue.minimum)}` : `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "unrecognized_keys":
      return `has an unknown field (${issue.keys.join(", ")})`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `is invalid (${issue.message})`;
  }
}
