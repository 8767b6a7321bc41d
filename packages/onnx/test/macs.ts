// Multiply-accumulates of a kpu graph, counted from the tensor shapes alone (the reference the importer's tests
// compare against published numbers): conv N*OC*OH*OW*C/g*KH*KW, matmul M*N*K for every batch element.
import type { Graph } from "@kpu/ir";

export function countMacs(graph: Graph): number {
  const shape = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  let macs = 0;
  for (const op of graph.ops) {
    const out = shape.get(op.outputs[0]!)!;
    const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
    if (op.kind === "conv2d") {
      const w = shape.get(op.inputs[1]!)!;
      macs += prod(out) * w[1]! * w[2]! * w[3]!;
    } else if (op.kind === "matmul" || op.kind === "fused_matmul" || op.kind === "batch_matmul") {
      const a = shape.get(op.inputs[0]!)!;
      macs += prod(out) * a[a.length - 1]!;
    }
  }
  return macs;
}

export function countParams(graph: Graph): number {
  return graph.tensors.filter((t) => t.weight === true).reduce((s, t) => s + t.shape.reduce((p, d) => p * d, 1), 0);
}
