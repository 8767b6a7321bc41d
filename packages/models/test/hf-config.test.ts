import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isKpuError, tensorMap, type Graph } from "@kpu/ir";
import { LLAMA3_8B_CONFIG, fromHfConfig } from "@kpu/models";
import { countMacs, countParams } from "./count.js";

/** The KpuError a call throws (fails the test when it does not throw one). */
function thrown(f: () => unknown): { code: string; message: string; where?: string } {
  try {
    f();
  } catch (e) {
    if (isKpuError(e)) return e;
    throw e;
  }
  throw new Error("expected a KpuError");
}

/** Published configs (the fields that matter) and their parameter counts as `sum(p.numel())` of the HF model. */
const QWEN2_05B = {
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: 151936,
  tie_word_embeddings: true,
  rms_norm_eps: 1e-6,
};
const MISTRAL_7B = {
  model_type: "mistral",
  hidden_size: 4096,
  intermediate_size: 14336,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  vocab_size: 32000,
  sliding_window: 4096,
};
const ROBERTA_BASE = {
  model_type: "roberta",
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  vocab_size: 50265,
  max_position_embeddings: 514,
  type_vocab_size: 1,
  layer_norm_eps: 1e-5,
};

describe("fromHfConfig: published configs", () => {
  it("Qwen2-0.5B: q/k/v biases, tied embeddings, 494,032,768 parameters", () => {
    const g = fromHfConfig(QWEN2_05B);
    expect(countParams(g)).toBe(494_032_768);
    const names = new Set(g.tensors.filter((t) => t.weight === true).map((t) => t.name));
    expect(names.has("layers.0.attn.q_proj.bias")).toBe(true);
    expect(names.has("layers.0.attn.o_proj.bias")).toBe(false);
    expect(names.has("lm_head.weight")).toBe(false);
  });

  it("Mistral-7B-v0.1: 7,241,732,096 parameters", () => {
    expect(countParams(fromHfConfig(MISTRAL_7B))).toBe(7_241_732_096);
  });

  it("RoBERTa-base: 124,645,632 parameters (RobertaModel with pooler)", () => {
    expect(countParams(fromHfConfig(ROBERTA_BASE))).toBe(124_645_632);
  });
});

/** Closed-form MACs of a LLaMA-style decoder, from the architecture's definition. */
function decoderMacs(c: { h: number; i: number; l: number; nh: number; nkv: number; v: number }, batch: number, seq: number, past: number): number {
  const d = c.h / c.nh;
  const tokens = batch * seq;
  const projections = c.h * c.nh * d + 2 * c.h * c.nkv * d + c.nh * d * c.h + 3 * c.h * c.i;
  const attention = 2 * batch * c.nh * seq * (past + seq) * d; // QK^T and AV per head
  return c.l * (tokens * projections + attention) + tokens * c.h * c.v;
}

function decoderParams(c: { h: number; i: number; l: number; nh: number; nkv: number; v: number }, tied: boolean): number {
  const d = c.h / c.nh;
  const layer = c.h * c.nh * d + 2 * c.h * c.nkv * d + c.nh * d * c.h + 3 * c.h * c.i + 2 * c.h;
  return c.l * layer + c.h + c.v * c.h * (tied ? 1 : 2);
}

const arbDecoder = fc
  .record({ kv: fc.integer({ min: 1, max: 3 }), group: fc.integer({ min: 1, max: 3 }), d: fc.constantFrom(2, 4, 8), l: fc.integer({ min: 1, max: 3 }), i: fc.integer({ min: 1, max: 40 }), v: fc.integer({ min: 1, max: 50 }) })
  .map(({ kv, group, d, l, i, v }) => ({ h: kv * group * d, i, l, nh: kv * group, nkv: kv, v }));
const asConfig = (c: { h: number; i: number; l: number; nh: number; nkv: number; v: number }, tied: boolean) => ({
  model_type: "llama",
  hidden_size: c.h,
  intermediate_size: c.i,
  num_hidden_layers: c.l,
  num_attention_heads: c.nh,
  num_key_value_heads: c.nkv,
  vocab_size: c.v,
  tie_word_embeddings: tied,
});

describe("fromHfConfig: decoders (property tests against closed forms)", () => {
  it("prefill and decode graphs have the closed-form parameters and MACs, whatever the sizes", () => {
    fc.assert(
      fc.property(arbDecoder, fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (c, tied, batch, seq, context) => {
        const prefill = fromHfConfig(asConfig(c, tied), { batch, seq });
        const decode = fromHfConfig(asConfig(c, tied), { batch, phase: "decode", context });
        expect(countParams(prefill)).toBe(decoderParams(c, tied));
        expect(countParams(decode)).toBe(decoderParams(c, tied));
        expect(countMacs(prefill)).toBe(decoderMacs(c, batch, seq, 0));
        expect(countMacs(decode)).toBe(decoderMacs(c, batch, 1, context));
        const logits = tensorMap(decode).get(decode.outputs[0]!)!;
        expect(logits.shape).toEqual([batch, c.v]);
      }),
      { numRuns: 60 },
    );
  });

  it("grouped-query attention broadcasts each K/V head over its group (batch dim 1), never copies it", () => {
    const g = fromHfConfig(LLAMA3_8B_CONFIG, { batch: 2, seq: 16 });
    const t = tensorMap(g);
    const qk = g.ops.find((o) => o.id === "layers.0.attn.qk")!;
    expect(qk.kind).toBe("batch_matmul");
    expect(t.get(qk.inputs[0]!)!.shape).toEqual([2, 8, 4, 16, 128]);
    expect(t.get(qk.inputs[1]!)!.shape).toEqual([2, 8, 1, 128, 16]);
    const av = g.ops.find((o) => o.id === "layers.0.attn.av")!;
    expect(t.get(av.inputs[1]!)!.shape).toEqual([2, 8, 1, 16, 128]);
    // K and V projections are [hidden, kv_heads * head_dim].
    expect(t.get("layers.0.attn.k_proj.weight")!.shape).toEqual([4096, 1024]);
  });

  it("prefill adds the causal mask after the scale and before softmax; decode reads the KV cache as inputs", () => {
    const prefill = fromHfConfig(LLAMA3_8B_CONFIG, { seq: 8 });
    const order = prefill.ops.filter((o) => o.id.startsWith("layers.0.attn.") && ["qk", "scaled", "masked", "probs", "av"].includes(o.id.split(".").pop()!)).map((o) => o.kind);
    expect(order).toEqual(["batch_matmul", "mul", "add", "softmax", "batch_matmul"]);
    expect(tensorMap(prefill).get("causal_mask")!.shape).toEqual([8, 8]);

    const decode = fromHfConfig(LLAMA3_8B_CONFIG, { phase: "decode", context: 100, batch: 3 });
    const t = tensorMap(decode);
    const past = t.get("layers.31.attn.past_key")!;
    expect(past.shape).toEqual([3, 8, 100, 128]);
    expect(past.weight).toBeUndefined();
    expect(decode.inputs).toContain("layers.31.attn.past_value");
    expect(t.has("causal_mask")).toBe(false);
    // The new cache (past + this token) is an output of every layer.
    expect(t.get("layers.31.attn.key")!.shape).toEqual([3, 8, 101, 128]);
    expect(decode.outputs).toContain("layers.31.attn.key");
  });

  it("rotary embeddings are elementwise: slices, a concat, muls and an add on Q and K", () => {
    const g = fromHfConfig(LLAMA3_8B_CONFIG, { seq: 4 });
    const kinds = g.ops.filter((o) => o.id.startsWith("layers.0.attn.q.rope")).map((o) => o.kind).sort();
    expect(kinds).toEqual(["add", "concat", "mul", "mul", "slice", "slice"]);
  });

  it("builds LLaMA-3-8B at 2,048 tokens quickly enough to call per command (32 layers, linear in layers)", () => {
    const t0 = performance.now();
    const g: Graph = fromHfConfig(LLAMA3_8B_CONFIG, { seq: 2048 });
    expect(g.ops.length).toBe(32 * 43 + 3);
    // Generous bound against a quadratic regression; the benchmark measures the real time (tens of ms).
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe("fromHfConfig: bad configs name the file and the field (exit 2)", () => {
  const base = asConfig({ h: 8, i: 16, l: 1, nh: 2, nkv: 1, v: 10 }, false);
  const cases: [string, unknown, string, RegExp][] = [
    ["unknown architecture", { ...base, model_type: "falcon" }, "KPU_HF_UNSUPPORTED_ARCH", /"model_type" is "falcon"/],
    ["no model_type", { hidden_size: 8 }, "KPU_HF_CONFIG", /"model_type" is missing/],
    ["missing field", { ...base, vocab_size: undefined }, "KPU_HF_CONFIG", /"vocab_size" is missing/],
    ["wrong type", { ...base, num_hidden_layers: "two" }, "KPU_HF_CONFIG", /"num_hidden_layers" must be/],
    ["zero", { ...base, intermediate_size: 0 }, "KPU_HF_CONFIG", /"intermediate_size" must be at least 1/],
    ["heads do not divide hidden", { ...base, num_attention_heads: 3, num_key_value_heads: 3 }, "KPU_HF_CONFIG", /"num_attention_heads" \(3\) does not divide the hidden size 8/],
    ["kv heads do not divide heads", { ...base, num_key_value_heads: 3, head_dim: 4 }, "KPU_HF_CONFIG", /"num_key_value_heads" \(3\) does not divide/],
    ["unknown activation", { ...base, hidden_act: "mish" }, "KPU_HF_CONFIG", /"hidden_act" must be one of/],
    ["not an object", [1, 2], "KPU_HF_CONFIG", /not a JSON object/],
    ["vit patch", { model_type: "vit", hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, image_size: 30, patch_size: 16 }, "KPU_HF_CONFIG", /"patch_size" \(16\) does not divide/],
  ];
  for (const [what, json, code, message] of cases) {
    it(what, () => {
      const e = thrown(() => fromHfConfig(json, { source: "models/x/config.json" }));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.where).toBe("models/x/config.json");
    });
  }

  it("run-time sizes: decode needs --context, encoders have no decode, learned positions bound --seq", () => {
    expect(thrown(() => fromHfConfig(base, { phase: "decode" }))).toMatchObject({ code: "KPU_USAGE", where: "--context" });
    expect(thrown(() => fromHfConfig(ROBERTA_BASE, { phase: "decode", context: 4 }))).toMatchObject({ code: "KPU_USAGE", where: "--phase" });
    expect(thrown(() => fromHfConfig(ROBERTA_BASE, { seq: 515 }))).toMatchObject({ code: "KPU_BAD_DIM", where: "--seq" });
    const gpt = { model_type: "gpt2", n_embd: 8, n_layer: 1, n_head: 2, n_positions: 16, vocab_size: 10 };
    expect(thrown(() => fromHfConfig(gpt, { phase: "decode", context: 16 }))).toMatchObject({ code: "KPU_BAD_DIM", where: "--context" });
    expect(fromHfConfig(gpt, { phase: "decode", context: 15 }).ops.length).toBeGreaterThan(0);
    expect(thrown(() => fromHfConfig(base, { batch: 0 }))).toMatchObject({ code: "KPU_BAD_DIM", where: "--batch" });
    expect(thrown(() => fromHfConfig(base, { seq: 2.5 }))).toMatchObject({ code: "KPU_BAD_DIM", where: "--seq" });
  });
});
