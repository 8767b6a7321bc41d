import { DTYPES } from "./dtype.js";
import type { KpuErrorCode } from "./error-codes.js";
import { KpuError } from "./errors.js";
import type { EpilogueStep, Graph, Op, Tensor } from "./graph.js";

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

const arity: Readonly<Record<Op["kind"], number | undefined>> = {
  matmul: 2,
  add: 2,
  bias_add: 2,
  relu: 1,
  gelu: 1,
  fused_matmul: undefined,
};

function shapeText(shape: readonly number[]): string {
  return `[${shape.join("x")}]`;
}

/** Infers the output shape of `op` from its input tensors, or throws a shape error naming the op and tensor. */
function inferShape(op: Op, input: (i: number) => Tensor): readonly number[] {
  const where = `op "${op.id}" (${op.kind})`;
  const rank2 = (t: Tensor): void => {
    if (t.shape.length !== 2) {
      fail(
        "KPU_IR_BAD_RANK",
        `tensor "${t.name}" has shape ${shapeText(t.shape)}; ${op.kind} takes rank-2 operands`,
        where,
        "Reshape to [rows, cols] before the matmul.",
      );
    }
  };
  const sameDtype = (a: Tensor, b: Tensor): void => {
    if (a.dtype !== b.dtype) {
      fail(
        "KPU_IR_DTYPE_MISMATCH",
        `tensor "${a.name}" is ${a.dtype} but "${b.name}" is ${b.dtype}`,
        where,
        "Cast one operand so both have the same dtype.",
      );
    }
  };
  const elementwiseStep = (x: readonly number[], step: EpilogueStep, tensor: Tensor | undefined): void => {
    if (step.kind === "relu" || step.kind === "gelu" || tensor === undefined) return;
    if (step.kind === "bias_add") {
      if (tensor.shape.length !== 1 || tensor.shape[0] !== x[x.length - 1]) {
        fail(
          "KPU_IR_SHAPE_MISMATCH",
          `bias "${tensor.name}" has shape ${shapeText(tensor.shape)} but must be [${x[x.length - 1]}] to match ${shapeText(x)}`,
          where,
          "A bias has one element per output column.",
        );
      }
    } else if (tensor.shape.join("x") !== x.join("x")) {
      fail(
        "KPU_IR_SHAPE_MISMATCH",
        `"${tensor.name}" has shape ${shapeText(tensor.shape)} but the other operand is ${shapeText(x)}`,
        where,
        "Both operands of add must have the same shape.",
      );
    }
  };

  switch (op.kind) {
    case "matmul":
    case "fused_matmul": {
      const a = input(0);
      const b = input(1);
      rank2(a);
      rank2(b);
      sameDtype(a, b);
      if (a.shape[1] !== b.shape[0]) {
        fail(
          "KPU_IR_SHAPE_MISMATCH",
          `inner dimensions differ: "${a.name}" is ${shapeText(a.shape)} and "${b.name}" is ${shapeText(b.shape)}`,
          where,
          "For C = A x B, A's column count must equal B's row count.",
        );
      }
      const out = [a.shape[0]!, b.shape[1]!];
      if (op.kind === "fused_matmul") {
        let next = 2;
        for (const step of op.epilogue) {
          if (step.kind === "bias_add" || step.kind === "add") {
            const t = input(next);
            if (t.name !== step.tensor) {
              fail(
                "KPU_IR_BAD_EPILOGUE",
                `epilogue step ${step.kind} names "${step.tensor}" but input ${next} is "${t.name}"`,
                where,
                "List the epilogue's tensors after A and B, in epilogue order.",
              );
            }
            sameDtype(a, t);
            elementwiseStep(out, step, t);
            next++;
          }
        }
        if (next !== op.inputs.length) {
          fail(
            "KPU_IR_ARITY",
            `has ${op.inputs.length} inputs but its epilogue needs ${next}`,
            where,
            "Inputs are A, B, then one tensor per bias_add or add step.",
          );
        }
      }
      return out;
    }
    case "add":
    case "bias_add": {
      const x = input(0);
      const y = input(1);
      sameDtype(x, y);
      elementwiseStep(x.shape, { kind: op.kind, tensor: y.name }, y);
      return x.shape;
    }
    case "relu":
    case "gelu":
      return input(0).shape;
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
    const expected = arity[op.kind];
    if (expected !== undefined && op.inputs.length !== expected) {
      fail("KPU_IR_ARITY", `has ${op.inputs.length} inputs, expected ${expected}`, where, "Fix the op's inputs.");
    }
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

  // Topological order (Kahn), stable with respect to the given order; what is left over lies on a cycle.
  const ordered: Op[] = [];
  const ready = new Set(graph.inputs);
  let pending = [...graph.ops];
  while (pending.length > 0) {
    const next = pending.filter((op) => !op.inputs.every((i) => ready.has(i)));
    const runnable = pending.filter((op) => op.inputs.every((i) => ready.has(i)));
    if (runnable.length === 0) {
      const op = next[0]!;
      fail(
        "KPU_IR_CYCLE",
        `is on a cycle (waits for ${op.inputs.filter((i) => !ready.has(i)).join(", ")})`,
        `op "${op.id}" (${op.kind})`,
        "Break the cycle: a tensor cannot depend on itself.",
      );
    }
    for (const op of runnable) {
      ordered.push(op);
      ready.add(op.outputs[0]!);
    }
    pending = next;
  }

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
