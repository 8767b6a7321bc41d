/**
 * Throughput of the graph executor (fp32, tiled implicit GEMM) and of the float64 reference, in M MACs/s, medians of
 * several runs: a ResNet-50 conv3_x 3x3 conv (64 channels, 56x56) and a BERT-base projection (512x768x768). The
 * `kpu run --max-macs` default (10^9) is sized from these numbers.
 */
import { GraphBuilder, type Graph } from "@kpu/ir";
import { executeGraph, graphMacs, randomGraphInputs, referenceGraph } from "../src/index.js";

const runs = Number(process.env.KPU_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function conv(): Graph {
  const b = new GraphBuilder("conv3x3-64x56x56");
  b.output(b.conv2d(b.input("x", [1, 64, 56, 56]), b.weight("w", [64, 64, 3, 3]), { padding: [1, 1, 1, 1], epilogue: [{ kind: "relu" }] }));
  return b.build();
}

function matmul(): Graph {
  const b = new GraphBuilder("matmul-512x768x768");
  b.output(b.matmul(b.input("x", [512, 768]), b.weight("w", [768, 768])));
  return b.build();
}

console.log(`kpu-model functional bench: median of ${runs} runs`);
for (const graph of [conv(), matmul()]) {
  const inputs = randomGraphInputs(graph);
  const time = (f: () => unknown): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const exec = median(Array.from({ length: runs }, () => time(() => executeGraph(graph, inputs))));
  const ref = median(Array.from({ length: runs }, () => time(() => referenceGraph(graph, inputs))));
  const macs = graphMacs(graph);
  const rate = (ms: number): string => `${(macs / ms / 1e3).toFixed(0)} M MACs/s`;
  console.log(`${graph.name}: ${(macs / 1e6).toFixed(1)} M MACs; executor ${exec.toFixed(0)} ms = ${rate(exec)}; reference ${ref.toFixed(0)} ms = ${rate(ref)}; executor / reference time ${(exec / ref).toFixed(2)}`);
}
