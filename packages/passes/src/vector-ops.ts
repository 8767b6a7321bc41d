import { elementCount, type EpilogueStep, type Op } from "@kpu/ir";

/**
 * The vector unit's op classes: `alu` (add, sub, mul, max, compare, select), `transcendental` (exp, erf, tanh,
 * sqrt, reciprocal and divide: a polynomial or table evaluation), `reduce` (one step of a sum or max across elements).
 */
export const VECTOR_OP_CLASSES = ["alu", "transcendental", "reduce"] as const;
export type VectorOpClass = (typeof VECTOR_OP_CLASSES)[number];
export type VectorOpCounts = Readonly<Record<VectorOpClass, number>>;

export const NO_VECTOR_OPS: VectorOpCounts = { alu: 0, transcendental: 0, reduce: 0 };

const ops = (alu: number, transcendental = 0, reduce = 0): VectorOpCounts => ({ alu, transcendental, reduce });

/**
 * Ops per output element of an elementwise function (the README's table). gelu is the tanh form
 * 0.5x(1 + tanh(0.79788(x + 0.044715x^3))) in Horner form (x^2, x 0.035677, + 0.79788, x x, tanh, + 1, x x, x 0.5):
 * 7 add/mul and a tanh; sigmoid 1/(1 + exp(-x)): a negate, an add, an exp
 * and a reciprocal; silu x * sigmoid(x): one more multiply.
 */
const ELEMENTWISE: Readonly<Record<string, VectorOpCounts>> = {
  relu: ops(1),
  clip: ops(2),
  add: ops(1),
  sub: ops(1),
  mul: ops(1),
  bias_add: ops(1),
  div: ops(0, 1),
  exp: ops(0, 1),
  sqrt: ops(0, 1),
  erf: ops(0, 1),
  tanh: ops(0, 1),
  gelu: ops(7, 1),
  sigmoid: ops(2, 2),
  silu: ops(3, 2),
};

/** Ops per element of one epilogue or elementwise step. */
export function stepOps(step: EpilogueStep): VectorOpCounts {
  return ELEMENTWISE[step.kind]!;
}

export function addOps(a: VectorOpCounts, b: VectorOpCounts, times = 1): VectorOpCounts {
  return { alu: a.alu + b.alu * times, transcendental: a.transcendental + b.transcendental * times, reduce: a.reduce + b.reduce * times };
}

/** A chain of steps applied to `elements` outputs. */
export function stepsOps(steps: readonly EpilogueStep[], elements: number): VectorOpCounts {
  return steps.reduce((acc, s) => addOps(acc, stepOps(s), elements), NO_VECTOR_OPS);
}

/** Elements over the normalised dimensions (from `axis` to the last) and the number of such rows. */
function rowsOf(shape: readonly number[], axis: number): { rows: number; width: number } {
  const a = axis < 0 ? shape.length + axis : axis;
  const width = elementCount(shape.slice(a));
  return { rows: elementCount(shape) / width, width };
}

/**
 * The vector unit's ops for an op that is not a fabric op, from its input and output shapes (README: per element and
 * per row counts), or undefined for ops that move data or are free. Softmax: per element a max step, a subtract, an
 * exp, a sum step and a multiply; per row a reciprocal. layer_norm: per element two sum steps (x and x^2), a square,
 * a subtract and a multiply by the reciprocal deviation, then scale and bias (one multiply and one add if given); per
 * row a reciprocal square root. rms_norm: one sum step, a square, a multiply, the scale; per row a reciprocal square
 * root. Reductions: a step per input element, a multiply per output for a mean. Pools: a max or sum step per window
 * tap of each output, and for average pools a multiply per output.
 */
export function vectorOps(op: Op, inputs: readonly (readonly number[])[], output: readonly number[]): VectorOpCounts | undefined {
  const out = elementCount(output);
  const x = inputs[0]!;
  switch (op.kind) {
    case "softmax": {
      const { rows } = rowsOf(x, op.axis);
      return { alu: 2 * out, transcendental: out + rows, reduce: 2 * out };
    }
    case "layer_norm": {
      const { rows } = rowsOf(x, op.axis);
      const affine = inputs.length - 1; // scale and bias, when given
      return { alu: (3 + affine) * out, transcendental: rows, reduce: 2 * out };
    }
    case "rms_norm": {
      const { rows } = rowsOf(x, op.axis);
      return { alu: (2 + (inputs.length - 1)) * out, transcendental: rows, reduce: out };
    }
    case "reduce_sum":
    case "reduce_mean":
      return { alu: op.kind === "reduce_mean" ? out : 0, transcendental: 0, reduce: elementCount(x) };
    case "global_avg_pool":
      return { alu: out, transcendental: 0, reduce: elementCount(x) };
    case "max_pool":
    case "avg_pool": {
      const taps = op.kernel[0] * op.kernel[1];
      return { alu: op.kind === "avg_pool" ? out : 0, transcendental: 0, reduce: taps * out };
    }
    case "fused_elementwise":
      return stepsOps(op.steps, out);
    case "clip":
      return stepsOps([{ kind: "clip", min: op.min, max: op.max }], out);
    default: {
      const per = ELEMENTWISE[op.kind];
      return per === undefined ? undefined : addOps(NO_VECTOR_OPS, per, out);
    }
  }
}
