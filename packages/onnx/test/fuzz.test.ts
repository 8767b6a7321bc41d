import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isKpuError } from "@kpu/ir";
import { importOnnxModel } from "@kpu/onnx";
import { attr, int64s, node, valueInfo, weight, writeModel } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-fuzz-"));

const original = readFileSync(
  writeModel(join(dir, "base.onnx"), {
    inputs: [valueInfo("x", ["batch", 3, 8, 8])],
    outputs: [valueInfo("y", ["batch", 10])],
    initializers: [weight("w", [4, 3, 3, 3]), weight("fc", [16, 10]), int64s("shape", [2], [0, -1])],
    nodes: [
      node("Conv", ["x", "w"], ["c"], [attr.ints("kernel_shape", [3, 3]), attr.ints("strides", [2, 2]), attr.ints("pads", [1, 1, 1, 1])]),
      node("Relu", ["c"], ["r"]),
      node("MaxPool", ["r"], ["p"], [attr.ints("kernel_shape", [2, 2]), attr.ints("strides", [2, 2])]),
      node("Reshape", ["p", "shape"], ["f"]),
      node("MatMul", ["f", "fc"], ["y"]),
    ],
  }),
);

describe("fuzzing", () => {
  it("a corrupted or truncated file imports or fails with a KpuError, never anything else", () => {
    const edit = fc.record({
      cut: fc.option(fc.integer({ min: 0, max: original.length - 1 }), { nil: undefined }),
      flips: fc.array(fc.tuple(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    });
    let n = 0;
    fc.assert(
      fc.property(edit, ({ cut, flips }) => {
        const bytes = Buffer.from(original.subarray(0, cut ?? original.length));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        const path = join(dir, `f${n++}.onnx`);
        writeFileSync(path, bytes);
        try {
          importOnnxModel(path, { batch: 2 });
        } catch (e) {
          expect(isKpuError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
