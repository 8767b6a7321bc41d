import { DTYPES } from "./dtype.js";
import type { KpuErrorCode } from "./error-codes.js";
import { KpuError } from "./errors.js";
import type { Graph, Op, Tensor } from "./graph.js";
import { inferShape, shapeText } from "./shapes.js";

/** Largest element count accepted per tensor: beyond this, byte offsets stop being exact in doubles. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

function fail(code: KpuErrorCode, message: string, where: string, hint: string): never {
  throw new KpuError(code, message, { where, hint });
}

function checkTensor(t: Tensor): void {
  const where = `tensor "${t.name}"`;
  if (t.name.length === 0) fail("KPU_BAD_NAME", "tensor has an empty name", where, "Give every tensor a name.");
  if (!(DTYPES as readonly string[]).includes(t.dtype)) {
    fail("KPU_IR_BAD_DTYPE", `unknown dtype "${t.dtype}"`, where, `Use one of ${DTYPES.join(", ")}.`);
  }
  if (t.shape.length === 0) fail("KPU_IR_BAD_SHAPE", "shape is empty", where, "Scalars are not supported; use [1].");
  let elements = 1;
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d <= 0) {
      fail(
        "KPU_BAD_DIM",
        `dimension ${i} is ${d}; dimensions must be positive integers`,
        where,
        "Fix the tensor's shape in the model file.",
      );
    }
    elements *= d;
  });
  if (elements > MAX_TENSOR_ELEMENTS) {
    fail(
      "KPU_TOO_LARGE",
      `${elements} elements exceed the limit of 2^31`,
      where,
      "Split the tensor or check the shape for a typo.",
    );
  }
}

/**
 * Checks a graph and returns it with ops in a topological order. Catches unknown or dangling tensors, tensors produced
 * twice, cycles, rank, shape and dtype mismatches, and non-positive dimensions; each error names the op and tensor.
 */
export function validateGraph(graph: Graph): Graph {
  const tensors = new Map<string, Tensor>();
  for (const t of graph.tensors) {
    checkTensor(t);
    if (tensors.has(t.name)) {
      fail("KPU_IR_DUPLICATE_TENSOR", "tensor is declared twice", `tensor "${t.name}"`, "Rename one of them.");
    }
    tensors.set(t.name, t);
  }
  const inputs = new Set(graph.inputs);
  for (const name of [...graph.inputs, ...graph.outputs]) {
    if (!tensors.has(name)) {
      fail(
        "KPU_IR_UNKNOWN_TENSOR",
        "graph input or output is not declared",
        `tensor "${name}"`,
        "Declare it in tensors.",
      );
    }
  }

  const producer = new Map<string, Op>();
  const ids = new Set<string>();
  for (const op of graph.ops) {
    const where = `op "${op.id}" (${op.kind})`;
    if (ids.has(op.id)) fail("KPU_IR_DUPLICATE_OP", "op id is used twice", where, "Give every op a unique id.");
    ids.add(op.id);
    if (op.outputs.length !== 1) {
      fail("KPU_IR_ARITY", `has ${op.outputs.length} outputs, expected 1`, where, "Every op writes one tensor.");
    }
    for (const name of [...op.inputs, ...op.outputs]) {
      if (!tensors.has(name)) {
        fail(
          "KPU_IR_UNKNOWN_TENSOR",
          `refers to tensor "${name}", which is not declared`,
          where,
          "Declare the tensor or fix the name.",
        );
      }
    }
    const out = op.outputs[0]!;
    if (inputs.has(out)) {
      fail(
        "KPU_IR_WRITES_INPUT",
        `writes "${out}", which is a graph input`,
        where,
        "Write a new tensor instead of overwriting an input.",
      );
    }
    const previous = producer.get(out);
    if (previous !== undefined) {
      fail(
        "KPU_IR_MULTIPLE_PRODUCERS",
        `writes "${out}", which op "${previous.id}" also writes`,
        where,
        "Each tensor has exactly one producer.",
      );
    }
    producer.set(out, op);
  }

  // Every tensor must come from somewhere and go somewhere.
  const consumed = new Set(graph.ops.flatMap((op) => op.inputs));
  const outputs = new Set(graph.outputs);
  for (const t of graph.tensors) {
    if (!inputs.has(t.name) && !producer.has(t.name)) {
      fail(
        "KPU_IR_DANGLING_TENSOR",
        "is neither a graph input nor produced by any op",
        `tensor "${t.name}"`,
        "Add it to inputs, or add the op that computes it.",
      );
    }
    if (!consumed.has(t.name) && !outputs.has(t.name)) {
      fail(
        "KPU_IR_DANGLING_TENSOR",
        "is never read and is not a graph output",
        `tensor "${t.name}"`,
        "Remove it, or list it in outputs.",
      );
    }
  }

  const ordered = topologicalOrder(graph, producer);

  for (const op of ordered) {
    const shape = inferShape(op, (i) => tensors.get(op.inputs[i]!)!);
    const out = tensors.get(op.outputs[0]!)!;
    if (shape.join("x") !== out.shape.join("x")) {
      fail(
        "KPU_IR_SHAPE_MISMATCH",
        `computes shape ${shapeText(shape)} but its output "${out.name}" is declared ${shapeText(out.shape)}`,
        `op "${op.id}" (${op.kind})`,
        `Declare "${out.name}" with shape ${shapeText(shape)}.`,
      );
    }
    const a = tensors.get(op.inputs[0]!)!;
    if (a.dtype !== out.dtype) {
      fail(
        "KPU_IR_DTYPE_MISMATCH",
        `reads ${a.dtype} but its output "${out.name}" is ${out.dtype}`,
        `op "${op.id}" (${op.kind})`,
        "Outputs keep their inputs' dtype.",
      );
    }
  }
  return { ...graph, ops: ordered };
}

/**
 * Topological order in rounds (Kahn): round 1 holds the ops that read only graph inputs, round r + 1 the ops whose
 * inputs are all ready after round r; within a round the given order is kept. Rounds are computed from in-degrees in
 * linear time (a 1,400-op LLM is 1,000 rounds deep), then the ops are sorted by (round, position). What is left over
 * lies on a cycle.
 */
function topologicalOrder(graph: Graph, producer: ReadonlyMap<string, Op>): Op[] {
  const ops = graph.ops;
  const index = new Map(ops.map((op, i) => [op, i]));
  const inputs = new Set(graph.inputs);
  const waiting = new Int32Array(ops.length);
  const consumers: number[][] = ops.map(() => []);
  ops.forEach((op, i) => {
    for (const name of op.inputs) {
      const p = inputs.has(name) ? undefined : producer.get(name);
      if (p === undefined) continue;
      waiting[i]!++;
      consumers[index.get(p)!]!.push(i);
    }
  });
  const round = new Int32Array(ops.length).fill(1);
  const queue: number[] = [];
  ops.forEach((_, i) => waiting[i] === 0 && queue.push(i));
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    for (const c of consumers[i]!) {
      round[c] = Math.max(round[c]!, round[i]! + 1);
      if (--waiting[c]! === 0) queue.push(c);
    }
  }
  if (queue.length < ops.length) {
    const ready = new Set([...graph.inputs, ...queue.map((i) => ops[i]!.outputs[0]!)]);
    const op = ops[waiting.findIndex((w) => w > 0)]!;
    fail(
      "KPU_IR_CYCLE",
      `is on a cycle (waits for ${op.inputs.filter((i) => !ready.has(i)).join(", ")})`,
      `op "${op.id}" (${op.kind})`,
      "Break the cycle: a tensor cannot depend on itself.",
    );
  }
  return queue.sort((a, b) => round[a]! - round[b]! || a - b).map((i) => ops[i]!);
}
