// Benchmark: five consecutive points of the issue's 500-point ResNet-50 space in one process (what one DSE worker
// runs), CPU and wall seconds each: the points differ only in DRAM bandwidth, so from the second on the mapper's
// hierarchy-engine answers (memoised per process, `engineBlockTraffic`) are reused.
//   pnpm --filter @kpu/dse bench:consecutive [-- FIRST]   # FIRST: index of the first point (default 0)
import { buildExample } from "@kpu/models";
import { dseTasks, evaluatePoint, parseSpace } from "../src/index.js";

const graph = buildExample("resnet50", {});
const space = parseSpace(
  "hw: edge-ai\nparameters:\n  rows: [8, 16, 24, 32, 64]\n  l2KiB: [128, 256, 384, 512, 1024]\n  l3KiB: [64, 128, 256, 512]\n  dramGBps: {from: 32, to: 512, times: 2}\n",
  "bench-space.yaml",
);
const tasks = dseTasks(graph, space, "analysis");
const first = Number(process.argv[2] ?? 0);
for (let i = first; i < Math.min(first + 5, tasks.length); i++) {
  const task = tasks[i]!;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const p = await evaluatePoint(task);
  const used = process.cpuUsage(cpu);
  const params = Object.entries(task.params).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`point ${i} (${params}): ${((used.user + used.system) / 1e6).toFixed(2)} CPU s, ${((performance.now() - start) / 1000).toFixed(2)} s wall, latency ${p.feasible ? `${p.latencyNs} ns` : "infeasible"}`);
}
