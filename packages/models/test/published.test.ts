import { describe, expect, it } from "vitest";
import { buildExample } from "@kpu/models";
import { countMacs, countParams } from "./count.js";

const within = (value: number, target: number, tolerance: number): void => {
  expect(Math.abs(value / target - 1), `${value} vs ${target}`).toBeLessThanOrEqual(tolerance);
};

/**
 * Published figures. Parameters exactly as the reference implementations report them (torchvision's model cards,
 * `sum(p.numel())` of the Hugging Face models, timm's vit_base_patch16_224), and within 1% of the papers' rounded
 * figures; MACs within 1% of the published figures (torchvision's "GFLOPS" column, which counts multiply-adds).
 */
describe("the built-in networks match their published parameter counts and MACs", () => {
  it("resnet50: 25,557,032 parameters (torchvision), 4.09 GMACs at 224", () => {
    const g = buildExample("resnet50");
    expect(countParams(g)).toBe(25_557_032);
    within(countMacs(g), 4.09e9, 0.005);
  });

  it("mobilenet_v2: 3,504,872 parameters (torchvision), 0.30 GMACs at 224", () => {
    const g = buildExample("mobilenet_v2");
    expect(countParams(g)).toBe(3_504_872);
    within(countMacs(g), 0.3e9, 0.01);
  });

  it("vit-b16: 86,567,656 parameters (86.57 M), 17.56 GMACs at 224 (attention included)", () => {
    const g = buildExample("vit-b16");
    expect(countParams(g)).toBe(86_567_656);
    within(countMacs(g), 17.56e9, 0.001);
  });

  it("bert-base: 109,482,240 parameters with embeddings and pooler (the paper's 110 M)", () => {
    const g = buildExample("bert-base");
    expect(countParams(g)).toBe(109_482_240);
    within(countParams(g), 110e6, 0.01);
  });

  it("gpt2: 124,439,808 parameters with the tied head (124 M)", () => {
    const g = buildExample("gpt2");
    expect(countParams(g)).toBe(124_439_808);
  });

  it("llama3-8b: 8,030,261,248 parameters, untied (8.03 B)", () => {
    const g = buildExample("llama3-8b");
    expect(countParams(g)).toBe(8_030_261_248);
    within(countParams(g), 8.03e9, 0.001);
  });

  it("transformer MACs per token are about their non-embedding parameters plus attention (Kaplan et al. 2020)", () => {
    // Forward MACs per token ~ N (parameters but embeddings) + n_layer * n_ctx * d_attn, for a causal model computing
    // its full S x S score matrix: QK^T and AV are each n_layer * S * d_model per token.
    const seq = 1024;
    const g = buildExample("gpt2", { seq });
    const nonEmbedding = 124_439_808 - 50257 * 768 - 1024 * 768;
    const expected = seq * (nonEmbedding + 2 * 12 * seq * 768 + 768 * 50257);
    within(countMacs(g), expected, 0.001);
  });

  it("keeps the seed examples: mlp and bert-layer", () => {
    expect(buildExample("mlp").ops).toHaveLength(5);
    expect(buildExample("bert-layer", { seq: 64 }).name).toBe("bert-layer-64");
  });
});
