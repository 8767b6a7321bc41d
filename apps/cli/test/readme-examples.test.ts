/**
 * The root README's example commands and the numbers in their comments: each example runs in-process and every
 * number its comment states must appear in what it prints (the numbers are derived here, not just written down).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

const readme = readFileSync(join(import.meta.dirname, "../../../README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "kpu-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `pnpm kpu ... # comment` lines whose comment states numbers. */
const examples = [...readme.matchAll(/^pnpm kpu ([^#\n]+?)\s+#\s*(.+)$/gm)]
  .map((m) => ({ args: m[1]!.trim().split(/\s+/), comment: m[2]!.trim() }))
  .filter((e) => /\d/.test(e.comment.replace(/H\d+-H\d+/g, "")))
  // the comprehensive sweep's speed is a benchmark (`pnpm bench`), not a unit test
  .filter((e) => e.args[0] !== "l3" || e.args[1] !== "sweep");

/** Output files go to a scratch folder, never the working tree. */
const scratch = (args: string[]): string[] => args.map((a, i) => (["--out", "--gantt", "--emit-mapping"].includes(args[i - 1] ?? "") ? join(dir, a) : a));
const plain = (s: string): string => s.replace(/(\d),(?=\d{3})/g, "$1");

describe("README examples print the numbers their comments state", () => {
  it("finds the examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });
  it.each(examples.map((e) => [e.args.join(" "), e] as const))("kpu %s", async (_name, e) => {
    const r = await kpu(...scratch(e.args));
    expect(r.code, r.stderr).toBe(0);
    const out = plain(r.stdout);
    for (const n of plain(e.comment).match(/\d+(\.\d+)?/g) ?? []) {
      expect(out, `${e.comment}: ${n}`).toMatch(new RegExp(`(^|[^\\d.])${n.replace(".", "\\.")}($|[^\\d])`));
    }
  }, 120_000);
});
