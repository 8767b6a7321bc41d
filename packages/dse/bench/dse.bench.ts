// Benchmark: the cost of one ResNet-50 point (the exact mapper with one thread, then each timing path), and a DSE of
// ResNet-50 on edge-ai over every core, against the target: 500 points in under 10 minutes on 2 cores.
//   pnpm --filter @kpu/dse bench                 # per-point costs + a 16-point DSE, extrapolated to 500
//   pnpm --filter @kpu/dse bench -- --points 500 # the full 500-point DSE
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { analysisLayers, analyzeGraph, hardwarePreset, ruleMapping } from "@kpu/kpu-model";
import { exactMappingRule, mapNetwork } from "@kpu/mapper";
import { buildExample } from "@kpu/models";
import { dseTasks, evaluatePoint, parseSpace, runDse } from "../src/index.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};

const graph = buildExample("resnet50", {});
const hw = hardwarePreset("edge-ai");
const gemms = analysisLayers(graph).flatMap((l) => (l.unit === "fabric" ? [{ id: l.id, op: l.op, ...l.gemm }] : []));
const reps = arg("reps", 3);

// 1. one point, by stage: the mapper (threads 1) and the two timing paths on its answer
const mapS: number[] = [];
const analysisS: number[] = [];
let mapped = await mapNetwork(gemms, hw, { objective: "latency", threads: 1 });
for (let i = 0; i < reps; i++) {
  const [m, s] = await time(() => mapNetwork(gemms, hw, { objective: "latency", threads: 1 }));
  mapped = m;
  mapS.push(s);
  analysisS.push((await time(() => analyzeGraph(graph, hw, { mapper: { name: "exact", rule: exactMappingRule(mapped, ruleMapping) } })))[1]);
}
const space = (n: number) =>
  parseSpace(
    n <= 16
      ? "hw: edge-ai\nparameters:\n  rows: [8, 16, 32, 64]\n  l2KiB: [128, 256, 512, 1024]\n"
      : // 5 x 5 x 4 x 5 = 500
        "hw: edge-ai\nparameters:\n  rows: [8, 16, 24, 32, 64]\n  l2KiB: [128, 256, 384, 512, 1024]\n  l3KiB: [64, 128, 256, 512]\n  dramGBps: {from: 32, to: 512, times: 2}\n",
    "bench-space.yaml",
  );
const [task] = dseTasks(graph, space(16), "analysis");
const [taskA] = dseTasks(graph, space(16), "analytic");
const pointS = (await time(() => evaluatePoint(task!)))[1];
const pointAS = (await time(() => evaluatePoint(taskA!)))[1];
console.log(`ResNet-50 on edge-ai, ${gemms.length} fabric layers (${mapped.totals.distinctShapes} distinct shapes), median of ${reps}:`);
console.log(`  mapNetwork, 1 thread (engine memo warm): ${median(mapS).toFixed(2)} s`);
console.log(`  analyzeGraph with exactMappingRule:        ${median(analysisS).toFixed(2)} s (${((100 * median(analysisS)) / median(mapS)).toFixed(0)}% of the mapping)`);
console.log(`  one point (rows=8, l2KiB=128), analysis:   ${pointS.toFixed(2)} s; analytic: ${pointAS.toFixed(2)} s`);

// 2. a DSE over every core
const points = arg("points", 16);
const threads = availableParallelism();
const out = mkdtempSync(join(tmpdir(), "kpu-dse-bench-"));
const [r, s] = await time(() => runDse({ graph, model: { name: "resnet50", source: "example:resnet50" }, space: space(points), outDir: out, threads, onWarning: () => undefined }));
rmSync(out, { recursive: true, force: true });
const n = r.result.points.length;
const perPoint = (s * threads) / n;
console.log(`DSE: ${n} points (${r.result.points.filter((p) => p.feasible).length} feasible) on ${threads} threads in ${s.toFixed(1)} s: ${(s / n).toFixed(2)} s per point wall, ${perPoint.toFixed(2)} core-s per point`);
console.log(`  500 points on ${threads} cores at this rate: ${((500 * s) / n / 60).toFixed(1)} min (target < 10 min: ${(500 * s) / n < 600 ? "met" : "not met"})`);
