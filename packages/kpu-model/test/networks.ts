// Networks built with GraphBuilder for the analysis tests and benchmarks (until @kpu/models' library is used here):
// ResNet-50 (He et al. 2016, torchvision's v1.5 with the stride on the 3x3; batch norm folded into a conv bias) and a
// LLaMA-3-8B-shaped decoder (Meta's config.json: hidden 4096, 32 layers, 32 heads, 8 KV heads, FFN 14336, vocab 128256).
import { GraphBuilder, type Graph, type TensorRef } from "@kpu/ir";

/** conv (+ bias [1, OC, 1, 1]) (+ relu), as an exporter writes it: separate ops that fusion joins. */
function conv(b: GraphBuilder, x: TensorRef, name: string, oc: number, k: number, stride: number, relu: boolean, groups = 1): TensorRef {
  const c = x.shape[1]!;
  const pad = Math.floor(k / 2);
  const w = b.weight(`${name}.w`, [oc, c / groups, k, k]);
  const bias = b.weight(`${name}.b`, [1, oc, 1, 1]);
  const y = b.add(b.conv2d(x, w, { stride: [stride, stride], padding: [pad, pad, pad, pad], groups, id: name }), bias);
  return relu ? b.relu(y) : y;
}

export function resnet50(batch = 1): Graph {
  const b = new GraphBuilder("resnet50");
  let x = conv(b, b.input("image", [batch, 3, 224, 224]), "conv1", 64, 7, 2, true);
  x = b.maxPool(x, [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1] });
  const stages = [
    [3, 64],
    [4, 128],
    [6, 256],
    [3, 512],
  ] as const;
  for (const [s, [blocks, width]] of stages.entries()) {
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const name = `layer${s + 1}.${i}`;
      const skip = i === 0 ? conv(b, x, `${name}.downsample`, width * 4, 1, stride, false) : x;
      let y = conv(b, x, `${name}.conv1`, width, 1, 1, true);
      y = conv(b, y, `${name}.conv2`, width, 3, stride, true);
      y = conv(b, y, `${name}.conv3`, width * 4, 1, 1, false);
      x = b.relu(b.add(y, skip));
    }
  }
  const pooled = b.flatten(b.globalAvgPool(x), 1);
  const logits = b.biasAdd(b.matmul(pooled, b.weight("fc.w", [2048, 1000])), b.weight("fc.b", [1000]));
  b.output(logits);
  return b.build();
}

export interface DecoderConfig {
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  readonly vocab: number;
}

export const LLAMA3_8B: DecoderConfig = { hidden: 4096, layers: 32, heads: 32, kvHeads: 8, ffn: 14336, vocab: 128256 };

/** One decoder block with grouped-query attention (RMSNorm, rotary embedding not modelled, SwiGLU FFN). */
function decoderBlock(b: GraphBuilder, x: TensorRef, c: DecoderConfig, seq: number, l: number): TensorRef {
  const d = c.hidden / c.heads;
  const group = c.heads / c.kvHeads;
  const w = (name: string, shape: number[]) => b.weight(`l${l}.${name}`, shape);
  const h = b.rmsNorm(x, w("attn_norm", [c.hidden]));
  const q = b.transpose(b.reshape(b.matmul(h, w("wq", [c.hidden, c.hidden])), [seq, c.kvHeads, group, d]), [1, 2, 0, 3]);
  const k = b.transpose(b.reshape(b.matmul(h, w("wk", [c.hidden, c.kvHeads * d])), [seq, c.kvHeads, 1, d]), [1, 2, 3, 0]);
  const v = b.transpose(b.reshape(b.matmul(h, w("wv", [c.hidden, c.kvHeads * d])), [seq, c.kvHeads, 1, d]), [1, 2, 0, 3]);
  const scores = b.mul(b.batchMatmul(q, k), w("scale", [1]));
  const ctx = b.batchMatmul(b.softmax(scores, -1), v);
  const merged = b.reshape(b.transpose(ctx, [2, 0, 1, 3]), [seq, c.hidden]);
  const x2 = b.add(b.matmul(merged, w("wo", [c.hidden, c.hidden])), x);
  const h2 = b.rmsNorm(x2, w("ffn_norm", [c.hidden]));
  const gate = b.silu(b.matmul(h2, w("w1", [c.hidden, c.ffn])));
  const up = b.matmul(h2, w("w3", [c.hidden, c.ffn]));
  return b.add(b.matmul(b.mul(gate, up), w("w2", [c.ffn, c.hidden])), x2);
}

/** A decoder-only LLM's prefill over `seq` tokens (logits for every position). */
export function decoder(c: DecoderConfig, seq: number, name = "decoder"): Graph {
  const b = new GraphBuilder(name);
  let x = b.gather(b.weight("embed", [c.vocab, c.hidden]), b.input("tokens", [seq], "int64"), 0);
  for (let l = 0; l < c.layers; l++) x = decoderBlock(b, x, c, seq, l);
  b.output(b.matmul(b.rmsNorm(x, b.weight("norm", [c.hidden])), b.weight("lm_head", [c.hidden, c.vocab])));
  return b.build();
}
