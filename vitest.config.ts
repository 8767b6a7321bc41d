import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // In CI, also write a JSON summary so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env.CI === "true" ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
  },
});
