import { GraphBuilder } from "./builder.js";
import { KpuError } from "./errors.js";
import type { Graph } from "./graph.js";

/**
 * The seed's MLP: x[128x128] -> matmul w1[128x64] -> ReLU -> matmul w2[64x32] -> ReLU -> matmul w3[32x32].
 * 5 ops, 9 tensors; fused it is 3 matmuls.
 */
export function mlpExample(): Graph {
  const b = new GraphBuilder("mlp");
  const x = b.input("x", [128, 128]);
  const w1 = b.input("w1", [128, 64]);
  const w2 = b.input("w2", [64, 32]);
  const w3 = b.input("w3", [32, 32]);
  const h1 = b.matmul(x, w1, { name: "h1", id: "mm1" });
  const a1 = b.relu(h1, { name: "a1", id: "relu1" });
  const h2 = b.matmul(a1, w2, { name: "h2", id: "mm2" });
  const a2 = b.relu(h2, { name: "a2", id: "relu2" });
  b.output(b.matmul(a2, w3, { name: "y", id: "mm3" }));
  return b.build();
}

export const BERT_BASE = { hidden: 768, intermediate: 3072 } as const;

/**
 * The matmuls of one BERT-base encoder layer at sequence length `seq` (fp32): the fused QKV projection
 * x[seq,768] x Wqkv[768,2304] + b, the attention output projection ctx[seq,768] x Wo[768,768] + b plus the residual x,
 * and the MLP: gelu(h x W1[768,3072] + b1) x W2[3072,768] + b2 plus the residual h. The attention core (softmax(QK^T)V)
 * is outside this graph: its result `ctx` is an input. Layer norms are omitted.
 */
export function bertLayerExample(seq = 128): Graph {
  if (!Number.isInteger(seq) || seq <= 0) {
    throw new KpuError("KPU_BAD_DIM", `sequence length ${seq} is not a positive integer`, {
      where: "--seq",
      hint: "Pass a sequence length such as 128 or 384.",
    });
  }
  const { hidden, intermediate } = BERT_BASE;
  const b = new GraphBuilder(`bert-layer-${seq}`);
  const x = b.input("x", [seq, hidden]);
  const ctx = b.input("ctx", [seq, hidden]);
  const wqkv = b.input("w_qkv", [hidden, 3 * hidden]);
  const bqkv = b.input("b_qkv", [3 * hidden]);
  const wo = b.input("w_o", [hidden, hidden]);
  const bo = b.input("b_o", [hidden]);
  const w1 = b.input("w_ffn1", [hidden, intermediate]);
  const b1 = b.input("b_ffn1", [intermediate]);
  const w2 = b.input("w_ffn2", [intermediate, hidden]);
  const b2 = b.input("b_ffn2", [hidden]);

  const qkv = b.biasAdd(b.matmul(x, wqkv, { name: "qkv_mm", id: "qkv" }), bqkv, { name: "qkv", id: "qkv_bias" });
  const attn = b.biasAdd(b.matmul(ctx, wo, { name: "attn_mm", id: "attn_out" }), bo, {
    name: "attn",
    id: "attn_bias",
  });
  const h = b.add(attn, x, { name: "h", id: "attn_residual" });
  const f1 = b.matmul(h, w1, { name: "ffn1_mm", id: "ffn_expand" });
  const g = b.gelu(b.biasAdd(f1, b1, { name: "ffn1_b", id: "ffn_expand_bias" }), { name: "ffn1", id: "ffn_gelu" });
  const f2 = b.biasAdd(b.matmul(g, w2, { name: "ffn2_mm", id: "ffn_reduce" }), b2, {
    name: "ffn2",
    id: "ffn_reduce_bias",
  });
  const out = b.add(f2, h, { name: "out", id: "ffn_residual" });
  b.output(qkv);
  b.output(out);
  return b.build();
}

export const EXAMPLES = {
  mlp: () => mlpExample(),
  "bert-layer": (seq?: number) => bertLayerExample(seq),
} as const;
export type ExampleName = keyof typeof EXAMPLES;
