import { describe, expect, it } from "vitest";
import { GraphBuilder, OP_KINDS, type Graph, type OpKind, type TensorRef } from "@kpu/ir";
import { EXECUTED_KINDS, REFERENCE_KINDS, erf, executeGraph, refErf, referenceGraph, sigmoid, silu, verifyGraph } from "@kpu/kpu-model";

/** erf at literal values (Abramowitz & Stegun table 7.1, rounded to 15 digits): checks both implementations. */
const ERF_AT: readonly (readonly [number, number])[] = [
  [0, 0],
  [0.1, 0.112462916018285],
  [0.5, 0.520499877813047],
  [1, 0.842700792949715],
  [1.5, 0.966105146475311],
  [2, 0.995322265018953],
  [-1, -0.842700792949715],
  [3, 0.999977909503001],
  [3.5, 0.999999256901628],
  [5, 0.999999999998463],
];

describe("elementwise functions at literal values", () => {
  it("the reference's erf to 1e-13 and the executor's (A&S 7.1.26) to 1.5e-7", () => {
    for (const [x, y] of ERF_AT) {
      expect(Math.abs(refErf(x) - y), `refErf(${x})`).toBeLessThan(1e-13);
      expect(Math.abs(erf(x) - y), `erf(${x})`).toBeLessThan(1.5e-7);
    }
  });

  it("sigmoid and SiLU", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 15);
    expect(silu(Math.log(3))).toBeCloseTo(0.75 * Math.log(3), 15);
  });
});

/** One small graph per op kind; the Record type makes a new kind in OP_KINDS a compile error here until it has a case. */
const CASES: Readonly<Record<OpKind, (b: GraphBuilder) => TensorRef>> = {
  matmul: (b) => b.matmul(b.input("x", [5, 7]), b.weight("w", [7, 3])),
  fused_matmul: (b) => b.fusedMatmul(b.input("x", [5, 7]), b.weight("w", [7, 3]), [{ kind: "bias_add", tensor: b.weight("bias", [3]).name }, { kind: "add", tensor: b.input("r", [1, 3]).name }, { kind: "gelu" }]),
  batch_matmul: (b) => b.batchMatmul(b.input("q", [2, 3, 4, 5]), b.input("k", [2, 1, 5, 6]), { epilogue: [{ kind: "mul", tensor: b.input("s", [1]).name }, { kind: "silu" }] }),
  conv2d: (b) => b.conv2d(b.input("x", [1, 4, 7, 6]), b.weight("w", [6, 2, 3, 2]), { groups: 2, stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2], epilogue: [{ kind: "bias_add", tensor: b.weight("bias", [6]).name }, { kind: "clip", min: 0, max: 0.5 }] }),
  bias_add: (b) => b.biasAdd(b.input("x", [3, 4, 5]), b.weight("bias", [5])),
  add: (b) => b.add(b.input("x", [3, 1, 5]), b.input("y", [4, 1])),
  sub: (b) => b.sub(b.input("x", [3, 4]), b.input("y", [4])),
  mul: (b) => b.mul(b.input("x", [2, 3]), b.input("y", [2, 1])),
  div: (b) => b.div(b.input("x", [2, 3]), b.unary("exp", b.input("y", [3]))),
  relu: (b) => b.relu(b.input("x", [4, 4])),
  gelu: (b) => b.gelu(b.input("x", [4, 4])),
  silu: (b) => b.silu(b.input("x", [4, 4])),
  sigmoid: (b) => b.sigmoid(b.input("x", [4, 4])),
  tanh: (b) => b.unary("tanh", b.input("x", [4, 4])),
  exp: (b) => b.unary("exp", b.input("x", [4, 4])),
  sqrt: (b) => b.unary("sqrt", b.unary("exp", b.input("x", [4, 4]))),
  erf: (b) => b.unary("erf", b.input("x", [4, 4])),
  clip: (b) => b.clip(b.input("x", [4, 4]), -0.25, 0.5),
  fused_elementwise: (b) => b.fusedElementwise(b.input("x", [2, 3, 4]), [{ kind: "add", tensor: b.input("y", [3, 1]).name }, { kind: "sigmoid" }, { kind: "mul", tensor: b.input("z", [4]).name }, { kind: "bias_add", tensor: b.weight("bias", [4]).name }]),
  softmax: (b) => b.softmax(b.input("x", [2, 5, 3]), 1),
  layer_norm: (b) => b.layerNorm(b.input("x", [2, 3, 4]), b.weight("g", [3, 4]), b.weight("beta", [3, 4]), { axis: 1 }),
  rms_norm: (b) => b.rmsNorm(b.input("x", [3, 8]), b.weight("g", [8]), { epsilon: 1e-6 }),
  reduce_mean: (b) => b.reduce("reduce_mean", b.input("x", [2, 3, 4]), [0, 2], false),
  reduce_sum: (b) => b.reduce("reduce_sum", b.input("x", [2, 3, 4]), [-1], true),
  max_pool: (b) => b.maxPool(b.input("x", [1, 2, 7, 7]), [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1], ceilMode: true }),
  avg_pool: (b) => b.avgPool(b.input("x", [1, 2, 6, 5]), [3, 2], { stride: [2, 2], padding: [1, 1, 1, 0], ceilMode: true, countIncludePad: true }),
  global_avg_pool: (b) => b.globalAvgPool(b.input("x", [2, 3, 4, 5])),
  reshape: (b) => b.reshape(b.input("x", [2, 3, 4]), [4, 6]),
  transpose: (b) => b.transpose(b.input("x", [2, 3, 4]), [2, 0, 1]),
  flatten: (b) => b.flatten(b.input("x", [2, 3, 4]), 2),
  concat: (b) => b.concat([b.input("x", [2, 1, 3]), b.input("y", [2, 4, 3])], 1),
  slice: (b) => b.slice(b.input("x", [5, 6]), [1, -5], [100, 6], [0, 1], [2, 2]),
  pad: (b) => b.pad(b.input("x", [2, 3]), [1, 0, 0, 2], 0.5),
  gather: (b) => b.gather(b.weight("table", [10, 4]), b.input("ids", [2, 3], "int32")),
};

function graphOf(kind: OpKind): Graph {
  const b = new GraphBuilder(kind);
  b.output(CASES[kind](b));
  return b.build();
}

describe("every op kind", () => {
  it.each([...OP_KINDS])("%s: executed by both the executor and the reference, and they agree", (kind) => {
    expect(EXECUTED_KINDS).toContain(kind);
    expect(REFERENCE_KINDS).toContain(kind);
    const graph = graphOf(kind);
    expect(graph.ops.map((o) => o.kind)).toContain(kind);
    for (const tile of [{ m: 2, n: 3, k: 2 }, { m: 32, n: 32, k: 32 }]) {
      const r = verifyGraph(graph, { tile, seed: 7 });
      expect(r.ok, JSON.stringify(r.ops)).toBe(true);
      for (const o of r.ops) expect(o.nonFinite).toBe(0);
    }
  });

  it("no kind is executed or referenced that OP_KINDS lacks", () => {
    expect([...EXECUTED_KINDS].sort()).toEqual([...OP_KINDS].sort());
    expect([...REFERENCE_KINDS].sort()).toEqual([...OP_KINDS].sort());
  });
});

/** Runs one op on given data through both sides. */
function both(graph: Graph, inputs: Record<string, number[]>): { got: number[]; want: number[] } {
  const data = new Map(Object.entries(inputs).map(([k, v]) => [k, Float32Array.from(v)]));
  const out = graph.outputs[0]!;
  return { got: [...executeGraph(graph, data).get(out)!], want: [...referenceGraph(graph, data).get(out)!] };
}

describe("worked examples (by hand)", () => {
  it("a 2x2 conv of ones over a 3x3 ramp, stride 1, padding 1 on the right and bottom", () => {
    const b = new GraphBuilder("conv");
    b.output(b.conv2d(b.input("x", [1, 1, 3, 3]), b.input("w", [1, 1, 2, 2]), { padding: [0, 0, 1, 1] }));
    // x = 1..9 row-major; each output is the sum of its 2x2 window (zeros past the edge).
    const { got, want } = both(b.build(), { x: [1, 2, 3, 4, 5, 6, 7, 8, 9], w: [1, 1, 1, 1] });
    const hand = [12, 16, 9, 24, 28, 15, 15, 17, 9];
    expect(got).toEqual(hand);
    expect(want).toEqual(hand);
  });

  it("softmax of [0, ln 2, ln 3, ln 6] is [1, 2, 3, 6] / 12; layer_norm of [1, 2, 3] is [-sqrt(1.5), 0, sqrt(1.5)]", () => {
    const s = new GraphBuilder("s");
    s.output(s.softmax(s.input("x", [4])));
    const r = both(s.build(), { x: [0, Math.log(2), Math.log(3), Math.log(6)] });
    for (const v of [r.got, r.want]) [1 / 12, 2 / 12, 3 / 12, 6 / 12].forEach((p, i) => expect(v[i]).toBeCloseTo(p, 6));
    const n = new GraphBuilder("n");
    n.output(n.layerNorm(n.input("x", [3]), undefined, undefined, { epsilon: 0 }));
    const l = both(n.build(), { x: [1, 2, 3] });
    for (const v of [l.got, l.want]) [-Math.sqrt(1.5), 0, Math.sqrt(1.5)].forEach((p, i) => expect(v[i]).toBeCloseTo(p, 6));
  });

  it("3x3 average pool, stride 2, padding 1 on a 4x4 ramp: with and without the padding counted", () => {
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const countIncludePad of [false, true]) {
      const b = new GraphBuilder("p");
      b.output(b.avgPool(b.input("x", [1, 1, 4, 4]), [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1], countIncludePad }));
      const { got, want } = both(b.build(), { x });
      // Windows: rows {-1,0,1} x cols {-1,0,1} -> inside 1,2,5,6 (sum 14, 4 taps); rows -1..1 x cols 1..3 -> 2,3,4,6,7,8 (30, 6);
      // rows 1..3 x cols -1..1 -> 5,6,9,10,13,14 (57, 6); rows 1..3 x cols 1..3 -> 6,7,8,10,11,12,14,15,16 (99, 9).
      const hand = countIncludePad ? [14 / 9, 30 / 9, 57 / 9, 99 / 9] : [14 / 4, 30 / 6, 57 / 6, 99 / 9];
      hand.forEach((h, i) => {
        expect(got[i]).toBeCloseTo(h, 5);
        expect(want[i]).toBeCloseTo(h, 12);
      });
    }
  });

  it("gather picks rows of the table, negative indices from the end", () => {
    const b = new GraphBuilder("g");
    b.output(b.gather(b.input("t", [3, 2]), b.input("i", [2], "int32")));
    const { got, want } = both(b.build(), { t: [1, 2, 3, 4, 5, 6], i: [2, -3] });
    expect(got).toEqual([5, 6, 1, 2]);
    expect(want).toEqual([5, 6, 1, 2]);
  });

  it("an index outside the table is KPU_RUN_INDEX_RANGE naming the op", () => {
    const b = new GraphBuilder("g");
    b.output(b.gather(b.input("t", [3, 2]), b.input("i", [1], "int32"), 0, { id: "embed" }));
    expect(() => executeGraph(b.build(), new Map([["t", new Float32Array(6)], ["i", Float32Array.from([3])]]))).toThrow(
      expect.objectContaining({ code: "KPU_RUN_INDEX_RANGE", where: 'op "embed" (gather)' }),
    );
  });
});
