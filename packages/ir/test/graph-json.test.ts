import { describe, expect, it } from "vitest";
import { GRAPH_SCHEMA_VERSION, KpuError, bertLayerExample, graphToJson, mlpExample, parseGraphJson } from "@kpu/ir";

function codeOf(text: string): { code: string; where: string | undefined } {
  try {
    parseGraphJson(text, "model.json");
  } catch (e) {
    if (e instanceof KpuError) return { code: e.code, where: e.where };
    throw e;
  }
  throw new Error("expected a KpuError");
}

describe("graph JSON format", () => {
  it("round-trips the examples exactly", () => {
    for (const g of [mlpExample(), bertLayerExample(64)]) {
      const json = graphToJson(g);
      expect(json.schemaVersion).toBe(GRAPH_SCHEMA_VERSION);
      expect(graphToJson(parseGraphJson(JSON.stringify(json)))).toEqual(json);
    }
  });

  it("names the offending field of a schema error", () => {
    const json = graphToJson(mlpExample()) as { ops: { kind: string }[] };
    json.ops[2]!.kind = "conv3d";
    expect(codeOf(JSON.stringify(json))).toEqual({ code: "KPU_SCHEMA", where: "model.json:ops[2].kind" });
  });

  it("refuses another schema version with its own error", () => {
    const json = { ...graphToJson(mlpExample()), schemaVersion: 3 };
    expect(codeOf(JSON.stringify(json)).code).toBe("KPU_SCHEMA_VERSION");
  });

  it("still reads version 1 files, and refuses version 2 ops in them", () => {
    const v1 = { ...graphToJson(mlpExample()), schemaVersion: 1 };
    expect(graphToJson(parseGraphJson(JSON.stringify(v1)))).toEqual(graphToJson(mlpExample()));
    const conv = {
      schemaVersion: 1,
      kind: "kpu.graph",
      name: "c",
      tensors: [
        { name: "x", shape: [1, 3, 8, 8], dtype: "fp32" },
        { name: "w", shape: [4, 3, 3, 3], dtype: "fp32" },
        { name: "y", shape: [1, 4, 6, 6], dtype: "fp32" },
      ],
      inputs: ["x", "w"],
      outputs: ["y"],
      ops: [{ id: "c", kind: "conv2d", inputs: ["x", "w"], outputs: ["y"] }],
    };
    expect(codeOf(JSON.stringify(conv))).toEqual({ code: "KPU_SCHEMA", where: "model.json:ops[0].kind" });
    expect(parseGraphJson(JSON.stringify({ ...conv, schemaVersion: 2 })).ops[0]).toMatchObject({ kind: "conv2d", stride: [1, 1], groups: 1 });
  });

  it("refuses text that is not JSON", () => {
    expect(codeOf("{ not json").code).toBe("KPU_BAD_SYNTAX");
  });

  it("runs semantic validation after the schema", () => {
    const json = graphToJson(mlpExample());
    const bad = { ...json, tensors: json.tensors.map((t) => (t.name === "w2" ? { ...t, shape: [63, 32] } : t)) };
    expect(codeOf(JSON.stringify(bad)).code).toBe("KPU_IR_SHAPE_MISMATCH");
  });
});
