import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isKpuError, tensorMap } from "@kpu/ir";
import { loadNetwork, networkFlagWarnings } from "@kpu/cli";
import { kpu, kpuProcess } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-cli-models-"));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const tinyLlama = { model_type: "llama", hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 50 };

describe("loadNetwork: one loader for every model source", () => {
  it("reads a Hugging Face config.json with --seq, --batch, --phase and --context", () => {
    const config = file("config.json", JSON.stringify(tinyLlama));
    const prefill = loadNetwork({ file: config, seq: 8, batch: 2 });
    expect(tensorMap(prefill).get("logits")!.shape).toEqual([16, 50]);
    const decode = loadNetwork({ file: config, phase: "decode", context: 30, batch: 2 });
    expect(tensorMap(decode).get("layers.1.attn.past_key")!.shape).toEqual([2, 2, 30, 4]);
  });

  it("reads a SCALE-Sim topology and a kpu.graph file, and builds every example", () => {
    const csv = file("t.csv", "Layer, M, N, K,\nA, 64, 32, 16,\n");
    expect(loadNetwork({ file: csv }).ops[0]!.kind).toBe("matmul");
    expect(loadNetwork({}).name).toBe("mlp");
    expect(loadNetwork({ example: "gpt2", seq: 16 }).name).toBe("gpt2");
  });

  it("refuses a file and --example together, and sends an .onnx file to the ONNX importer", () => {
    const both = (() => {
      try {
        loadNetwork({ file: "x.json", example: "mlp" });
      } catch (e) {
        return e;
      }
    })();
    expect(isKpuError(both) && both.code).toBe("KPU_USAGE");
    expect(() => loadNetwork({ file: join(dir, "m.onnx") })).toThrow(/cannot read the ONNX file \(ENOENT\)/);
  });

  it("warns about sizes the network does not use", () => {
    expect(networkFlagWarnings({ example: "resnet50", seq: 64 })).toEqual(["--seq has no effect on --example resnet50"]);
    expect(networkFlagWarnings({ example: "llama3-8b", seq: 64, batch: 2 })).toEqual([]);
    expect(networkFlagWarnings({ example: "gpt2", context: 10 })).toEqual(["--context has no effect without --phase decode"]);
  });
});

describe("kpu compile with real networks", () => {
  it("compiles a SCALE-Sim GEMM topology (v1 ops) end to end", async () => {
    const csv = file("gemm.csv", "Layer, M, N, K,\nproj, 64, 64, 64,\n");
    const r = await kpu("compile", csv, "--tile", "32", "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { model: string }).model).toBe("gemm");
  });

  it("refuses conv and attention graphs with KPU_IR_UNSUPPORTED_OP, pointing at kpu analyze (exit 2)", async () => {
    const r = await kpu("compile", "--example", "resnet50");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_IR_UNSUPPORTED_OP at op "conv1" \(conv2d\)/);
    expect(r.stderr).toContain("kpu analyze");
  });

  it("bad configs: one line naming the file and field, exit 2 (a real process, no stack trace)", () => {
    const missing = file("config-missing.json", JSON.stringify({ ...tinyLlama, vocab_size: undefined }));
    const r = kpuProcess("compile", missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error KPU_HF_CONFIG at ${missing}: field "vocab_size" is missing\n  hint: Fix the field in config.json; @kpu/models' README lists the fields each architecture reads.\n`);
    const arch = file("config-arch.json", JSON.stringify({ ...tinyLlama, model_type: "mamba" }));
    const a = kpuProcess("compile", arch);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^error KPU_HF_UNSUPPORTED_ARCH at .*config-arch.json: field "model_type" is "mamba"/);
  });

  it("an unknown example lists the names", async () => {
    const r = await kpu("compile", "--example", "resnet");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mlp, bert-layer, resnet50, mobilenet_v2, vit-b16, bert-base, gpt2, llama3-8b");
  });
});
