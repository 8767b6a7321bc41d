// Scheduling throughput: a BERT-base encoder layer at sequence length 384, 32x32 fp32 tiles (~250k micro-ops),
// scheduled with each policy; prints the median (and best) over several runs and micro-ops per second, for the
// scheduler proper (addresses decided, schedule in typed arrays: `materialize: false`) and end to end (one SchedOp
// object per op, what scheduleProgram returns by default).
// Run: pnpm --filter @kpu/memory-planner bench   (targets: >= 2M micro-ops/s LRU, >= 0.5M MIN)
import { bertLayerExample } from "@kpu/ir";
import { compileGraph } from "@kpu/passes";
import { POLICY_NAMES, scheduleProgram, type PolicyName } from "@kpu/memory-planner";

const runs = Number(process.env.BENCH_RUNS ?? 9);
const sramBytes = 256 * 1024;
const { output: program } = compileGraph(bertLayerExample(384), { tiling: { tile: 32 }, loopOrder: "mnk" });
const uops = program.uops.length;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

console.log(`BERT-base layer, seq 384, 32x32 tiles: ${uops.toLocaleString("en-US")} micro-ops, SRAM ${sramBytes / 1024} KiB, ${runs} runs each`);
/** Wall-clock median and best, and the median CPU time of this process (less sensitive to a busy machine). */
function measure(policy: PolicyName, doubleBuffer: boolean, materialize: boolean): { ms: number; best: number; cpuMs: number; loads: number } {
  scheduleProgram(program, { sramBytes, policy, doubleBuffer, materialize }); // warm-up
  const times: number[] = [];
  const cpu: number[] = [];
  let loads = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = scheduleProgram(program, { sramBytes, policy, doubleBuffer, materialize });
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    loads = r.schedule.stats.loadsEmitted;
  }
  return { ms: median(times), best: Math.min(...times), cpuMs: median(cpu), loads };
}

const rate = (ms: number): string => `${(uops / (ms / 1000) / 1e6).toFixed(2).padStart(5)} M/s`;
const results: Record<string, number> = {};
console.log("policy    scheduler (typed arrays): median, best, CPU    end to end (SchedOp objects): median, best, CPU    loads");
for (const policy of POLICY_NAMES) {
  for (const doubleBuffer of [false, true]) {
    const core = measure(policy, doubleBuffer, false);
    const full = measure(policy, doubleBuffer, true);
    const name = `${policy}${doubleBuffer ? " +db" : ""}`;
    results[name] = uops / (core.ms / 1000);
    results[`${name} full`] = uops / (full.ms / 1000);
    console.log(
      `${name.padEnd(9)} ${core.ms.toFixed(1).padStart(6)} ms ${rate(core.ms)} ${rate(core.best)} ${rate(core.cpuMs)}    ` +
        `${full.ms.toFixed(1).padStart(6)} ms ${rate(full.ms)} ${rate(full.best)} ${rate(full.cpuMs)}    ${core.loads.toLocaleString("en-US")}`,
    );
  }
}
const verdict = (x: number, target: number): string => `${(x / 1e6).toFixed(2)} M/s ${x >= target ? "met" : "MISSED"}`;
console.log(
  `targets (medians): LRU >= 2 M/s: scheduler ${verdict(results.lru!, 2e6)}, end to end ${verdict(results["lru full"]!, 2e6)}; ` +
    `MIN >= 0.5 M/s: scheduler ${verdict(results.min!, 5e5)}, end to end ${verdict(results["min full"]!, 5e5)}`,
);
