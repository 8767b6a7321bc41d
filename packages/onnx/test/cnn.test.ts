import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importOnnxModel } from "@kpu/onnx";
import { countMacs, countParams } from "./macs.js";
import { attr, int64s, node, valueInfo, weight, writeModel } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-cnn-"));

/**
 * x[1,3,32,32] -> Conv 3x3 s2 p1 (16, bias) -> BN -> Relu -> MaxPool 3x3 s2 p1 -> Pad 1 -> Conv 3x3 (16, depthwise)
 * -> Clip(0, 6) -> Conv 1x1 (32) -> BN -> Relu -> GlobalAveragePool -> Flatten -> Gemm(transB, 10 classes).
 */
function cnn(opset = 17): string {
  const bn = (p: string, c: number) => [weight(`${p}.s`, [c]), weight(`${p}.b`, [c]), weight(`${p}.m`, [c]), weight(`${p}.v`, [c])];
  const clip = opset >= 11 ? node("Clip", ["dw", "zero", "six"], ["r6"]) : node("Clip", ["dw"], ["r6"], [attr.f("min", 0), attr.f("max", 6)]);
  return writeModel(join(dir, `cnn-${opset}.onnx`), {
    opset,
    inputs: [valueInfo("x", [1, 3, 32, 32])],
    outputs: [valueInfo("logits", [1, 10])],
    initializers: [
      weight("w1", [16, 3, 3, 3]),
      weight("b1", [16]),
      ...bn("bn1", 16),
      weight("wdw", [16, 1, 3, 3]),
      weight("w2", [32, 16, 1, 1]),
      ...bn("bn2", 32),
      weight("fc.w", [10, 32]),
      weight("fc.b", [10]),
      int64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1]),
      { name: "zero", dims: [], data_type: 1, raw_data: new Uint8Array(new Float32Array([0]).buffer) },
      { name: "six", dims: [], data_type: 1, raw_data: new Uint8Array(new Float32Array([6]).buffer) },
    ],
    nodes: [
      node("Conv", ["x", "w1", "b1"], ["c1"], [attr.ints("kernel_shape", [3, 3]), attr.ints("strides", [2, 2]), attr.ints("pads", [1, 1, 1, 1])], "conv1"),
      node("BatchNormalization", ["c1", "bn1.s", "bn1.b", "bn1.m", "bn1.v"], ["n1"], [attr.f("epsilon", 1e-5)], "bn1"),
      node("Relu", ["n1"], ["r1"]),
      node("MaxPool", ["r1"], ["p1"], [attr.ints("kernel_shape", [3, 3]), attr.ints("strides", [2, 2]), attr.ints("pads", [1, 1, 1, 1])]),
      ...(opset >= 11 ? [node("Pad", ["p1", "pads"], ["padded"])] : [node("Pad", ["p1"], ["padded"], [attr.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])])]),
      node("Conv", ["padded", "wdw"], ["dw"], [attr.ints("kernel_shape", [3, 3]), attr.i("group", 16)], "dwconv"),
      clip,
      node("Conv", ["r6", "w2"], ["c2"], [attr.ints("kernel_shape", [1, 1])], "pwconv"),
      node("BatchNormalization", ["c2", "bn2.s", "bn2.b", "bn2.m", "bn2.v"], ["n2"], [], "bn2"),
      node("Relu", ["n2"], ["r2"]),
      node("GlobalAveragePool", ["r2"], ["gap"]),
      node("Flatten", ["gap"], ["flat"], [attr.i("axis", 1)]),
      node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], [attr.i("transB", 1)], "fc"),
    ],
  });
}

describe("a CNN: conv + BN + relu + pool + gemm", () => {
  it("folds BN and the zero Pad into the convs and keeps every float initializer as a weight", () => {
    const { graph, report } = importOnnxModel(cnn());
    const kinds = graph.ops.map((o) => o.kind);
    expect(kinds.filter((k) => k === "conv2d")).toHaveLength(3);
    expect(kinds).not.toContain("pad");
    expect(report.folded).toMatchObject({ batchNorms: 2, pads: 1 });
    const shape = (name: string) => graph.tensors.find((t) => t.name === name)?.shape;
    // 32 -> conv s2 p1: floor((32 + 2 - 3) / 2) + 1 = 16; maxpool s2 p1: floor((16 + 2 - 3) / 2) + 1 = 8; pad 1 + 3x3: 8
    expect(shape("n1")).toEqual([1, 16, 16, 16]);
    expect(shape("p1")).toEqual([1, 16, 8, 8]);
    expect(shape("dw")).toEqual([1, 16, 8, 8]);
    expect(shape("logits")).toEqual([1, 10]);
    const dw = graph.ops.find((o) => o.id === "dwconv");
    expect(dw).toMatchObject({ kind: "conv2d", groups: 16, padding: [1, 1, 1, 1] });
    const conv1 = graph.ops.find((o) => o.outputs[0] === "n1");
    expect(conv1).toMatchObject({ kind: "conv2d", stride: [2, 2], epilogue: [{ kind: "bias_add" }, { kind: "mul" }, { kind: "add" }] });
    expect(graph.ops.find((o) => o.kind === "clip")).toMatchObject({ min: 0, max: 6 });
    // params: every float initializer of the file but the two Clip bounds (constants)
    const expected = 16 * 27 + 16 + 4 * 16 + 16 * 9 + 32 * 16 + 4 * 32 + 320 + 10;
    expect(countParams(graph)).toBe(expected);
    expect(report.initializerParams).toBe(expected + 2);
    // MACs by hand: 16*16*16*27 + 16*8*8*9 + 32*8*8*16 + 10*32
    expect(countMacs(graph)).toBe(16 * 16 * 16 * 27 + 16 * 64 * 9 + 32 * 64 * 16 + 320);
    // the transposed Gemm weight is declared in the layout the matmul reads
    expect(graph.tensors.find((t) => t.name === "fc.w")).toMatchObject({ shape: [32, 10], weight: true });
  });

  it("reads the opset-10 forms (Clip and Pad attributes) the same way", () => {
    const a = importOnnxModel(cnn(17)).graph;
    const b = importOnnxModel(cnn(10)).graph;
    expect(b.ops.map((o) => o.kind)).toEqual(a.ops.map((o) => o.kind));
    expect(countMacs(b)).toBe(countMacs(a));
  });

  it("never reads a float weight's data: a weight whose raw_data is far too short still imports", () => {
    const path = writeModel(join(dir, "short-raw.onnx"), {
      inputs: [valueInfo("x", [4, 1000])],
      outputs: [valueInfo("y", [4, 1000])],
      initializers: [weight("w", [1000, 1000], new Uint8Array(4))],
      nodes: [node("MatMul", ["x", "w"], ["y"])],
    });
    const { graph, report } = importOnnxModel(path);
    expect(countParams(graph)).toBe(1_000_000);
    expect(report.initializerParams).toBe(1_000_000);
  });
});
