// Shared Vitest base: tests run against sibling packages' sources through the @kpu/source condition.
import { defineConfig } from "vitest/config";

export const baseConfig = defineConfig({
  resolve: { conditions: ["@kpu/source"] },
  ssr: { resolve: { conditions: ["@kpu/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
