/**
 * Events per second of the event-driven sequencer simulation: a 4096x4096x4096 matmul on `edge-ai` (double
 * buffering), each strategy, medians of several runs. Target: at least 2 million events/s.
 */
import { STRATEGIES } from "@kpu/ir";
import { hardwarePreset, simulateMatmul } from "../src/index.js";

const runs = Number(process.env.KPU_BENCH_RUNS ?? 5);
const hw = hardwarePreset("edge-ai");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`kpu-model sim bench: 4096^3 on edge-ai, buffers 2, median of ${runs} runs`);
for (const strategy of STRATEGIES) {
  const engine: number[] = [];
  const total: number[] = [];
  let events = 0;
  let tasks = 0;
  let utilisation = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const run = simulateMatmul({ hardware: hw, m: 4096, n: 4096, k: 4096, strategy });
    const t1 = performance.now();
    events = run.trace.events;
    tasks = run.plan.program.n;
    utilisation = run.report.fabricUtilisation;
    // Engine-only time: re-run the engine on the planned program.
    total.push(t1 - t0);
    const { runEngine } = await import("../src/internal/engine.js");
    const e0 = performance.now();
    runEngine(run.plan.program);
    engine.push(performance.now() - e0);
  }
  const eMs = median(engine);
  const tMs = median(total);
  console.log(
    `${strategy}: ${events.toLocaleString("en-US")} events, ${tasks.toLocaleString("en-US")} tasks; engine ${eMs.toFixed(1)} ms = ` +
      `${((events / eMs) * 1000 / 1e6).toFixed(2)} M events/s; plan + engine ${tMs.toFixed(1)} ms = ${((events / tMs) * 1000 / 1e6).toFixed(2)} M events/s; ` +
      `fabric ${(utilisation * 100).toFixed(1)}% busy`,
  );
}
