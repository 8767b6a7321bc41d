import {
  consumerCounts,
  graphToJson,
  validateGraph,
  type EpilogueStep,
  type Graph,
  type Op,
} from "@kpu/ir";
import type { Pass } from "./pass-manager.js";

export interface FusionOptions {
  /** Also absorb a residual `add` of a tensor of the same shape (default true). */
  readonly residualAdd?: boolean;
}

/**
 * Fuses each matmul with the chain of elementwise ops that follows it (bias_add, residual add, relu, gelu) into one
 * `fused_matmul` whose epilogue applies them in order. A tensor with another consumer, or that is a graph output,
 * is never fused through: it must be materialised.
 */
export function fuseGraph(graph: Graph, options: FusionOptions = {}): Graph {
  const residual = options.residualAdd ?? true;
  const consumers = consumerCounts(graph);
  const outputs = new Set(graph.outputs);
  const readers = new Map<string, Op>();
  for (const op of graph.ops) for (const i of op.inputs) readers.set(i, op);

  const absorbed = new Set<string>(); // op ids folded into a fused matmul
  const dropped = new Set<string>(); // tensors that no longer exist
  const replacement = new Map<string, Op>(); // op id of the chain's last op -> the fused op

  for (const op of graph.ops) {
    if (op.kind !== "matmul" && op.kind !== "fused_matmul") continue;
    const epilogue: EpilogueStep[] = op.kind === "fused_matmul" ? [...op.epilogue] : [];
    const extra: string[] = op.inputs.slice(2);
    let tail = op.outputs[0]!;
    let last: Op = op;
    for (;;) {
      if (outputs.has(tail) || consumers.get(tail) !== 1) break;
      const next = readers.get(tail)!;
      if (absorbed.has(next.id)) break; // already folded into another matmul's chain
      let step: EpilogueStep | undefined;
      if (next.kind === "relu" || next.kind === "gelu") step = { kind: next.kind };
      else if (next.kind === "bias_add" && next.inputs[0] === tail) step = { kind: "bias_add", tensor: next.inputs[1]! };
      else if (next.kind === "add" && residual && next.inputs[0] !== next.inputs[1]) {
        step = { kind: "add", tensor: next.inputs[0] === tail ? next.inputs[1]! : next.inputs[0]! };
      }
      if (step === undefined) break;
      epilogue.push(step);
      if (step.kind === "bias_add" || step.kind === "add") extra.push(step.tensor);
      absorbed.add(next.id);
      dropped.add(tail);
      tail = next.outputs[0]!;
      last = next;
    }
    if (last === op) continue;
    absorbed.add(op.id);
    replacement.set(last.id, {
      id: op.id,
      kind: "fused_matmul",
      inputs: [op.inputs[0]!, op.inputs[1]!, ...extra],
      outputs: [tail],
      epilogue,
    });
  }

  // The fused op takes the place of its chain's last op, where every tensor it reads is available.
  const ops: Op[] = [];
  for (const op of graph.ops) {
    const fused = replacement.get(op.id);
    if (fused !== undefined) ops.push(fused);
    else if (!absorbed.has(op.id)) ops.push(op);
  }
  return validateGraph({ ...graph, tensors: graph.tensors.filter((t) => !dropped.has(t.name)), ops });
}

export function fusionPass(options: FusionOptions = {}): Pass<Graph, Graph> {
  return {
    name: "fusion",
    run(graph) {
      const output = fuseGraph(graph, options);
      return {
        output,
        stats: {
          opsBefore: graph.ops.length,
          opsAfter: output.ops.length,
          fusedMatmuls: output.ops.filter((o) => o.kind === "fused_matmul").length,
          tensorsBefore: graph.tensors.length,
          tensorsAfter: output.tensors.length,
        },
      };
    },
    toJson: graphToJson,
  };
}
