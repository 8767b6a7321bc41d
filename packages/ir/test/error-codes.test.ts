import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CATALOGUE, EXIT_CODES, KpuError, errorCategory, formatKpuError, isKpuErrorCode } from "@kpu/ir";

const root = join(import.meta.dirname, "../../..");
/** Names that look like codes but are not errors: a C function placeholder and the C harness's test-only environment variables. */
const NOT_ERROR_CODES = new Set(["KPU_FN", "KPU_CANARY_BEST_S", "KPU_FAKE_TIMES_US", "KPU_HIDE_PEERS"]);
const CATALOGUE_FILE = join(root, "packages/ir/src/error-codes.ts");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") && path !== CATALOGUE_FILE ? [path] : [];
  });
}

const sources = [
  ...readdirSync(join(root, "packages")).map((p) => join(root, "packages", p, "src")),
  join(root, "apps/cli/src"),
].flatMap((dir) => {
  try {
    return sourceFiles(dir);
  } catch {
    return [];
  }
});
const text = sources.map((file) => readFileSync(file, "utf8")).join("\n");
const used = new Set([...text.matchAll(/["'`](KPU_[A-Z0-9_]+)["'`]/g)].map((m) => m[1]!).filter((c) => !NOT_ERROR_CODES.has(c)));

describe("the error catalogue", () => {
  it("scans the sources of every package and the CLI", () => {
    expect(sources.length).toBeGreaterThan(50);
    expect(used.size).toBeGreaterThan(30);
  });

  it("holds every code the sources use", () => {
    expect([...used].filter((code) => !isKpuErrorCode(code))).toEqual([]);
  });

  it("has no entry that no source uses", () => {
    expect(Object.keys(ERROR_CATALOGUE).filter((code) => !used.has(code))).toEqual([]);
  });

  it("builds no code from a template string", () => {
    expect(text).not.toMatch(/`KPU_[A-Z0-9_]*\$\{/);
  });

  it("gives every entry a title, a description, a hint and a category with a documented exit code", () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^KPU_[A-Z0-9_]+$/);
      expect(spec.title.length, code).toBeGreaterThan(0);
      expect(spec.description.length, code).toBeGreaterThan(0);
      expect(spec.hint, code).toMatch(/\.$/);
      expect(["input", "environment", "internal", "check"]).toContain(spec.category);
    }
    expect(EXIT_CODES).toEqual({ input: 2, environment: 4, internal: 3, check: 1 });
  });

  it("merges the six bad-dimension codes into one", () => {
    for (const old of ["KPU_IR_BAD_DIM", "KPU_L3_BAD_DIM", "KPU_FABRIC_BAD_DIM", "KPU_CPU_BAD_SHAPE", "KPU_SCALESIM_BAD_DIM"]) {
      expect(isKpuErrorCode(old), old).toBe(false);
      expect(used.has(old), old).toBe(false);
    }
    expect(isKpuErrorCode("KPU_BAD_DIM")).toBe(true);
  });

  it("puts bugs, the environment and failed checks in their categories", () => {
    expect(errorCategory("KPU_SIM_DEADLOCK")).toBe("internal");
    expect(errorCategory("KPU_INTERNAL")).toBe("internal");
    expect(errorCategory("KPU_CPU_COMPILE_FAILED")).toBe("environment");
    expect(errorCategory("KPU_CPU_NO_COMPILER")).toBe("environment");
    expect(errorCategory("KPU_WRITE_FAILED")).toBe("environment");
    expect(errorCategory("KPU_CHECK_FAILED")).toBe("check");
    expect(errorCategory("KPU_BAD_FLAG")).toBe("input");
    expect(errorCategory("KPU_NOT_A_CODE")).toBe("internal");
  });

  it("gives a KpuError its category and the catalogue's hint when the throw site has none", () => {
    const e = new KpuError("KPU_SIM_DEADLOCK", "stuck");
    expect(e.category).toBe("internal");
    expect(formatKpuError(e)).toBe(`error KPU_SIM_DEADLOCK: stuck\n  hint: ${ERROR_CATALOGUE.KPU_SIM_DEADLOCK.hint}`);
    expect(new KpuError("KPU_BAD_DIM", "m = 0", { hint: "Pass --m 1." }).hint).toBe("Pass --m 1.");
    // @ts-expect-error an unknown code does not compile (and counts as internal for callers without types)
    expect(new KpuError("KPU_NO_SUCH_CODE", "x").category).toBe("internal");
  });
});
