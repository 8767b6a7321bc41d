import { type Graph, type Op } from "@kpu/ir";
import { seededRandom } from "./kernels.js";

/** Ops that only move data: a weight seen through them is still the weight. */
const MOVES: ReadonlySet<string> = new Set(["reshape", "transpose", "flatten"]);

/** The fan-in of the GEMM or conv that reads `name` (through data moves) as its B operand, or undefined. */
function fanIn(graph: Graph, name: string): number | undefined {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  const readers = (t: string): Op[] => graph.ops.filter((op) => op.inputs.includes(t));
  const visit = (t: string, depth: number): number | undefined => {
    for (const op of readers(t)) {
      const w = shapes.get(op.inputs[1] ?? "");
      if (op.inputs[1] === t && (op.kind === "matmul" || op.kind === "fused_matmul" || op.kind === "batch_matmul")) return w!.at(-2)!;
      if (op.inputs[1] === t && op.kind === "conv2d") return w![1]! * w![2]! * w![3]!;
      if (MOVES.has(op.kind) && depth < 4) {
        const f = visit(op.outputs[0]!, depth + 1);
        if (f !== undefined) return f;
      }
    }
    return undefined;
  };
  return visit(name, 0);
}

/** The number of rows every gather that reads `name` as its indices can address (the smallest), or undefined. */
function indexRange(graph: Graph, name: string): number | undefined {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape]));
  let range: number | undefined;
  for (const op of graph.ops) {
    if (op.kind !== "gather" || op.inputs[1] !== name) continue;
    const data = shapes.get(op.inputs[0]!)!;
    const size = data[op.axis < 0 ? op.axis + data.length : op.axis]!;
    range = Math.min(range ?? size, size);
  }
  return range;
}

/**
 * Seeded random data for every graph input (mulberry32, so the same seed gives the same data everywhere): float inputs
 * uniform in [-1, 1); a weight read as the B operand of a matmul or conv (directly or through reshape, transpose,
 * flatten) uniform in +-sqrt(3 / fanIn), variance 1 / fanIn (LeCun), so activations stay near 1 through deep networks
 * and neither overflow nor vanish in fp32; integer inputs (gather indices) uniform over the rows of the table every
 * gather reading them can address (0 to 15 when no gather reads them).
 */
export function randomGraphInputs(graph: Graph, seed = 1): Map<string, Float32Array> {
  const rand = seededRandom(seed);
  const out = new Map<string, Float32Array>();
  for (const name of graph.inputs) {
    const t = graph.tensors.find((x) => x.name === name)!;
    const v = new Float32Array(t.shape.reduce((p, d) => p * d, 1));
    if (t.dtype === "int32" || t.dtype === "int64") {
      const range = indexRange(graph, name) ?? 16;
      for (let i = 0; i < v.length; i++) v[i] = Math.floor(rand() * range);
    } else {
      const f = t.weight === true ? fanIn(graph, name) : undefined;
      const scale = f === undefined ? 1 : Math.sqrt(3 / f);
      for (let i = 0; i < v.length; i++) v[i] = (2 * rand() - 1) * scale;
    }
    out.set(name, v);
  }
  return out;
}
