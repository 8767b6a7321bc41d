import { describe, expect, it, vi } from "vitest";
import type * as KpuModel from "@kpu/kpu-model";
import { kpu } from "./helpers.js";

// A verification that runs and fails: the executor's result is reported as a mismatch.
vi.mock("@kpu/kpu-model", async (importOriginal) => {
  const original = await importOriginal<typeof KpuModel>();
  return {
    ...original,
    verifySchedule: (...args: Parameters<typeof original.verifySchedule>) => ({ ...original.verifySchedule(...args), ok: false }),
  };
});

describe("a failed check", () => {
  it("`kpu run` exits 1 with KPU_CHECK_FAILED when verification fails", async () => {
    const r = await kpu("run", "--example", "mlp", "--tile", "32");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("VERIFICATION FAILED");
    expect(r.stderr).toMatch(/^error KPU_CHECK_FAILED at kpu run: /);
  });
});
