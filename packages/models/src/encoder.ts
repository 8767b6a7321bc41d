import { GraphBuilder, KpuError, type Graph, type TensorRef } from "@kpu/ir";
import type { BertSpec, TransformerDims, VitSpec } from "./hf-config.js";
import { activation, attention, linear, mlp, named, norm, type AttentionInputs, type AttentionShape } from "./layers.js";
import type { Instance } from "./options.js";

function encoderOnly(run: Instance, modelType: string): void {
  if (run.phase !== "prefill") {
    throw new KpuError("KPU_USAGE", `${modelType} is an encoder: it has no decode phase`, { where: "--phase", hint: "Drop --phase decode and --context for encoders." });
  }
}

function shapeOf(spec: TransformerDims, batch: number, seq: number, bias: boolean): AttentionShape {
  return { batch, seq, past: 0, hidden: spec.hidden, heads: spec.heads, kvHeads: spec.kvHeads, headDim: spec.headDim, qkvBias: bias, outBias: true };
}

/** [B*S, H] -> the first token of each sequence, [B, H] (BERT's pooler input, ViT's CLS token). */
function firstToken(b: GraphBuilder, x: TensorRef, batch: number, seq: number, hidden: number, prefix: string): TensorRef {
  const rows = b.reshape(x, [batch, seq, hidden], named(prefix, "rows"));
  return b.reshape(b.slice(rows, [0], [1], [1], undefined, named(prefix, "first")), [batch, hidden], named(prefix, "token"));
}

/**
 * A BERT-style encoder (BertModel / RobertaModel): word + position + token-type embeddings and LayerNorm, `layers`
 * post-norm blocks (attention, add, LayerNorm, MLP, add, LayerNorm), and the pooler (dense + tanh on the first token).
 * No attention mask: every sequence is `seq` real tokens.
 */
export function buildBert(spec: BertSpec, run: Instance, name: string): Graph {
  encoderOnly(run, spec.modelType);
  const { batch, seq } = run;
  if (seq > spec.maxPositions) {
    throw new KpuError("KPU_BAD_DIM", `seq = ${seq} exceeds the model's ${spec.maxPositions} position embeddings`, { where: "--seq", hint: `Use --seq ${spec.maxPositions} or less.` });
  }
  const { hidden } = spec;
  const tokens = batch * seq;
  const b = new GraphBuilder(name, run.dtype);
  const embed = (table: string, rows: number, ids: string, out: string): TensorRef =>
    b.gather(b.weight(table, [rows, hidden]), b.input(ids, [tokens], "int64"), 0, { name: out });
  const words = embed("embeddings.word_embeddings.weight", spec.vocab, "input_ids", "embeddings.words");
  const positions = embed("embeddings.position_embeddings.weight", spec.maxPositions, "position_ids", "embeddings.positions");
  const types = embed("embeddings.token_type_embeddings.weight", spec.typeVocab, "token_type_ids", "embeddings.types");
  const sum = b.add(b.add(words, positions, { name: "embeddings.sum1" }), types, { name: "embeddings.sum" });
  let x = norm(b, sum, "layer", hidden, "embeddings.norm", spec.eps);
  const inputs: AttentionInputs = { scale: b.input("attn_scale", [1]) };
  const shape = shapeOf(spec, batch, seq, true);
  for (let i = 0; i < spec.layers; i++) {
    const p = `layers.${i}`;
    const a = attention(b, x, shape, inputs, `${p}.attn`).out;
    x = norm(b, b.add(x, a, named(p, "attn_residual")), "layer", hidden, `${p}.attn_norm`, spec.eps);
    const m = mlp(b, x, { ...spec, gated: false, bias: true }, `${p}.mlp`);
    x = norm(b, b.add(x, m, named(p, "mlp_residual")), "layer", hidden, `${p}.mlp_norm`, spec.eps);
  }
  b.output(x);
  const pooled = linear(b, firstToken(b, x, batch, seq, hidden, "pooler"), hidden, hidden, "pooler.dense", true);
  b.output(activation(b, pooled, "tanh", "pooler"));
  return b.build();
}

/**
 * A vision transformer (ViTForImageClassification; ViTModel without a pooler when there are no labels): the patch
 * embedding as a conv with kernel = stride = patch, the CLS token and position embeddings, `layers` pre-norm blocks,
 * the final LayerNorm and a linear classifier on the CLS token. The CLS token is placed without a broadcast op:
 * [cls; patches] + pos = pad(patches, one row in front) + (pad(cls, rows after) + pos).
 */
export function buildVit(spec: VitSpec, run: Instance, name: string): Graph {
  encoderOnly(run, spec.modelType);
  const { batch } = run;
  const { hidden, patch } = spec;
  const grid = spec.image / patch;
  const seq = grid * grid + 1;
  const b = new GraphBuilder(name, run.dtype);
  const pixels = b.input("pixel_values", [batch, spec.channels, spec.image, spec.image]);
  const bias = b.weight("embeddings.patch.bias", [hidden]);
  const conv = b.conv2d(pixels, b.weight("embeddings.patch.weight", [hidden, spec.channels, patch, patch]), {
    stride: [patch, patch],
    epilogue: [{ kind: "bias_add", tensor: bias.name }],
    name: "embeddings.patch.conv",
  });
  const patches = b.transpose(b.reshape(conv, [batch, hidden, grid * grid], { name: "embeddings.patch.flat" }), [0, 2, 1], { name: "embeddings.patches" });
  const shifted = b.pad(patches, [0, 1, 0, 0, 0, 0], 0, { name: "embeddings.shifted" });
  const cls = b.pad(b.weight("embeddings.cls_token", [1, 1, hidden]), [0, 0, 0, 0, seq - 1, 0], 0, { name: "embeddings.cls_row" });
  const added = b.add(cls, b.weight("embeddings.position_embeddings", [1, seq, hidden]), { name: "embeddings.cls_pos" });
  let x = b.reshape(b.add(shifted, added, { name: "embeddings.sum" }), [batch * seq, hidden], { name: "embeddings.out" });
  const inputs: AttentionInputs = { scale: b.input("attn_scale", [1]) };
  const shape = shapeOf(spec, batch, seq, spec.qkvBias);
  for (let i = 0; i < spec.layers; i++) {
    const p = `layers.${i}`;
    const a = attention(b, norm(b, x, "layer", hidden, `${p}.attn_norm`, spec.eps), shape, inputs, `${p}.attn`).out;
    x = b.add(x, a, named(p, "attn_residual"));
    const m = mlp(b, norm(b, x, "layer", hidden, `${p}.mlp_norm`, spec.eps), { ...spec, gated: false, bias: true }, `${p}.mlp`);
    x = b.add(x, m, named(p, "mlp_residual"));
  }
  x = norm(b, x, "layer", hidden, "norm", spec.eps);
  b.output(spec.labels > 0 ? linear(b, firstToken(b, x, batch, seq, hidden, "cls"), hidden, spec.labels, "classifier", true) : x);
  return b.build();
}
