// Fixture runner: test/fixtures/<pass>/<case>/{input.json, options.json} and either output.json (the expected IR)
// or error.json (the expected error code and location). UPDATE_FIXTURES=1 rewrites expectations (review the diff).
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { graphToJson, isKpuError, parseGraphJson, tiledProgramToJson, uopProgramToJson, type LoopOrder } from "@kpu/ir";
import { fuseGraph, lowerProgram, tileGraph, type LoweringOptions, type TilingOptions } from "@kpu/passes";

const root = join(import.meta.dirname, "fixtures");

const runners: Record<string, (input: string, options: Record<string, unknown>) => unknown> = {
  fusion: (input, options) => graphToJson(fuseGraph(parseGraphJson(input), options)),
  tiling: (input, options) => tiledProgramToJson(tileGraph(parseGraphJson(input), options)),
  lowering: (input, options) => {
    const { order, block, ...tiling } = options as unknown as TilingOptions & { order: LoopOrder } & LoweringOptions;
    return uopProgramToJson(lowerProgram(tileGraph(fuseGraph(parseGraphJson(input)), tiling), order, block === undefined ? {} : { block }));
  },
};

for (const pass of readdirSync(root)) {
  describe(`${pass} fixtures`, () => {
    for (const name of readdirSync(join(root, pass))) {
      const dir = join(root, pass, name);
      it(name, () => {
        const input = readFileSync(join(dir, "input.json"), "utf8");
        const options = JSON.parse(readFileSync(join(dir, "options.json"), "utf8")) as Record<string, unknown>;
        const run = runners[pass]!;
        let actual: unknown;
        try {
          actual = { output: run(input, options) };
        } catch (e) {
          if (!isKpuError(e)) throw e;
          actual = { error: { code: e.code, where: e.where } };
        }
        const file = "error" in (actual as object) ? "error.json" : "output.json";
        const value = (actual as Record<string, unknown>)[file === "error.json" ? "error" : "output"];
        if (process.env.UPDATE_FIXTURES === "1") writeFileSync(join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
        expect(existsSync(join(dir, file)), `${file} is the expected outcome`).toBe(true);
        expect(JSON.parse(JSON.stringify(value))).toEqual(JSON.parse(readFileSync(join(dir, file), "utf8")));
      });
    }
  });
}
