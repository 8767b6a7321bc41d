/**
 * `kpu analyze`'s speed targets: ResNet-50 on `edge-ai` under 2 s and LLaMA-3-8B prefill at 2,048 tokens on
 * `datacenter` under 10 s, each a fresh analysis (no cache carried between runs), median of several runs.
 */
import { analyzeGraph, hardwarePreset } from "../src/index.js";
import { LLAMA3_8B, decoder, resnet50 } from "../test/networks.js";

const runs = Number(process.env.KPU_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cases = [
  { name: "ResNet-50 on edge-ai", target: 2000, graph: resnet50(), hw: hardwarePreset("edge-ai"), options: {} },
  { name: "LLaMA-3-8B prefill 2048 on datacenter", target: 10000, graph: decoder(LLAMA3_8B, 2048, "llama3-8b"), hw: hardwarePreset("datacenter"), options: { phase: "prefill" as const, seq: 2048 } },
];

console.log(`kpu-model analyze bench: median of ${runs} runs`);
for (const c of cases) {
  const ms: number[] = [];
  let summary = "";
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const a = analyzeGraph(c.graph, c.hw, c.options);
    ms.push(performance.now() - t0);
    const t = a.totals;
    summary = `${a.layers.length} layers, ${(t.macs / 1e9).toFixed(2)} GMACs, ${(t.params / 1e6).toFixed(2)} M params, latency ${(t.latencyNs / 1e6).toFixed(3)} ms, ${t.throughput.value.toFixed(1)} ${t.throughput.unit}`;
  }
  const m = median(ms);
  console.log(`${c.name}: ${m.toFixed(0)} ms (target < ${c.target} ms, ratio ${(m / c.target).toFixed(2)}); ${summary}`);
}
