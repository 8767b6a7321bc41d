import { DSE_SCHEMA_VERSION, isKpuError, mlpExample, paretoFront, type DseLayer, type DsePoint, type DseResult } from "@kpu/ir";
import { HARDWARE_PRESETS, analyzeGraph, ruleMapping, validateHardware, type HardwareJson } from "@kpu/kpu-model";

/**
 * A small hand-written kpu.analysis document (the shape `kpu analyze --json` prints): a 2-matmul MLP with ReLU and
 * softmax on edge-ai. Latency is cycles at the 2000 MHz fabric clock; totals are the layers' sums.
 */
export function tinyAnalysis(): Record<string, unknown> {
  const layer = (id: string, op: string, inputShapes: number[][], outputShape: number[], macs: number, unit: string, cycles: number, dram: number, bound: string, fabricUtilization: number, vectorUtilization: number) => ({
    id,
    op,
    inputShapes,
    outputShape,
    macs,
    unit,
    mapping: { source: unit === "fabric" ? "rule: os tiles 64x64x64" : "vector unit", why: unit === "fabric" ? "OS keeps C in the PEs; 64x64x64 fits L1 twice" : "elementwise, streamed" },
    cycles,
    latencyNs: cycles / 2,
    fabricUtilization,
    vectorUtilization,
    bytes: { dram, l3: dram * 2, l2: dram * 3, l1: dram * 6 },
    energyPj: macs * 0.2 + dram * 200,
    bound,
    roofline: { intensity: dram > 0 ? macs / dram : 0, attained: cycles > 0 ? macs / cycles : 0, peak: unit === "fabric" ? 512 : unit === "vector" ? 64 : 0 },
  });
  const layers = [
    layer("fc1", "matmul", [[128, 256], [256, 512]], [128, 512], 16_777_216, "fabric", 40_000, 393_216, "fabric", 0.82, 0),
    layer("relu1", "relu", [[128, 512]], [128, 512], 0, "vector", 2_048, 262_144, "vector", 0, 0.5),
    layer("fc2", "matmul", [[128, 512], [512, 1024]], [128, 1024], 67_108_864, "fabric", 400_000, 2_621_440, "dram", 0.33, 0),
    layer("softmax", "softmax", [[128, 1024]], [128, 1024], 0, "vector", 8_192, 524_288, "vector", 0, 0.25),
  ];
  const sum = (f: (l: (typeof layers)[number]) => number) => layers.reduce((s, l) => s + f(l), 0);
  const cycles = sum((l) => l.cycles);
  return {
    kind: "kpu.analysis",
    schemaVersion: 1,
    model: { name: "tiny-mlp", source: "hand-written fixture" },
    hardware: "edge-ai",
    options: { batch: 128 },
    totals: {
      params: 256 * 512 + 512 * 1024,
      macs: sum((l) => l.macs),
      cycles,
      latencyNs: cycles / 2,
      energyPj: sum((l) => l.energyPj),
      dramBytes: sum((l) => l.bytes.dram),
      throughput: { value: 1e9 / (cycles / 2), unit: "inferences/s" },
      fabricUtilization: sum((l) => l.fabricUtilization * l.cycles) / cycles,
      vectorUtilization: sum((l) => l.vectorUtilization * l.cycles) / cycles,
    },
    layers,
  };
}

/**
 * A small kpu.dse document built from real analyses: the default MLP example on edge-ai with the fabric's array and
 * the L3 bank size varied (3 x 4 points), each point analysed by `analyzeGraph` with kpu's rule mapping (a point whose
 * L3 cannot hold a tile set is infeasible, with the error's message), the mapping of every fabric layer from
 * `ruleMapping`, and the front marked by @kpu/ir's `paretoFront`. `kpu dse` is not in this build: the area is the
 * test's own stand-in (0.002 mm² per PE plus 1.5 mm² per MiB of L3), not a kpu model.
 */
export function dseExample(): DseResult {
  const arrays = [8, 16, 32];
  const l3BankKiB = [1, 32, 128, 512];
  const graph = mlpExample();
  const base = HARDWARE_PRESETS["edge-ai"]!;
  const points: Omit<DsePoint, "pareto">[] = [];
  for (const array of arrays) {
    for (const kib of l3BankKiB) {
      const json: HardwareJson = structuredClone(base);
      const hwJson = { ...json, name: `edge-ai-a${array}-l3-${kib}k`, fabric: { ...json.fabric, rows: array, cols: array }, levels: { ...json.levels, l3: { ...json.levels.l3, bankBytes: kib * 1024 } } };
      const params = { arrayDim: array, l3BankKiB: kib };
      const id = `a${array}-l3-${kib}k`;
      try {
        const hw = validateHardware(hwJson, id);
        const a = analyzeGraph(graph, hw);
        const layers: DseLayer[] = a.layers.flatMap((l) => {
          if (l.unit !== "fabric" || l.gemm === undefined) return [];
          const gemm = { m: l.gemm.m, n: l.gemm.n, k: l.gemm.k, batch: l.gemm.batch };
          return [{ id: l.id, op: l.op, gemm, mapping: ruleMapping(hw, gemm).mapping, cycles: l.cycles, energyPj: l.energyPj, dramBytes: l.bytes.dram }];
        });
        const areaMm2 = 0.002 * array * array * hw.computeTiles + (1.5 * kib * hw.levels.l3.banks) / 1024;
        points.push({ id, params, feasible: true, latencyNs: a.totals.latencyNs, energyPj: a.totals.energyPj, areaMm2, cycles: a.totals.cycles, dramBytes: a.totals.dramBytes, layers });
      } catch (e) {
        if (!isKpuError(e)) throw e;
        points.push({ id, params, feasible: false, reason: `${e.code}: ${e.message}` });
      }
    }
  }
  const front = paretoFront(points);
  return {
    kind: "kpu.dse",
    schemaVersion: DSE_SCHEMA_VERSION,
    model: { name: graph.name, source: "example:mlp" },
    baseHardware: "edge-ai",
    objective: "latency",
    tool: { name: "kpu (test)", version: "0.0.0" },
    parameters: [
      { name: "arrayDim", values: arrays },
      { name: "l3BankKiB", values: l3BankKiB },
    ],
    points: points.map((p, i) => ({ ...p, pareto: front[i]! })),
  };
}
