import type { Graph } from "@kpu/ir";

/**
 * The test's own counts, written from the textbook definitions and sharing nothing with the builders: parameters are
 * the elements of the tensors marked as weights; MACs are N*OC*OH*OW*(C/g)*KH*KW per conv (read off the tensors'
 * shapes) and M*N*K per matmul, times the batch elements of a batched matmul. Everything else costs no MAC.
 */
export function countParams(graph: Graph): number {
  let total = 0;
  for (const t of graph.tensors) if (t.weight === true) total += t.shape.reduce((p, d) => p * d, 1);
  return total;
}

export function countMacs(graph: Graph): number {
  const shape = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  let total = 0;
  for (const op of graph.ops) {
    const a = shape.get(op.inputs[0]!)!;
    const b = shape.get(op.inputs[1] ?? "") ?? [];
    const y = shape.get(op.outputs[0]!)!;
    if (op.kind === "conv2d") {
      const [n, oc, oh, ow] = y as [number, number, number, number];
      const [, cPerGroup, kh, kw] = b as [number, number, number, number];
      total += n * oc * oh * ow * cPerGroup * kh * kw;
    } else if (op.kind === "matmul" || op.kind === "fused_matmul" || op.kind === "batch_matmul") {
      const k = a[a.length - 1]!;
      const outputs = y.reduce((p, d) => p * d, 1); // batch elements x M x N
      total += outputs * k;
    }
  }
  return total;
}
