import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { onnxSchema } from "@kpu/onnx";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-cli-onnx-"));

/** x[rows, 64] -> MatMul [64, 32] -> Add bias -> Relu -> MatMul [32, 16], written with the importer's schema. */
function mlpOnnx(name: string, rows: number | string): string {
  const Model = onnxSchema().lookupType("onnx.ModelProto");
  const dim = (d: number | string) => (typeof d === "number" ? { dim_value: d } : { dim_param: d });
  const vi = (n: string, dims: (number | string)[]) => ({ name: n, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map(dim) } } } });
  const w = (n: string, dims: number[]) => ({ name: n, dims, data_type: 1, raw_data: new Uint8Array(dims.reduce((p, d) => p * d, 4)) });
  const graph = {
    name: "mlp",
    input: [vi("x", [rows, 64])],
    output: [vi("y", [rows, 16])],
    initializer: [w("w1", [64, 32]), w("b1", [32]), w("w2", [32, 16])],
    node: [
      { op_type: "MatMul", input: ["x", "w1"], output: ["h"], name: "fc1" },
      { op_type: "Add", input: ["h", "b1"], output: ["hb"], name: "bias1" },
      { op_type: "Relu", input: ["hb"], output: ["r"], name: "relu1" },
      { op_type: "MatMul", input: ["r", "w2"], output: ["y"], name: "fc2" },
    ],
  };
  const path = join(dir, name);
  writeFileSync(path, Model.encode(Model.fromObject({ ir_version: 8, opset_import: [{ domain: "", version: 17 }], graph })).finish());
  return path;
}

describe("ONNX model files", () => {
  it("compiles an .onnx file like a model.json", async () => {
    const r = await kpu("compile", mlpOnnx("mlp.onnx", 128), "--tile", "32", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { opsBeforeFusion: number; opsAfterFusion: number };
    expect(doc.opsBeforeFusion).toBe(4);
    expect(doc.opsAfterFusion).toBe(2);
  });

  it("takes a dynamic dimension from --seq, and names it when it is missing (exit 2)", async () => {
    const path = mlpOnnx("dynamic.onnx", "sequence");
    expect((await kpu("compile", path, "--seq", "64", "--tile", "32", "--json")).code).toBe(0);
    const r = await kpu("compile", path, "--tile", "32");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error KPU_ONNX_DYNAMIC_DIM at .*dynamic\.onnx: input "x" dimension 0 is "sequence"/);
  });

  it("refuses a truncated file with one line naming it (exit 2)", async () => {
    const path = join(dir, "cut.onnx");
    writeFileSync(path, readFileSync(mlpOnnx("whole.onnx", 8)).subarray(0, 100));
    const r = await kpu("compile", path, "--json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error KPU_ONNX_CORRUPT at .*cut\.onnx: cut\.onnx is not a readable ONNX model/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
