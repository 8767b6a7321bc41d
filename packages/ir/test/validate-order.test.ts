import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateGraph, type Graph, type Op } from "@kpu/ir";

/**
 * The reference order, by brute force: repeat "emit every pending op whose inputs are all ready, in the given order"
 * until nothing is pending (quadratic, which is why validateGraph computes the same rounds from in-degrees).
 */
function roundsByScanning(graph: Graph): string[] {
  const ready = new Set(graph.inputs);
  const out: string[] = [];
  let pending = [...graph.ops];
  while (pending.length > 0) {
    const runnable = pending.filter((op) => op.inputs.every((i) => ready.has(i)));
    for (const op of runnable) {
      out.push(op.id);
      ready.add(op.outputs[0]!);
    }
    pending = pending.filter((op) => !runnable.includes(op));
  }
  return out;
}

/** A random DAG of adds over [2] tensors (op i reads two earlier tensors), listed in a shuffled order. */
const arbDag = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: n, maxLength: n }),
      fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    )
    .map(([picks, order]): Graph => {
      const inputs = ["x0", "x1"];
      const ops: Op[] = picks.map(([a, b], i) => {
        const pool = [...inputs, ...Array.from({ length: i }, (_, j) => `t${j}`)];
        return { id: `op${i}`, kind: "add", inputs: [pool[a % pool.length]!, pool[b % pool.length]!], outputs: [`t${i}`] };
      });
      const names = [...inputs, ...ops.map((o) => o.outputs[0]!)];
      return { name: "dag", tensors: names.map((name) => ({ name, shape: [2], dtype: "fp32" as const })), inputs, outputs: names, ops: order.map((i) => ops[i]!) };
    }),
);

describe("validateGraph's topological order", () => {
  it("is the brute-force rounds order for any DAG in any listed order", () => {
    fc.assert(
      fc.property(arbDag, (g) => {
        expect(validateGraph(g).ops.map((o) => o.id)).toEqual(roundsByScanning(g));
      }),
      { numRuns: 200 },
    );
  });
});
