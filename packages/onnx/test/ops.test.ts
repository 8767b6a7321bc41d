import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Graph } from "@kpu/ir";
import { importOnnxModel } from "@kpu/onnx";
import { countParams } from "./macs.js";
import { attr, constant, int64s, node, scalar, valueInfo, weight, writeModel, type ModelSpec } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-ops-"));
let n = 0;
const load = (spec: ModelSpec, options = {}): Graph => importOnnxModel(writeModel(join(dir, `m${n++}.onnx`), spec), options).graph;
const shapeOf = (g: Graph, name: string): readonly number[] | undefined => g.tensors.find((t) => t.name === name)?.shape;
const kinds = (g: Graph): string[] => g.ops.map((o) => o.kind);

describe("operators and exporter patterns", () => {
  it("folds the Where(Equal(shape, -1), 1, shape) -> Expand mask pattern and expands a tensor by copies", () => {
    // ViT's class token: cls[1, 1, 8] expanded to [batch, 1, 8] through shape logic on x
    const g = load(
      {
        inputs: [valueInfo("x", ["batch", 4, 8])],
        outputs: [valueInfo("y", ["batch", 5, 8])],
        initializers: [weight("cls", [1, 1, 8]), int64s("i0", [1], [0]), int64s("rest", [2], [-1, -1])],
        nodes: [
          node("Shape", ["x"], ["sx"]),
          node("Gather", ["sx", "i0"], ["b"], [attr.i("axis", 0)]),
          node("Concat", ["b", "rest"], ["target"], [attr.i("axis", 0)]),
          constant("minus1", { dims: [3], data_type: 7, int64_data: [-1, -1, -1] }),
          node("Equal", ["target", "minus1"], ["is_neg"]),
          constant("three", { dims: [1], data_type: 7, int64_data: [3] }),
          node("ConstantOfShape", ["three"], ["ones"], [attr.t("value", { dims: [1], data_type: 7, int64_data: [1] })]),
          node("Where", ["is_neg", "ones", "target"], ["shape"]),
          node("Expand", ["cls", "shape"], ["cls_b"]),
          node("Concat", ["cls_b", "x"], ["y"], [attr.i("axis", 1)]),
        ],
      },
      { batch: 3 },
    );
    expect(shapeOf(g, "cls_b")).toEqual([3, 1, 8]);
    expect(shapeOf(g, "y")).toEqual([3, 5, 8]);
    expect(kinds(g)).toEqual(["concat", "concat"]);
    expect(countParams(g)).toBe(8);
  });

  it("picks a token with a scalar Gather (slice + reshape) and looks up embeddings with a Gather of ids", () => {
    const g = load({
      inputs: [valueInfo("ids", [2, 6], 7), valueInfo("h", [2, 6, 8])],
      outputs: [valueInfo("emb", [2, 6, 8]), valueInfo("first", [2, 8])],
      initializers: [weight("table", [100, 8]), int64s("zero", [], [0])],
      nodes: [node("Gather", ["table", "ids"], ["emb"]), node("Gather", ["h", "zero"], ["first"], [attr.i("axis", 1)])],
    });
    expect(shapeOf(g, "emb")).toEqual([2, 6, 8]);
    expect(shapeOf(g, "first")).toEqual([2, 8]);
    expect(kinds(g)).toEqual(["gather", "slice", "reshape"]);
  });

  it("reads Squeeze, Unsqueeze and Split with axes as attributes (opset 11) and as inputs (opset 13)", () => {
    const spec = (opset: number): ModelSpec => {
      const axes = (name: string) => (opset >= 13 ? [name] : []);
      const a = (values: number[]) => (opset >= 13 ? [] : [attr.ints("axes", values)]);
      return {
        opset,
        inputs: [valueInfo("x", [2, 1, 6])],
        outputs: [valueInfo("p", [2, 1, 2]), valueInfo("q", [2, 1, 4])],
        initializers: [int64s("ax1", [1], [1]), int64s("sizes", [2], [2, 4])],
        nodes: [
          node("Squeeze", ["x", ...axes("ax1")], ["s"], a([1])),
          node("Unsqueeze", ["s", ...axes("ax1")], ["u"], a([1])),
          node("Split", ["u", ...(opset >= 13 ? ["sizes"] : [])], ["p", "q"], [attr.i("axis", 2), ...(opset >= 13 ? [] : [attr.ints("split", [2, 4])])]),
        ],
      };
    };
    for (const opset of [11, 13]) {
      const g = load(spec(opset));
      expect(shapeOf(g, "s")).toEqual([2, 6]);
      expect(shapeOf(g, "p")).toEqual([2, 1, 2]);
      expect(shapeOf(g, "q")).toEqual([2, 1, 4]);
    }
  });

  it("slices a tensor with INT64_MAX ends and negative starts, and resolves 0 and -1 in Reshape", () => {
    const g = load({
      inputs: [valueInfo("x", [4, 10, 6])],
      outputs: [valueInfo("y", [4, 9, 2])],
      initializers: [
        int64s("starts", [1], [-6]),
        { name: "ends", dims: [1], data_type: 7, raw_data: new Uint8Array(new BigInt64Array([9223372036854775807n]).buffer) },
        int64s("axes", [1], [1]),
        int64s("steps", [1], [2]),
        int64s("shape", [3], [0, -1, 2]),
      ],
      nodes: [node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"]), node("Reshape", ["s", "shape"], ["y"])],
    });
    expect(shapeOf(g, "s")).toEqual([4, 3, 6]);
    expect(g.ops[0]).toMatchObject({ kind: "slice", starts: [-6], ends: [10], axes: [1], steps: [2] });
    expect(shapeOf(g, "y")).toEqual([4, 9, 2]);
  });

  it("lowers Gemm's alpha, beta and transA, Clip ReLU6, HardSwish, and a pre-13 Softmax over a middle axis", () => {
    const g = load({
      opset: 12,
      inputs: [valueInfo("x", [8, 4])],
      outputs: [valueInfo("sm", [2, 3, 4]), valueInfo("hs", [4, 6])],
      initializers: [weight("w", [8, 6]), weight("c", [4, 6]), int64s("shape", [3], [2, 3, 4])],
      nodes: [
        node("Gemm", ["x", "w", "c"], ["g"], [attr.i("transA", 1), attr.f("alpha", 0.5), attr.f("beta", 2)]),
        scalar("six", 6),
        node("Clip", ["g", "", "six"], ["r6"]),
        node("HardSwish", ["r6"], ["hs"]),
        node("Reshape", ["hs", "shape"], ["r"]),
        node("Softmax", ["r"], ["sm"], [attr.i("axis", 1)]),
      ],
    });
    expect(kinds(g).sort()).toEqual(["add", "add", "clip", "clip", "matmul", "mul", "mul", "mul", "mul", "reshape", "reshape", "reshape", "softmax", "transpose"]);
    expect(g.ops.find((o) => o.kind === "clip")).toMatchObject({ min: -3.4028234663852886e38, max: 6 });
    expect(shapeOf(g, "sm")).toEqual([2, 3, 4]);
    expect(g.ops.find((o) => o.kind === "softmax")).toMatchObject({ axis: -1 });
    expect(shapeOf(g, "sm.flat")).toEqual([2, 12]);
  });
});
