import { describe, expect, it } from "vitest";
import { bertLayerExample, mlpExample } from "@kpu/ir";

describe("built-in examples", () => {
  it("the seed MLP has 5 ops and 9 tensors", () => {
    const g = mlpExample();
    expect(g.ops).toHaveLength(5);
    expect(g.tensors).toHaveLength(9);
    expect(g.ops.map((o) => o.kind)).toEqual(["matmul", "relu", "matmul", "relu", "matmul"]);
  });

  it("the BERT layer has the four projection matmuls with BERT-base shapes", () => {
    const g = bertLayerExample(384);
    const shapes = new Map(g.tensors.map((t) => [t.name, t.shape.join("x")]));
    expect(g.ops.filter((o) => o.kind === "matmul").map((o) => o.inputs.map((i) => shapes.get(i)).join(" * "))).toEqual([
      "384x768 * 768x2304",
      "384x768 * 768x768",
      "384x768 * 768x3072",
      "384x3072 * 3072x768",
    ]);
  });
});
