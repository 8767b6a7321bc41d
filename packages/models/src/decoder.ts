import { GraphBuilder, KpuError, type Graph, type TensorRef } from "@kpu/ir";
import type { DecoderSpec } from "./hf-config.js";
import { attention, mlp, named, norm, type AttentionInputs, type AttentionShape } from "./layers.js";
import type { Instance } from "./options.js";

/**
 * A decoder LLM (LLaMA / Mistral / Qwen2, GPT-2) as one graph: token embedding (and GPT-2's learned positions),
 * `layers` pre-norm blocks (norm, attention, residual add, norm, MLP, residual add), the final norm and the LM head
 * (the embedding table transposed when tied). Prefill runs `seq` tokens per sequence with a causal mask; decode runs
 * one token per sequence against a KV cache of `context` tokens (past keys and values are graph inputs). Logits are
 * computed for every new token, as the model's forward pass does. Outputs: the logits, then each layer's keys and
 * values after this step (the KV cache a server keeps).
 */
export function buildDecoder(spec: DecoderSpec, run: Instance, name: string): Graph {
  const seq = run.phase === "decode" ? 1 : run.seq;
  const past = run.context;
  if (spec.maxPositions !== undefined && past + seq > spec.maxPositions) {
    throw new KpuError("KPU_BAD_DIM", `${past + seq} positions exceed the model's ${spec.maxPositions} learned positions`, {
      where: run.phase === "decode" ? "--context" : "--seq",
      hint: `Keep context + new tokens at most ${spec.maxPositions}.`,
    });
  }
  const tokens = run.batch * seq;
  const { hidden, vocab, headDim } = spec;
  const b = new GraphBuilder(name, run.dtype);
  const table = b.weight("embed_tokens.weight", [vocab, hidden]);
  let x = b.gather(table, b.input("input_ids", [tokens], "int64"), 0, { name: "embed" });
  if (spec.position === "learned") {
    const positions = b.weight("embed_positions.weight", [spec.maxPositions ?? past + seq, hidden]);
    x = b.add(x, b.gather(positions, b.input("position_ids", [tokens], "int64"), 0, { name: "embed_pos" }), { name: "embed_sum" });
  }
  const inputs: AttentionInputs = {
    scale: b.input("attn_scale", [1]),
    // One decode token may see every cached position: its causal mask is all zeros, so it is left out.
    ...(run.phase === "prefill" ? { mask: b.input("causal_mask", [seq, past + seq]) } : {}),
    ...(spec.position === "rope" ? { rope: { cos: b.input("rope_cos", [seq, headDim]), sin: b.input("rope_sin", [seq, headDim]) } } : {}),
  };
  const shape: AttentionShape = { batch: run.batch, seq, past, hidden, heads: spec.heads, kvHeads: spec.kvHeads, headDim, qkvBias: spec.qkvBias, outBias: spec.outBias };
  const cache: TensorRef[] = [];
  for (let i = 0; i < spec.layers; i++) x = decoderLayer(b, x, spec, shape, inputs, `layers.${i}`, cache);
  x = norm(b, x, spec.norm, hidden, "norm", spec.eps);
  const head = spec.tied ? b.transpose(table, [1, 0], { name: "lm_head.tied" }) : b.weight("lm_head.weight", [hidden, vocab]);
  b.output(b.matmul(x, head, { name: "logits" }));
  for (const t of cache) b.output(t);
  return b.build();
}

function decoderLayer(b: GraphBuilder, x: TensorRef, spec: DecoderSpec, shape: AttentionShape, inputs: AttentionInputs, prefix: string, cache: TensorRef[]): TensorRef {
  const h = norm(b, x, spec.norm, spec.hidden, `${prefix}.input_norm`, spec.eps);
  const a = attention(b, h, shape, inputs, `${prefix}.attn`);
  cache.push(a.key, a.value);
  const r = b.add(x, a.out, named(prefix, "attn_residual"));
  const m = mlp(b, norm(b, r, spec.norm, spec.hidden, `${prefix}.post_attention_norm`, spec.eps), { ...spec, bias: spec.mlpBias }, `${prefix}.mlp`);
  return b.add(r, m, named(prefix, "mlp_residual"));
}

