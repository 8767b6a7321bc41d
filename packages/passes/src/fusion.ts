import {
  ACTIVATIONS,
  broadcastShapes,
  consumerCounts,
  graphToJson,
  tensorMap,
  validateGraph,
  stepTensors,
  type Activation,
  type EpilogueStep,
  type Graph,
  type Op,
  type Tensor,
} from "@kpu/ir";
import type { Pass } from "./pass-manager.js";

export interface FusionOptions {
  /** Also absorb a residual `add` of a tensor of the same shape into a matmul (default true). */
  readonly residualAdd?: boolean;
  /**
   * Fuse chains of two or more elementwise ops (activations, clip, bias_add, add, mul) that no fabric op absorbed into
   * one `fused_elementwise` (default false: the micro-op pipeline takes only the v1 ops; `kpu analyze` turns it on).
   */
  readonly elementwiseChains?: boolean;
}

type StepOf = (next: Op, tail: string) => EpilogueStep | undefined;

const isActivation = (kind: string): kind is Activation => (ACTIVATIONS as readonly string[]).includes(kind);

/** The v1 matmul epilogue: bias_add, residual add of another tensor, relu, gelu. */
function matmulStep(residual: boolean): StepOf {
  return (next, tail) => {
    if (next.kind === "relu" || next.kind === "gelu") return { kind: next.kind };
    if (next.kind === "bias_add" && next.inputs[0] === tail) return { kind: "bias_add", tensor: next.inputs[1]! };
    if (next.kind === "add" && residual && next.inputs[0] !== next.inputs[1]) {
      return { kind: "add", tensor: next.inputs[0] === tail ? next.inputs[1]! : next.inputs[0]! };
    }
    return undefined;
  };
}

/**
 * The epilogue of a conv2d or batch_matmul, and the steps of an elementwise chain: any activation, clip, and an add or
 * mul of a tensor that broadcasts onto the running value without growing it (a conv bias shaped [1, OC, 1, 1], a
 * residual, attention's scale). `bias_add` stays a matmul-only step (it adds over the last dimension).
 */
function broadcastStep(tensors: ReadonlyMap<string, Tensor>, allowBiasAdd: boolean): StepOf {
  return (next, tail) => {
    if (isActivation(next.kind)) return { kind: next.kind };
    if (next.kind === "clip") return { kind: "clip", min: next.min, max: next.max };
    if (next.kind === "bias_add" && allowBiasAdd && next.inputs[0] === tail) return { kind: "bias_add", tensor: next.inputs[1]! };
    if ((next.kind === "add" || next.kind === "mul") && next.inputs[0] !== next.inputs[1]) {
      const other = next.inputs[0] === tail ? next.inputs[1]! : next.inputs[0]!;
      const own = tensors.get(tail)!.shape;
      const out = broadcastShapes(own, tensors.get(other)!.shape);
      if (out !== undefined && out.length === own.length && out.every((d, i) => d === own[i])) return { kind: next.kind, tensor: other };
    }
    return undefined;
  };
}

/**
 * Fuses each fabric op with the chain of elementwise ops that follows it: a matmul with bias_add, residual add, relu
 * and gelu into one `fused_matmul`; a conv2d or batch_matmul with activations, clip, and broadcast add / mul (bias,
 * residual, scale) into its `epilogue`. With `elementwiseChains`, what is left of two or more elementwise ops in a row
 * becomes one `fused_elementwise`. A tensor with another consumer, or that is a graph output, is never fused through:
 * it must be materialised.
 */
export function fuseGraph(graph: Graph, options: FusionOptions = {}): Graph {
  const consumers = consumerCounts(graph);
  const outputs = new Set(graph.outputs);
  const tensors = tensorMap(graph);
  const readers = new Map<string, Op>();
  for (const op of graph.ops) for (const i of op.inputs) readers.set(i, op);

  const absorbed = new Set<string>(); // op ids folded into a fused op
  const dropped = new Set<string>(); // tensors that no longer exist
  const replacement = new Map<string, Op>(); // op id of the chain's last op -> the fused op

  /** Follows single-consumer tensors from `op`'s output while `stepOf` accepts the reader. */
  function chain(op: Op, stepOf: StepOf): { steps: EpilogueStep[]; tail: string; last: Op } {
    const steps: EpilogueStep[] = [];
    let tail = op.outputs[0]!;
    let last: Op = op;
    for (;;) {
      if (outputs.has(tail) || consumers.get(tail) !== 1) break;
      const next = readers.get(tail)!;
      if (absorbed.has(next.id)) break;
      const step = stepOf(next, tail);
      if (step === undefined) break;
      steps.push(step);
      absorbed.add(next.id);
      dropped.add(tail);
      tail = next.outputs[0]!;
      last = next;
    }
    return { steps, tail, last };
  }

  function replace(op: Op, last: Op, fused: Op): void {
    absorbed.add(op.id);
    replacement.set(last.id, fused);
  }

  const forMatmul = matmulStep(options.residualAdd ?? true);
  const forFabric = broadcastStep(tensors, false);
  for (const op of graph.ops) {
    if (op.kind === "matmul" || op.kind === "fused_matmul") {
      const { steps, tail, last } = chain(op, forMatmul);
      if (last === op) continue;
      const epilogue = op.kind === "fused_matmul" ? [...op.epilogue, ...steps] : steps;
      replace(op, last, { id: op.id, kind: "fused_matmul", inputs: [op.inputs[0]!, op.inputs[1]!, ...stepTensors(epilogue)], outputs: [tail], epilogue });
    } else if (op.kind === "conv2d" || op.kind === "batch_matmul") {
      const { steps, tail, last } = chain(op, forFabric);
      if (last === op) continue;
      const epilogue = [...op.epilogue, ...steps];
      replace(op, last, { ...op, inputs: [op.inputs[0]!, op.inputs[1]!, ...stepTensors(epilogue)], outputs: [tail], epilogue });
    }
  }
  if (options.elementwiseChains === true) fuseElementwise(graph, chain, broadcastStep(tensors, true), absorbed, replace);

  // The fused op takes the place of its chain's last op, where every tensor it reads is available.
  const ops: Op[] = [];
  for (const op of graph.ops) {
    const fused = replacement.get(op.id);
    if (fused !== undefined) ops.push(fused);
    else if (!absorbed.has(op.id)) ops.push(op);
  }
  return validateGraph({ ...graph, tensors: graph.tensors.filter((t) => !dropped.has(t.name)), ops });
}

/** Chains of elementwise ops left after the fabric ops took theirs: the first op's own step, then the chain's. */
function fuseElementwise(
  graph: Graph,
  chain: (op: Op, stepOf: StepOf) => { steps: EpilogueStep[]; tail: string; last: Op },
  stepOf: StepOf,
  absorbed: Set<string>,
  replace: (op: Op, last: Op, fused: Op) => void,
): void {
  for (const op of graph.ops) {
    if (absorbed.has(op.id)) continue;
    // the head's data input X: the operand whose shape the op keeps (the other one is the step's tensor)
    const head = op.inputs.find((x) => stepOf(op, x) !== undefined);
    if (head === undefined) continue;
    const first = stepOf(op, head)!;
    const { steps, tail, last } = chain(op, stepOf);
    if (last === op) continue;
    const all = [first, ...steps];
    replace(op, last, { id: op.id, kind: "fused_elementwise", inputs: [head, ...stepTensors(all)], outputs: [tail], steps: all });
  }
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
