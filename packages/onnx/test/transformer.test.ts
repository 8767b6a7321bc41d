import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Graph } from "@kpu/ir";
import { importOnnxModel } from "@kpu/onnx";
import { countMacs, countParams } from "./macs.js";
import { attr, int64s, node, scalar, valueInfo, weight, writeModel } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-tf-"));
const kinds = (g: Graph): string[] => g.ops.map((o) => o.kind);
const shapeOf = (g: Graph, name: string): readonly number[] | undefined => g.tensors.find((t) => t.name === name)?.shape;

/** The decomposed layer norm PyTorch exports before opset 17, over `axes`. */
function decomposedLayerNorm(file: string, axes: number[]): string {
  return writeModel(join(dir, file), {
    opset: 14,
    inputs: [valueInfo("x", [2, 5, 8])],
    outputs: [valueInfo("y", [2, 5, 8])],
    initializers: [weight("gamma", [8]), weight("beta", [8])],
    nodes: [
      node("ReduceMean", ["x"], ["mean"], [attr.ints("axes", axes)]),
      node("Sub", ["x", "mean"], ["d"]),
      scalar("two", 2),
      node("Pow", ["d", "two"], ["d2"]),
      node("ReduceMean", ["d2"], ["var"], [attr.ints("axes", axes)]),
      scalar("eps", 1e-6),
      node("Add", ["var", "eps"], ["ve"]),
      node("Sqrt", ["ve"], ["std"]),
      node("Div", ["d", "std"], ["n"]),
      node("Mul", ["n", "gamma"], ["s"]),
      node("Add", ["s", "beta"], ["y"], [], "ln_out"),
    ],
  });
}

describe("pattern matching", () => {
  it("turns a decomposed layer norm into one layer_norm with its epsilon, scale and bias", () => {
    const { graph, report } = importOnnxModel(decomposedLayerNorm("ln.onnx", [-1]));
    expect(kinds(graph)).toEqual(["layer_norm"]);
    expect(graph.ops[0]).toMatchObject({ inputs: ["x", "gamma", "beta"], outputs: ["y"], axis: 2 });
    expect((graph.ops[0] as { epsilon: number }).epsilon).toBeCloseTo(1e-6, 10);
    expect(report.folded.layerNorms).toBe(1);
    expect(countParams(graph)).toBe(16);
  });

  it("keeps the decomposed ops when the reduction is not over the last dimensions", () => {
    const { graph } = importOnnxModel(decomposedLayerNorm("ln-mid.onnx", [1]));
    expect(kinds(graph)).toEqual(["reduce_mean", "sub", "mul", "reduce_mean", "add", "sqrt", "div", "mul", "add"]);
    expect(shapeOf(graph, "y")).toEqual([2, 5, 8]);
  });

  const geluForms: [string, Record<string, unknown>[]][] = [
    [
      "x * (1 + erf(x / sqrt2)) * 0.5",
      [node("Div", ["x", "sqrt2"], ["a"]), node("Erf", ["a"], ["e"]), node("Add", ["e", "one"], ["p"]), node("Mul", ["x", "p"], ["m"]), node("Mul", ["m", "half"], ["y"])],
    ],
    [
      "(x * 0.5) * (1 + erf(x * 1/sqrt2))",
      [node("Mul", ["x", "half"], ["h"]), node("Mul", ["x", "rsqrt2"], ["a"]), node("Erf", ["a"], ["e"]), node("Add", ["one", "e"], ["p"]), node("Mul", ["h", "p"], ["y"])],
    ],
    [
      "((1 + erf(x / sqrt2)) * 0.5) * x",
      [node("Div", ["x", "sqrt2"], ["a"]), node("Erf", ["a"], ["e"]), node("Add", ["e", "one"], ["p"]), node("Mul", ["p", "half"], ["m"]), node("Mul", ["m", "x"], ["y"])],
    ],
  ];
  it.each(geluForms)("turns the Erf GELU %s into one gelu", (_, nodes) => {
    const path = writeModel(join(dir, `gelu-${Math.random().toString(36).slice(2)}.onnx`), {
      inputs: [valueInfo("x", [4, 16])],
      outputs: [valueInfo("y", [4, 16])],
      nodes: [scalar("sqrt2", Math.SQRT2), scalar("rsqrt2", Math.SQRT1_2), scalar("one", 1), scalar("half", 0.5), ...nodes],
    });
    const { graph, report } = importOnnxModel(path);
    expect(kinds(graph)).toEqual(["gelu"]);
    expect(graph.ops[0]).toMatchObject({ inputs: ["x"], outputs: ["y"] });
    expect(report.folded.gelus).toBe(1);
  });

  it("does not match an Erf whose scale is not 1/sqrt2", () => {
    const path = writeModel(join(dir, "not-gelu.onnx"), {
      inputs: [valueInfo("x", [4, 16])],
      outputs: [valueInfo("y", [4, 16])],
      nodes: [scalar("c", 2), scalar("one", 1), scalar("half", 0.5), ...geluForms[0]![1].map((n) => (n.op_type === "Div" ? node("Div", ["x", "c"], ["a"]) : n))],
    });
    expect(kinds(importOnnxModel(path).graph)).toEqual(["div", "erf", "add", "mul", "mul"]);
  });
});

/**
 * One self-attention block as PyTorch exports it with dynamic batch and sequence: the head split reads the input's
 * shape through Shape -> Gather -> Unsqueeze -> Concat, which folds once --batch and --seq are given.
 */
function attention(d = 16, heads = 2): string {
  const dh = d / heads;
  const shapeOfX = [node("Shape", ["x"], ["sx"]), node("Gather", ["sx", "i0"], ["b"], [attr.i("axis", 0)]), node("Gather", ["sx", "i1"], ["s"], [attr.i("axis", 0)])];
  const unsq = (v: string) => node("Unsqueeze", [v, "ax0"], [`${v}_u`]);
  const split = (p: string) => [
    node("MatMul", ["x", `w${p}`], [`${p}0`]),
    node("Add", [`${p}0`, `b${p}`], [`${p}1`]),
    node("Concat", ["b_u", "s_u", "h", "dh"], [`${p}shape`], [attr.i("axis", 0)]),
    node("Reshape", [`${p}1`, `${p}shape`], [`${p}2`]),
    node("Transpose", [`${p}2`], [p], [attr.ints("perm", p === "k" ? [0, 2, 3, 1] : [0, 2, 1, 3])]),
  ];
  return writeModel(join(dir, "attention.onnx"), {
    opset: 14,
    inputs: [valueInfo("x", ["batch_size", "sequence_length", d])],
    outputs: [valueInfo("y", ["batch_size", "sequence_length", d])],
    initializers: [
      ...["q", "k", "v", "o"].flatMap((p) => [weight(`w${p}`, [d, d]), weight(`b${p}`, [d])]),
      int64s("i0", [], [0]),
      int64s("i1", [], [1]),
      int64s("ax0", [1], [0]),
      int64s("h", [1], [heads]),
      int64s("dh", [1], [dh]),
      int64s("minus1", [1], [-1]),
    ],
    nodes: [
      ...shapeOfX,
      unsq("b"),
      unsq("s"),
      ...split("q"),
      ...split("k"),
      ...split("v"),
      node("MatMul", ["q", "k"], ["scores"]),
      scalar("scale", Math.sqrt(dh)),
      node("Div", ["scores", "scale"], ["scaled"]),
      node("Softmax", ["scaled"], ["p"], [attr.i("axis", -1)]),
      node("MatMul", ["p", "v"], ["ctx"]),
      node("Transpose", ["ctx"], ["ctx_t"], [attr.ints("perm", [0, 2, 1, 3])]),
      node("Concat", ["b_u", "s_u", "minus1"], ["merged_shape"], [attr.i("axis", 0)]),
      node("Reshape", ["ctx_t", "merged_shape"], ["merged"]),
      node("MatMul", ["merged", "wo"], ["o0"]),
      node("Add", ["o0", "bo"], ["y"]),
    ],
  });
}

describe("an attention block with Shape/Gather chains and dynamic dimensions", () => {
  it("folds the shape logic once batch and seq are given, leaving batched matmuls per head", () => {
    const [batch, seq, d, heads] = [3, 10, 16, 2];
    const { graph } = importOnnxModel(attention(d, heads), { batch, seq });
    const k = kinds(graph);
    expect(k.filter((x) => x === "batch_matmul")).toHaveLength(6);
    expect(k).not.toContain("gather");
    expect(shapeOf(graph, "x")).toEqual([batch, seq, d]);
    expect(shapeOf(graph, "q")).toEqual([batch, heads, seq, d / heads]);
    expect(shapeOf(graph, "k")).toEqual([batch, heads, d / heads, seq]);
    expect(shapeOf(graph, "scores")).toEqual([batch, heads, seq, seq]);
    expect(shapeOf(graph, "merged")).toEqual([batch, seq, d]);
    expect(shapeOf(graph, "y")).toEqual([batch, seq, d]);
    // four projections B*S*D*D, QK^T and AV: B*H*S*S*dh each
    expect(countMacs(graph)).toBe(4 * batch * seq * d * d + 2 * batch * heads * seq * seq * (d / heads));
    expect(countParams(graph)).toBe(4 * (d * d + d));
    // the scale 1/sqrt(dh) is a constant input of the graph, not a weight
    expect(graph.tensors.find((t) => t.name === "scale")).toMatchObject({ shape: [1] });
    expect(graph.tensors.find((t) => t.name === "scale")?.weight).toBeUndefined();
  });

  it("names the input and the dimension when a dynamic dimension has no value", () => {
    const path = attention();
    expect(() => importOnnxModel(path, { batch: 1 })).toThrow(/input "x" dimension 1 is "sequence_length", and no value was given/);
    try {
      importOnnxModel(path, {});
    } catch (e) {
      expect(e).toMatchObject({ code: "KPU_ONNX_DYNAMIC_DIM", category: "input", where: path, hint: expect.stringMatching(/--batch/) as unknown });
    }
    expect(shapeOf(importOnnxModel(path, { dims: { batch_size: 2, sequence_length: 7 } }).graph, "y")).toEqual([2, 7, 16]);
  });
});
