import { describe, expect, it } from "vitest";
import { GraphBuilder, KpuError, validateGraph, type Graph } from "@kpu/ir";

const base: Graph = {
  name: "g",
  tensors: [
    { name: "a", shape: [4, 8], dtype: "fp32" },
    { name: "b", shape: [8, 2], dtype: "fp32" },
    { name: "c", shape: [4, 2], dtype: "fp32" },
  ],
  inputs: ["a", "b"],
  outputs: ["c"],
  ops: [{ id: "mm", kind: "matmul", inputs: ["a", "b"], outputs: ["c"] }],
};

function errorOf(graph: Graph): KpuError {
  try {
    validateGraph(graph);
  } catch (e) {
    if (e instanceof KpuError) return e;
    throw e;
  }
  throw new Error("expected a KpuError");
}

describe("validateGraph", () => {
  it("accepts a well-formed graph", () => {
    expect(validateGraph(base).ops).toHaveLength(1);
  });

  it("rejects an inner-dimension mismatch, naming the op and both tensors", () => {
    const e = errorOf({ ...base, tensors: [base.tensors[0]!, { name: "b", shape: [7, 2], dtype: "fp32" }, base.tensors[2]!] });
    expect(e.code).toBe("KPU_IR_SHAPE_MISMATCH");
    expect(e.where).toBe('op "mm" (matmul)');
    expect(e.message).toContain('"a" is [4x8]');
    expect(e.message).toContain('"b" is [7x2]');
    expect(e.hint).toBeDefined();
  });

  it("rejects a declared output shape that disagrees with inference", () => {
    const e = errorOf({ ...base, tensors: [base.tensors[0]!, base.tensors[1]!, { name: "c", shape: [4, 3], dtype: "fp32" }] });
    expect(e.code).toBe("KPU_IR_SHAPE_MISMATCH");
    expect(e.message).toContain("computes shape [4x2]");
  });

  it.each([0, -3, 2.5])("rejects dimension %s", (d) => {
    const e = errorOf({ ...base, tensors: [{ name: "a", shape: [4, d], dtype: "fp32" }, ...base.tensors.slice(1)] });
    expect(e.code).toBe("KPU_BAD_DIM");
    expect(e.where).toBe('tensor "a"');
  });

  it("rejects a dtype mismatch", () => {
    const e = errorOf({ ...base, tensors: [base.tensors[0]!, { name: "b", shape: [8, 2], dtype: "fp16" }, base.tensors[2]!] });
    expect(e.code).toBe("KPU_IR_DTYPE_MISMATCH");
  });

  it("rejects a reference to an undeclared tensor", () => {
    const e = errorOf({ ...base, ops: [{ id: "mm", kind: "matmul", inputs: ["a", "zz"], outputs: ["c"] }] });
    expect(e.code).toBe("KPU_IR_UNKNOWN_TENSOR");
    expect(e.message).toContain('"zz"');
  });

  it("rejects a dangling tensor that nothing produces or reads", () => {
    const e = errorOf({ ...base, tensors: [...base.tensors, { name: "orphan", shape: [1], dtype: "fp32" }] });
    expect(e.code).toBe("KPU_IR_DANGLING_TENSOR");
    expect(e.where).toBe('tensor "orphan"');
  });

  it("rejects a cycle", () => {
    const g: Graph = {
      name: "cyc",
      tensors: [
        { name: "x", shape: [2, 2], dtype: "fp32" },
        { name: "p", shape: [2, 2], dtype: "fp32" },
        { name: "q", shape: [2, 2], dtype: "fp32" },
      ],
      inputs: ["x"],
      outputs: ["q"],
      ops: [
        { id: "r1", kind: "add", inputs: ["x", "q"], outputs: ["p"] },
        { id: "r2", kind: "relu", inputs: ["p"], outputs: ["q"] },
      ],
    };
    expect(errorOf(g).code).toBe("KPU_IR_CYCLE");
  });

  it("rejects a tensor written by two ops", () => {
    const e = errorOf({
      ...base,
      ops: [...base.ops, { id: "mm2", kind: "matmul", inputs: ["a", "b"], outputs: ["c"] }],
    });
    expect(e.code).toBe("KPU_IR_MULTIPLE_PRODUCERS");
  });

  it("rejects a bias of the wrong length", () => {
    const b = new GraphBuilder("bias");
    const x = b.input("x", [4, 8]);
    const bias = b.input("bias", [7]);
    expect(() => b.biasAdd(x, bias)).toThrow(/bias "bias" has shape \[7\] but must be \[8\]/);
  });

  it("orders ops topologically whatever order they are given in", () => {
    const b = new GraphBuilder("order");
    const x = b.input("x", [2, 2]);
    b.output(b.gelu(b.relu(x, { name: "r" }), { name: "g" }));
    const g = b.build();
    const reversed = validateGraph({ ...g, ops: [...g.ops].reverse() });
    expect(reversed.ops.map((o) => o.kind)).toEqual(["relu", "gelu"]);
  });
  it("prunes ops and inputs nothing reads when asked, and refuses them otherwise", () => {
    const make = (): GraphBuilder => {
      const b = new GraphBuilder("prune");
      const x = b.input("x", [2, 4]);
      b.weight("unused", [3]);
      const dead = b.relu(x, { name: "dead" });
      b.sigmoid(dead, { name: "dead2" });
      b.output(b.gelu(x, { name: "y" }));
      return b;
    };
    expect(() => make().build()).toThrow(/never read/);
    const g = make().build({ prune: true });
    expect(g.ops.map((o) => o.id)).toEqual(["y"]);
    expect(g.inputs).toEqual(["x"]);
    expect(g.tensors.map((t) => t.name).sort()).toEqual(["x", "y"]);
  });
});
