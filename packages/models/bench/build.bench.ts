// Building the workload library's graphs (shape inference and validation included): the median and best of several
// builds per network, and the ratio to the target for LLaMA-3-8B prefill at 2,048 tokens (32 layers; target < 1 s).
// Run: pnpm --filter @kpu/models bench
import { buildExample, EXAMPLE_NAMES, type NetworkOptions } from "@kpu/models";

const runs = Number(process.env.BENCH_RUNS ?? 9);
const TARGET_MS = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function measure(name: string, options: NetworkOptions): { ms: number; best: number; ops: number } {
  buildExample(name, options); // warm-up
  const times: number[] = [];
  let ops = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    ops = buildExample(name, options).ops.length;
    times.push(performance.now() - t0);
  }
  return { ms: median(times), best: Math.min(...times), ops };
}

const cases: [string, NetworkOptions][] = [
  ...EXAMPLE_NAMES.filter((n) => n !== "llama3-8b").map((n): [string, NetworkOptions] => [n, {}]),
  ["llama3-8b", { seq: 2048 }],
  ["llama3-8b", { phase: "decode", context: 8192, batch: 8 }],
];
console.log(`network build time, ${runs} runs each: median, best`);
let llama = 0;
for (const [name, options] of cases) {
  const r = measure(name, options);
  if (name === "llama3-8b" && options.seq === 2048) llama = r.ms;
  const label = `${name} ${JSON.stringify(options)}`;
  console.log(`${label.padEnd(52)} ${String(r.ops).padStart(5)} ops ${r.ms.toFixed(1).padStart(7)} ms ${r.best.toFixed(1).padStart(7)} ms`);
}
console.log(`target: llama3-8b prefill at 2,048 tokens < ${TARGET_MS} ms: ${llama.toFixed(1)} ms, ${(TARGET_MS / llama).toFixed(0)}x under, ${llama < TARGET_MS ? "met" : "MISSED"}`);
