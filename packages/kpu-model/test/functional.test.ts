import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphBuilder, LOOP_ORDERS, bertLayerExample, mlpExample, type Graph, type LoopOrder, type SchedOp, type TensorRef } from "@kpu/ir";
import { executeSchedule, gelu, randomInputs, referenceExecute, referenceGelu, referenceRelu, relu, verifySchedule } from "@kpu/kpu-model";
import { POLICY_NAMES, minimumWorkingSet, scheduleProgram, type ScheduleOptions } from "@kpu/memory-planner";
import { compileGraph, fuseGraph, lowerProgram, tileGraph } from "@kpu/passes";

const KiB = 1024;

function compileAndSchedule(graph: Graph, tile: number, order: LoopOrder, options: ScheduleOptions) {
  const { output } = compileGraph(graph, { tiling: { tile }, loopOrder: order });
  return { program: output, result: scheduleProgram(output, options) };
}

/**
 * GELU, tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), computed by hand (mpmath, 30 digits, rounded to the nearest double):
 * literal values, so that neither the reference nor the executor is checked against itself.
 */
const GELU_AT: readonly (readonly [number, number])[] = [
  [1, 0.8411919906082767],
  [-1, -0.1588080093917233],
  [0, 0],
  [0.5, 0.34571400982514394],
  [-0.5, -0.15428599017485609],
  [2, 1.954597694087775],
  [-3, -0.003637392081773019],
  [10, 10], // 10 - 1.3e-37
  [-10, 0], // -1.3e-37
  [30, 30],
  [-30, 0],
];
const RELU_AT: readonly (readonly [number, number])[] = [[1.5, 1.5], [0, 0], [-2, 0], [1e-30, 1e-30], [-1e30, 0], [1e30, 1e30]];

describe("activations at literal values", () => {
  it("the reference's own GELU and ReLU", () => {
    for (const [x, y] of GELU_AT) expect(referenceGelu(x), `GELU(${x})`).toBeCloseTo(y, 14);
    for (const [x, y] of RELU_AT) expect(referenceRelu(x), `ReLU(${x})`).toBe(y);
  });

  it("the executor's kernels", () => {
    for (const [x, y] of GELU_AT) expect(gelu(x), `GELU(${x})`).toBeCloseTo(y, 14);
    for (const [x, y] of RELU_AT) expect(relu(x), `ReLU(${x})`).toBe(y);
  });

  it("a compiled, scheduled and executed x * I -> GELU and x * I -> ReLU give the literal values (fp32)", () => {
    const xs = GELU_AT.map(([x]) => x);
    const n = xs.length;
    const b = new GraphBuilder("act");
    const x = b.input("x", [1, n]);
    const w = b.input("w", [n, n]);
    b.output(b.gelu(b.matmul(x, w, { name: "h" }), { name: "g" }));
    b.output(b.relu(b.matmul(x, w, { name: "h2" }), { name: "r" }));
    const graph = b.build();
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 1;
    const inputs = new Map([["x", Float32Array.from(xs)], ["w", eye]]);
    for (const fusion of [false, true]) {
      const { output } = compileGraph(graph, { tiling: { tile: 4 }, loopOrder: "mnk", ...(fusion ? {} : { fusion: false as const }) });
      const { schedule } = scheduleProgram(output, { sramBytes: 64 * KiB });
      const run = executeSchedule(schedule, output.tiled, inputs);
      const g = run.dram.get("g")!;
      const r = run.dram.get("r")!;
      GELU_AT.forEach(([xv, y], i) => expect(g[i], `fused ${fusion}: GELU(${xv})`).toBeCloseTo(y, 6));
      xs.forEach((xv, i) => expect(r[i], `fused ${fusion}: ReLU(${xv})`).toBe(Math.max(xv, 0)));
    }
  });
});

describe("reference implementation", () => {
  it("worked example: [1 2; 3 4] x [1 0; 1 1] + bias [1, -10], relu", () => {
    const b = new GraphBuilder("tiny");
    const x = b.input("x", [2, 2]);
    const w = b.input("w", [2, 2]);
    const bias = b.input("b", [2]);
    b.output(b.relu(b.biasAdd(b.matmul(x, w, { name: "h" }), bias, { name: "hb" }), { name: "y" }));
    const out = referenceExecute(b.build(), new Map([["x", Float32Array.of(1, 2, 3, 4)], ["w", Float32Array.of(1, 0, 1, 1)], ["b", Float32Array.of(1, -10)]]));
    expect([...out.get("y")!]).toEqual([4, 0, 8, 0]); // [3 2; 7 4] + [1 -10] -> [4 -8; 8 -6] -> relu
  });
});

describe("functional executor", () => {
  it("the seed MLP at 256 KiB (acceptance): the schedule computes the graph", () => {
    const { program, result } = compileAndSchedule(mlpExample(), 32, "mnk", { sramBytes: 256 * KiB, policy: "lru" });
    const v = verifySchedule(result.schedule, program.tiled, { reference: mlpExample() });
    expect(v.ok).toBe(true);
    expect(v.maxAbsError).toBeLessThan(1e-3);
    expect(v.counts).toEqual({ loads: 39, execs: 44, ewises: 0, stores: 16, forwards: 0 });
  });

  it("every policy and small SRAM, double buffering, forwarding and the blocked order", () => {
    const cases: [LoopOrder, ScheduleOptions][] = [
      ["mnk", { sramBytes: 16 * KiB, policy: "min" }],
      ["mnk", { sramBytes: 20 * KiB, policy: "fifo", doubleBuffer: true }],
      ["mnk", { sramBytes: 256 * KiB, policy: "lru", forward: true }],
      ["kmn", { sramBytes: 48 * KiB, policy: "lru" }],
      ["blocked", { sramBytes: 64 * KiB, policy: "min", doubleBuffer: true }],
    ];
    for (const [order, options] of cases) {
      const { program, result } = compileAndSchedule(mlpExample(), 32, order, options);
      const v = verifySchedule(result.schedule, program.tiled, { reference: mlpExample(), seed: 7 });
      expect(v.ok, `${order} ${JSON.stringify(options)}`).toBe(true);
    }
  });

  it("a wrong address gives a wrong answer, so the check is real", () => {
    const { program, result } = compileAndSchedule(mlpExample(), 32, "mnk", { sramBytes: 256 * KiB });
    const corrupt = (f: (ops: SchedOp[]) => void) => {
      const ops = result.schedule.ops.map((o) => ({ ...o })) as SchedOp[];
      f(ops);
      return verifySchedule({ ...result.schedule, ops }, program.tiled, { reference: mlpExample() });
    };
    // EXEC reads its A tile at another resident tile's address.
    const a = corrupt((ops) => {
      const e = ops.findIndex((o, i) => i > 20 && o.kind === "EXEC");
      const exec = ops[e] as { aAddr: number; bAddr: number };
      exec.aAddr = exec.bAddr;
    });
    expect(a.ok).toBe(false);
    // A LOAD lands 4 KiB off: an EXEC reads another tile (or NaN-poisoned memory).
    const b = corrupt((ops) => {
      const l = ops.findIndex((o) => o.kind === "LOAD");
      (ops[l] as { addr: number }).addr += 4096;
    });
    expect(b.ok).toBe(false);
    expect(b.maxAbsError).toBeGreaterThan(b.outputs[0]!.toleranceAbs);
    // A STORE from the wrong accumulator address.
    const c = corrupt((ops) => {
      const s = ops.findIndex((o) => o.kind === "STORE");
      (ops[s] as { addr: number }).addr = 0;
    });
    expect(c.ok).toBe(false);
  });

  it("a BERT layer (seq 32, 64x64 tiles) with fused bias, residual and GELU epilogues", () => {
    const graph = bertLayerExample(32);
    const { program, result } = compileAndSchedule(graph, 64, "mnk", { sramBytes: 256 * KiB, policy: "min", forward: true });
    const v = verifySchedule(result.schedule, program.tiled, { reference: graph });
    expect(v.outputs.map((o) => o.tensor)).toEqual(["qkv", "out"]);
    expect(v.ok).toBe(true);
  });

  it("refuses inputs of the wrong size", () => {
    const { program, result } = compileAndSchedule(mlpExample(), 32, "mnk", { sramBytes: 256 * KiB });
    const inputs = randomInputs(mlpExample());
    inputs.set("x", new Float32Array(3));
    expect(() => executeSchedule(result.schedule, program.tiled, inputs)).toThrow(/input "x" needs 16384 values/);
  });
});

// Random graphs: chains of matmuls with optional bias, residual and activation, fused or not.
interface GraphSpec {
  readonly m: number;
  readonly k: number;
  readonly layers: readonly { readonly n: number; readonly bias: boolean; readonly residual: boolean; readonly act: "none" | "relu" | "gelu" }[];
}
const dim = fc.integer({ min: 1, max: 24 });
const graphArb: fc.Arbitrary<GraphSpec> = fc.record({
  m: dim,
  k: dim,
  layers: fc.array(fc.record({ n: dim, bias: fc.boolean(), residual: fc.boolean(), act: fc.constantFrom("none" as const, "relu" as const, "gelu" as const) }), { minLength: 1, maxLength: 3 }),
});

function buildGraph(spec: GraphSpec): Graph {
  const b = new GraphBuilder("random");
  let x: TensorRef = b.input("x", [spec.m, spec.k]);
  let width = spec.k;
  spec.layers.forEach((layer, i) => {
    let h = b.matmul(x, b.input(`w${i}`, [width, layer.n]), { name: `mm${i}_out`, id: `mm${i}` });
    if (layer.bias) h = b.biasAdd(h, b.input(`b${i}`, [layer.n]), { name: `bias${i}_out`, id: `bias${i}` });
    if (layer.residual && layer.n === width) h = b.add(h, x, { name: `res${i}_out`, id: `res${i}` });
    if (layer.act === "relu") h = b.relu(h, { name: `act${i}_out`, id: `act${i}` });
    if (layer.act === "gelu") h = b.gelu(h, { name: `act${i}_out`, id: `act${i}` });
    x = h;
    width = layer.n;
  });
  b.output(x);
  return b.build();
}

describe("functional executor (property-based)", () => {
  it("the executed result matches the reference for random graphs, tiles, SRAM sizes, policies, orders, double buffering and forwarding", () => {
    fc.assert(
      fc.property(
        graphArb,
        fc.record({ m: fc.integer({ min: 2, max: 12 }), n: fc.integer({ min: 2, max: 12 }), k: fc.integer({ min: 2, max: 12 }) }),
        fc.boolean(),
        fc.constantFrom(...LOOP_ORDERS),
        fc.constantFrom(...POLICY_NAMES),
        fc.boolean(),
        fc.boolean(),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (spec, tile, fusion, order, policy, doubleBuffer, forward, slack, seed) => {
          const graph = buildGraph(spec);
          const program = lowerProgram(tileGraph(fusion ? fuseGraph(graph) : graph, { tile }), order, { block: { m: 2, n: 2 } });
          const min = minimumWorkingSet(program, { doubleBuffer }).bytes;
          const { schedule } = scheduleProgram(program, { sramBytes: Math.ceil((min * (1 + slack)) / 4) * 4, policy, doubleBuffer, forward });
          const v = verifySchedule(schedule, program.tiled, { reference: graph, seed });
          expect(v.outputs.map((o) => [o.tensor, o.ok])).toEqual(v.outputs.map((o) => [o.tensor, true]));
        },
      ),
      { numRuns: 150 },
    );
  });
});
