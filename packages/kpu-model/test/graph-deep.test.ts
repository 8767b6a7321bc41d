import { describe, expect, it } from "vitest";
import { GraphBuilder, type Graph, type TensorRef } from "@kpu/ir";
import { verifyGraph } from "@kpu/kpu-model";

/** A pre-norm transformer encoder: embeddings, `layers` blocks of attention and a GELU MLP, a final norm. */
function transformer(layers: number, seq: number, dim: number, heads: number): Graph {
  const b = new GraphBuilder("encoder");
  const hd = dim / heads;
  let x = b.gather(b.weight("embed", [50, dim]), b.input("ids", [seq], "int32"), 0, { name: "tokens" });
  for (let l = 0; l < layers; l++) {
    const w = (name: string, shape: number[]): TensorRef => b.weight(`l${l}.${name}`, shape);
    const h = b.layerNorm(x, w("ln1.g", [dim]), w("ln1.b", [dim]));
    const qkv = b.fusedMatmul(h, w("qkv", [dim, 3 * dim]), [{ kind: "bias_add", tensor: w("qkv.b", [3 * dim]).name }]);
    const split = b.transpose(b.reshape(qkv, [seq, 3, heads, hd]), [1, 2, 0, 3]);
    const part = (i: number): TensorRef => b.reshape(b.slice(split, [i], [i + 1], [0]), [heads, seq, hd]);
    const scores = b.batchMatmul(part(0), b.transpose(part(1), [0, 2, 1]), { epilogue: [{ kind: "mul", tensor: b.input(`l${l}.scale`, [1]).name }] });
    const ctx = b.batchMatmul(b.softmax(scores), part(2));
    const merged = b.reshape(b.transpose(ctx, [1, 0, 2]), [seq, dim]);
    x = b.fusedMatmul(merged, w("proj", [dim, dim]), [{ kind: "bias_add", tensor: w("proj.b", [dim]).name }, { kind: "add", tensor: x.name }]);
    const m = b.fusedMatmul(b.layerNorm(x, w("ln2.g", [dim]), w("ln2.b", [dim])), w("fc1", [dim, 4 * dim]), [{ kind: "bias_add", tensor: w("fc1.b", [4 * dim]).name }, { kind: "gelu" }]);
    x = b.fusedMatmul(m, w("fc2", [4 * dim, dim]), [{ kind: "bias_add", tensor: w("fc2.b", [dim]).name }, { kind: "add", tensor: x.name }]);
  }
  b.output(b.rmsNorm(x, b.weight("final.g", [dim])));
  return b.build();
}

/** A residual CNN: a strided stem, `blocks` basic blocks (3x3 conv-relu-3x3 conv + identity, relu), pooling, a classifier. */
function resnet(blocks: number, width: number, size: number): Graph {
  const b = new GraphBuilder("resnet");
  const conv = (x: TensorRef, name: string, cin: number, cout: number, k: number, stride: number, relu: boolean): TensorRef =>
    b.conv2d(x, b.weight(`${name}.w`, [cout, cin, k, k]), {
      stride: [stride, stride],
      padding: [k >> 1, k >> 1, k >> 1, k >> 1],
      epilogue: [{ kind: "bias_add", tensor: b.weight(`${name}.b`, [cout]).name }, ...(relu ? [{ kind: "relu" as const }] : [])],
      name,
    });
  let x = b.maxPool(conv(b.input("image", [1, 3, size, size]), "stem", 3, width, 7, 2, true), [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1] });
  for (let i = 0; i < blocks; i++) {
    const y = conv(conv(x, `b${i}.1`, width, width, 3, 1, true), `b${i}.2`, width, width, 3, 1, false);
    x = b.relu(b.add(y, x));
  }
  const pooled = b.flatten(b.globalAvgPool(x));
  b.output(b.softmax(b.fusedMatmul(pooled, b.weight("fc", [width, 10]), [{ kind: "bias_add", tensor: b.weight("fc.b", [10]).name }])));
  return b.build();
}

describe("deep graphs stay inside their error budgets with room to spare", () => {
  it.each([
    ["a 6-layer transformer encoder", () => transformer(6, 24, 64, 4)],
    ["a 16-block residual CNN", () => resnet(16, 16, 32)],
  ])("%s", (_name, make) => {
    const r = verifyGraph(make(), { seed: 11 });
    expect(r.ok, JSON.stringify(r.ops.filter((o) => !o.ok))).toBe(true);
    const margin = Math.max(...r.ops.map((o) => o.maxAbsError / o.toleranceAbs));
    // The worst op uses under a fifth of its budget; the budget of the output stays below 1e-3 of its scale.
    expect(margin).toBeLessThan(0.2);
    expect(r.outputs[0]!.toleranceRel).toBeLessThan(1e-3);
    // Activations stay near 1 (no overflow or vanishing through the depth).
    for (const o of r.ops) expect(o.maxAbsReference, o.op).toBeGreaterThan(1e-3);
  });
});
