// One-off generator of fixture inputs (kept so the inputs can be regenerated and reviewed):
// `npx tsx --conditions=@kpu/source test/make-fixture-inputs.ts`. Expected outputs are written by the runner with
// UPDATE_FIXTURES=1 and reviewed by hand.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GraphBuilder, graphToJson, mlpExample, type Graph } from "@kpu/ir";

function write(pass: string, name: string, graph: Graph, options: object): void {
  const dir = join(import.meta.dirname, "fixtures", pass, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "input.json"), `${JSON.stringify(graphToJson(graph), null, 2)}\n`);
  writeFileSync(join(dir, "options.json"), `${JSON.stringify(options, null, 2)}\n`);
}

function biasGelu(): Graph {
  const b = new GraphBuilder("bias-gelu");
  const x = b.input("x", [16, 32]);
  const w = b.input("w", [32, 8]);
  const bias = b.input("bias", [8]);
  b.output(b.gelu(b.biasAdd(b.matmul(x, w, { name: "mm", id: "mm" }), bias, { name: "mb", id: "bias" }), { name: "y", id: "act" }));
  return b.build();
}

function sharedConsumer(): Graph {
  const b = new GraphBuilder("shared-consumer");
  const x = b.input("x", [8, 8]);
  const w = b.input("w", [8, 8]);
  const h = b.matmul(x, w, { name: "h", id: "mm" });
  const r = b.relu(h, { name: "r", id: "relu" });
  b.output(b.add(r, h, { name: "y", id: "sum" }));
  return b.build();
}

function graphOutput(): Graph {
  const b = new GraphBuilder("graph-output");
  const x = b.input("x", [8, 8]);
  const w = b.input("w", [8, 8]);
  const h = b.matmul(x, w, { name: "h", id: "mm" });
  b.output(h);
  b.output(b.relu(h, { name: "y", id: "relu" }));
  return b.build();
}

function residual(): Graph {
  const b = new GraphBuilder("residual");
  const x = b.input("x", [8, 16]);
  const w = b.input("w", [16, 16]);
  const bias = b.input("bias", [16]);
  const skip = b.input("skip", [8, 16]);
  const mb = b.biasAdd(b.matmul(x, w, { name: "mm", id: "mm" }), bias, { name: "mb", id: "bias" });
  b.output(b.add(skip, mb, { name: "y", id: "residual" }));
  return b.build();
}

function ragged(): Graph {
  const b = new GraphBuilder("ragged");
  const x = b.input("x", [40, 24]);
  const w = b.input("w", [24, 20]);
  b.output(b.relu(b.matmul(x, w, { name: "h", id: "mm" }), { name: "y", id: "relu" }));
  return b.build();
}

function standalone(): Graph {
  const b = new GraphBuilder("standalone");
  const x = b.input("x", [20, 12]);
  const bias = b.input("bias", [12]);
  const y = b.input("y", [20, 12]);
  b.output(b.relu(b.add(b.biasAdd(x, bias, { name: "xb", id: "bias" }), y, { name: "s", id: "sum" }), { name: "out", id: "relu" }));
  return b.build();
}

/** conv -> + bias[1, OC, 1, 1] -> relu, then a residual add of the block's input and a relu6 (clip). */
function convBlock(): Graph {
  const b = new GraphBuilder("conv-block");
  const x = b.input("x", [1, 8, 6, 6]);
  const w = b.weight("w", [8, 8, 3, 3]);
  const bias = b.weight("bias", [1, 8, 1, 1]);
  const c = b.conv2d(x, w, { padding: [1, 1, 1, 1], name: "c", id: "conv" });
  const r = b.relu(b.add(c, bias, { name: "cb", id: "bias" }), { name: "r", id: "relu" });
  b.output(b.clip(b.add(r, x, { name: "s", id: "residual" }), 0, 6, { name: "y", id: "relu6" }));
  return b.build();
}

/** Attention scores: Q K^T scaled by a scalar, then softmax (which is not elementwise and stays). */
function scores(): Graph {
  const b = new GraphBuilder("scores");
  const q = b.input("q", [2, 4, 16, 8]);
  const kt = b.input("kt", [2, 4, 8, 16]);
  const scale = b.weight("scale", [1]);
  const s = b.mul(b.batchMatmul(q, kt, { name: "qk", id: "qk" }), scale, { name: "qks", id: "scale" });
  b.output(b.softmax(s, -1, { name: "p", id: "softmax" }));
  return b.build();
}

/** A SwiGLU-style chain after a shared tensor: silu(x) * g + skip; x has two readers, so only the chain fuses. */
function elementwiseChain(): Graph {
  const b = new GraphBuilder("elementwise-chain");
  const x = b.input("x", [4, 32]);
  const g = b.input("g", [4, 32]);
  const skip = b.input("skip", [32]);
  const a = b.silu(x, { name: "a", id: "silu" });
  const m = b.mul(a, g, { name: "m", id: "gate" });
  b.output(b.add(m, skip, { name: "y", id: "skip" }));
  b.output(b.relu(x, { name: "z", id: "relu" }));
  return b.build();
}

write("fusion", "conv-block", convBlock(), {});
write("fusion", "scores", scores(), {});
write("fusion", "elementwise-chain", elementwiseChain(), { elementwiseChains: true });
write("fusion", "elementwise-chain-off", elementwiseChain(), {});
write("fusion", "mlp", mlpExample(), {});
write("fusion", "bias-gelu", biasGelu(), {});
write("fusion", "shared-consumer", sharedConsumer(), {});
write("fusion", "graph-output", graphOutput(), {});
write("fusion", "residual", residual(), {});
write("fusion", "residual-disabled", residual(), { residualAdd: false });
write("tiling", "mlp-32", mlpExample(), { tile: 32 });
write("tiling", "ragged-16", ragged(), { tile: 16 });
write("tiling", "per-op", mlpExample(), { tile: 32, perOp: { mm1: { m: 64, n: 16, k: 128 } } });
write("tiling", "budget-12KiB", ragged(), { budgetBytes: 12288, granule: 8 });
write("tiling", "error-zero-tile", mlpExample(), { tile: 0 });
write("tiling", "error-over-budget", mlpExample(), { tile: 64, budgetBytes: 16384 });
write("tiling", "error-unknown-op", mlpExample(), { tile: 32, perOp: { nope: { m: 8, n: 8, k: 8 } } });
write("lowering", "ragged-mnk", ragged(), { tile: 16, order: "mnk" });
write("lowering", "ragged-kmn", ragged(), { tile: 16, order: "kmn" });
write("lowering", "standalone-elementwise", standalone(), { tile: 8, order: "nmk" });
write("lowering", "ragged-blocked", ragged(), { tile: 8, order: "blocked", block: { m: 2, n: 2 } });
write("lowering", "standalone-elementwise-blocked", standalone(), { tile: 8, order: "blocked", block: { m: 2, n: 2 } });
