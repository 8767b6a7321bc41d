import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KpuError } from "@kpu/ir";
import { importOnnxModel, MAX_OPSET, SUPPORTED_OPS } from "@kpu/onnx";
import { attr, int64s, node, valueInfo, weight, writeModel, type ModelSpec } from "./onnx-writer.js";

const dir = mkdtempSync(join(tmpdir(), "onnx-bad-"));

function errorOf(fn: () => unknown): KpuError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KpuError) return e;
    throw e;
  }
  throw new Error("expected a KpuError");
}

const good: ModelSpec = {
  inputs: [valueInfo("x", [2, 8])],
  outputs: [valueInfo("y", [2, 4])],
  initializers: [weight("w", [8, 4])],
  nodes: [node("MatMul", ["x", "w"], ["h"]), node("Relu", ["h"], ["y"])],
};

describe("bad ONNX files", () => {
  it("refuses a truncated file, naming it", () => {
    const whole = readFileSync(writeModel(join(dir, "whole.onnx"), good));
    const path = join(dir, "truncated.onnx");
    writeFileSync(path, whole.subarray(0, whole.length - 7));
    const e = errorOf(() => importOnnxModel(path));
    expect(e.code).toBe("KPU_ONNX_CORRUPT");
    expect(e.category).toBe("input");
    expect(e.where).toBe(path);
    expect(e.message).toMatch(/truncated\.onnx is not a readable ONNX model/);
  });

  it("refuses a file that is not ONNX at all", () => {
    const text = join(dir, "notes.onnx");
    writeFileSync(text, "this is a text file, not a model\n");
    expect(errorOf(() => importOnnxModel(text)).code).toBe("KPU_ONNX_CORRUPT");
    const empty = join(dir, "empty.onnx");
    writeFileSync(empty, "");
    expect(errorOf(() => importOnnxModel(empty))).toMatchObject({ code: "KPU_ONNX_CORRUPT", message: expect.stringMatching(/no graph/) as unknown });
  });

  it("reports a missing file as such", () => {
    expect(errorOf(() => importOnnxModel(join(dir, "nope.onnx"))).code).toBe("KPU_NO_SUCH_FILE");
  });

  it.each([5, MAX_OPSET + 1])("refuses opset %i", (opset) => {
    const path = writeModel(join(dir, `opset-${opset}.onnx`), { ...good, opset });
    const e = errorOf(() => importOnnxModel(path));
    expect(e).toMatchObject({ code: "KPU_ONNX_OPSET", where: path });
    expect(e.message).toContain(`opset ${opset}`);
  });

  it("refuses an unsupported node, naming it, its op type and the supported list", () => {
    const spec: ModelSpec = {
      ...good,
      outputs: [valueInfo("y", [2, 4])],
      nodes: [node("MatMul", ["x", "w"], ["h"]), node("LeakyRelu", ["h"], ["l"], [], "leaky1"), node("Relu", ["l"], ["y"])],
      valueInfo: [valueInfo("l", [2, 4])],
    };
    const path = writeModel(join(dir, "leaky.onnx"), spec);
    const e = errorOf(() => importOnnxModel(path));
    expect(e.code).toBe("KPU_ONNX_UNSUPPORTED_OP");
    expect(e.where).toBe(`${path}: node "leaky1" (LeakyRelu)`);
    expect(e.message).toContain("the operator LeakyRelu");
    expect(e.message).toContain(SUPPORTED_OPS.join(", "));
    expect(e.hint).toMatch(/allow-unsupported/);
  });

  it("with allowUnsupported, cuts the graph at the node and reports it as unmodelled", () => {
    const spec: ModelSpec = {
      ...good,
      nodes: [node("MatMul", ["x", "w"], ["h"]), node("LeakyRelu", ["h"], ["l"], [], "leaky1"), node("Relu", ["l"], ["y"])],
      valueInfo: [valueInfo("l", [2, 4])],
    };
    const { graph, report } = importOnnxModel(writeModel(join(dir, "leaky-ok.onnx"), spec), { allowUnsupported: true });
    expect(report.unmodelled).toEqual([{ node: "leaky1", opType: "LeakyRelu", reason: "the operator LeakyRelu", outputs: [{ name: "l", shape: [2, 4] }] }]);
    expect(graph.ops.map((o) => o.kind)).toEqual(["matmul", "relu"]);
    expect(graph.outputs).toEqual(["h", "y"]);
    expect(graph.inputs).toContain("l");
  });

  it("with allowUnsupported, still refuses when the file gives no shape for the unmodelled output", () => {
    const path = writeModel(join(dir, "leaky-noshape.onnx"), { ...good, nodes: [node("MatMul", ["x", "w"], ["h"]), node("LeakyRelu", ["h"], ["y"])], outputs: [valueInfo("y", ["n", 4])] });
    const e = errorOf(() => importOnnxModel(path, { allowUnsupported: true }));
    expect(e.code).toBe("KPU_ONNX_UNSUPPORTED_OP");
    expect(e.hint).toMatch(/infer_shapes/);
  });

  it("refuses an op of another domain and a mode kpu does not model", () => {
    const custom = writeModel(join(dir, "custom.onnx"), { ...good, nodes: [node("MatMul", ["x", "w"], ["h"]), { ...node("FusedGelu", ["h"], ["y"]), domain: "com.microsoft" }] });
    expect(errorOf(() => importOnnxModel(custom)).message).toMatch(/domain "com.microsoft"/);
    const reflect = writeModel(join(dir, "reflect.onnx"), {
      inputs: [valueInfo("x", [1, 1, 4, 4])],
      outputs: [valueInfo("y", [1, 1, 6, 6])],
      initializers: [int64s("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1])],
      nodes: [node("Pad", ["x", "pads"], ["y"], [attr.s("mode", "reflect")])],
    });
    expect(errorOf(() => importOnnxModel(reflect))).toMatchObject({ code: "KPU_ONNX_UNSUPPORTED_OP", message: expect.stringMatching(/reflect mode/) as unknown });
  });

  it("refuses a Reshape whose shape is computed from data, naming the node", () => {
    const path = writeModel(join(dir, "data-shape.onnx"), {
      inputs: [valueInfo("x", [2, 8]), valueInfo("s", [2], 7)],
      outputs: [valueInfo("y", [4, 4])],
      nodes: [node("Reshape", ["x", "s"], ["y"], [], "reshape1")],
    });
    const e = errorOf(() => importOnnxModel(path));
    expect(e).toMatchObject({ code: "KPU_ONNX_BAD_NODE", where: `${path}: node "reshape1" (Reshape)` });
    expect(e.message).toMatch(/the shape \(input 1, "s"\) is not a constant/);
  });

  it("names the file and node when shapes do not agree", () => {
    const path = writeModel(join(dir, "mismatch.onnx"), { ...good, initializers: [weight("w", [7, 4])] });
    const e = errorOf(() => importOnnxModel(path));
    expect(e.code).toBe("KPU_IR_SHAPE_MISMATCH");
    expect(e.where).toBe(`${path}: node "h" (MatMul)`);
  });
});

describe("bounded reading", () => {
  const big: ModelSpec = {
    inputs: [valueInfo("x", [2, 1024])],
    outputs: [valueInfo("y", [2, 512])],
    initializers: [weight("w", [1024, 512])], // 2 MiB of raw_data, stepped over on disk
    nodes: [node("MatMul", ["x", "w"], ["y"])],
  };

  it("steps over a large weight's data and still counts its elements", () => {
    const { report } = importOnnxModel(writeModel(join(dir, "big.onnx"), big));
    expect(report.graphParams).toBe(1024 * 512);
  });

  it("refuses a file cut inside a weight's data it would have stepped over", () => {
    const whole = readFileSync(writeModel(join(dir, "big2.onnx"), big));
    const path = join(dir, "cut-in-weight.onnx");
    writeFileSync(path, whole.subarray(0, whole.length >> 1));
    const e = errorOf(() => importOnnxModel(path));
    expect(e.code).toBe("KPU_ONNX_CORRUPT");
    expect(e.message).toMatch(/truncated/);
  });
});
