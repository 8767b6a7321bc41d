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
