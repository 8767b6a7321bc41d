// Shared build: ESM + .d.ts for Node 20. `entry` adds extra runtime entry points (a CLI binary, a worker thread);
// declarations are generated for the public entry src/index.ts only.
import { defineConfig } from "tsup";

/** @param {{ entry?: string[] }} [options] */
export function kpuTsup(options = {}) {
  return defineConfig({
    entry: ["src/index.ts", ...(options.entry ?? [])],
    format: ["esm"],
    dts: { entry: "src/index.ts" },
    clean: true,
    sourcemap: true,
    target: "node20",
  });
}
