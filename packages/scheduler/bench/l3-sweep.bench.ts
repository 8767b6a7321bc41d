// pnpm bench: the full comprehensive preset (27 workloads x 3 strategies x 7 L3 sizes = 567 configurations) in each
// model, on worker threads, several runs; prints medians and the ratio to the 10 s target.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { presetSpec, runSweep } from "@kpu/scheduler";

const TARGET_SECONDS = 10;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const workers = Number(process.env.BENCH_WORKERS ?? availableParallelism());

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

console.log(`comprehensive preset, ${workers} worker threads, ${runs} runs per model`);
for (const model of ["kpu-sim", "kpu"] as const) {
  const times: number[] = [];
  let rows = 0;
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), "kpu-l3-bench-"));
    const t0 = performance.now();
    const out = await runSweep(presetSpec("comprehensive", model), { outDir: dir, workers });
    times.push((performance.now() - t0) / 1000);
    rows = out.rows.length;
    rmSync(dir, { recursive: true, force: true });
  }
  const m = median(times);
  console.log(
    `${model.padEnd(8)} ${rows} configurations: median ${m.toFixed(2)} s (runs ${times.map((t) => t.toFixed(2)).join(", ")}), ` +
      `${(m / TARGET_SECONDS).toFixed(2)}x the ${TARGET_SECONDS} s target; kpu-sim's C++ took 11,294 s (${(11294 / m).toFixed(0)}x)`,
  );
}
