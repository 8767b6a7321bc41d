import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ERROR_CATALOGUE } from "@kpu/ir";
import { runCli } from "@kpu/cli";
import { kpu } from "./helpers.js";

describe("kpu errors", () => {
  it("lists every code with category, exit code, title and hint", async () => {
    const r = await kpu("errors", "--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { code: string; category: string; exitCode: number; title: string; hint: string }[];
    expect(rows.map((row) => row.code).sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
    expect(rows.find((row) => row.code === "KPU_SIM_DEADLOCK")).toMatchObject({ category: "internal", exitCode: 3 });
    expect(rows.find((row) => row.code === "KPU_CHECK_FAILED")).toMatchObject({ category: "check", exitCode: 1 });
  });

  it("prints a table that fits the terminal", async () => {
    const r = await kpu("errors");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^code\s+category\s+exit\s+title\s+hint$/);
    expect(lines).toHaveLength(Object.keys(ERROR_CATALOGUE).length + 1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(process.stdout.columns || 120);
  });
});

describe("exit codes by category", () => {
  const savedCc = process.env.CC;
  afterEach(() => {
    if (savedCc === undefined) delete process.env.CC;
    else process.env.CC = savedCc;
  });

  it("exits 2 for bad input", async () => {
    const r = await kpu("l3", "analyze", "--m", "0", "--n", "8", "--k", "8");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_BAD_DIM at --m: /);
  });

  it("exits 4 for the environment (no C compiler)", async () => {
    process.env.CC = "/nonexistent/cc";
    const r = await kpu("cpu", "bench", "--m", "8", "--n", "8", "--k", "8");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error KPU_CPU_NO_COMPILER at \$CC: /);
  });

  it("exits 3 with one line and no stack for an unexpected exception", async () => {
    let stderr = "";
    const code = await runCli(["errors"], {
      stdout: () => {
        throw new TypeError("boom");
      },
      stderr: (t) => (stderr += t),
    });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error KPU_INTERNAL: boom\n {2}hint: This is a bug in kpu; please report it/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("a bad usage exits 2 with KPU_USAGE", async () => {
    const r = await kpu("compile", "--no-such-flag");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_USAGE: unknown option '--no-such-flag'/);
  });

  it("a file that is not there is an input mistake (2); one that cannot be read as a file is too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpu-errors-"));
    writeFileSync(join(dir, "m.json"), "{");
    expect((await kpu("compile", join(dir, "missing.json"))).code).toBe(2);
    const bad = await kpu("compile", join(dir, "m.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error KPU_BAD_SYNTAX at /);
  });
});

describe("usage", () => {
  it("prints the help and exits 0 with no arguments", async () => {
    const r = await kpu();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kpu /);
    expect(r.stderr).toBe("");
  });

  it("`kpu help l3 sweep` shows the l3 sweep help", async () => {
    const r = await kpu("help", "l3", "sweep");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kpu l3 sweep /);
    expect(r.stdout).toContain("--preset");
  });

  it("commander's .choices() and oneOf give the same code and message shape for an invalid choice", async () => {
    const choices = await kpu("sim", "--m", "8", "--n", "8", "--k", "8", "--strategy", "xx");
    const hand = await kpu("l3", "analyze", "--m", "8", "--n", "8", "--k", "8", "--model", "xx");
    expect(choices.code).toBe(2);
    expect(hand.code).toBe(2);
    expect(choices.stderr).toBe('error KPU_BAD_FLAG at --strategy: "xx" is not one of ws, is, os\n  hint: Use one of: ws, is, os.\n');
    expect(hand.stderr).toMatch(/^error KPU_BAD_FLAG at --model: "xx" is not one of kpu, kpu-sim\n {2}hint: Use one of: kpu, kpu-sim\.\n$/);
  });
});
