// pnpm bench (@kpu/queue): 10,000 small sweep jobs through a loopback redis-server on 1, 2 and 4 `kpu worker`
// processes, against the local paths (inline and the tinypool thread pool) on the same jobs; then jobs of a given
// size (KPU_FAULT_QUEUE=slow:MS, which waits without using a core, like a job on another machine) to check the
// overhead model. Runs on the built packages (the thread pool loads dist, as users run it). Prints medians, per-job overheads and the crossover job size. Needs `pnpm build` (workers run the
// built CLI) and redis-server. BENCH_JOBS (default 10000) and BENCH_RUNS (default 3) shrink it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { runSweep, type SweepSpec } from "@kpu/scheduler";
import { cleanQueues, connectChecked, parseRedisUrl, queueSweepExecutor } from "@kpu/queue";

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const bin = join(import.meta.dirname, "../../../apps/cli/dist/bin.js");

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `n` one-point jobs: a small matmul each (m, n in 64..191, distinct pairs: distinct content keys), one strategy, one L3 size. */
function smallSpec(n: number): SweepSpec {
  const workloads = Array.from({ length: n }, (_, i) => ({ name: `w${i}`, category: "bench", aspect: "", m: 64 + (i % 128), n: 64 + Math.floor(i / 128), k: 64 }));
  return { workloads, strategies: ["os"], l3Bytes: [1 << 20], model: "kpu", cAccounting: "rmw" };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => { resolve(port); });
    });
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

async function sweepOnce(spec: SweepSpec, options: Omit<Parameters<typeof runSweep>[1], "outDir">): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "kpu-queue-bench-"));
  try {
    return await timed(() => runSweep(spec, { ...options, outDir: dir, onWarning: () => undefined }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), "kpu-queue-bench-redis-"));
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""], { stdio: "ignore" });
const target = parseRedisUrl(`redis://127.0.0.1:${port}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    redis.kill("SIGTERM");
    process.exit(130);
  });
}
let client: Awaited<ReturnType<typeof connectChecked>> | undefined;
for (let i = 0; i < 100 && client === undefined; i++) {
  client = await connectChecked(target).catch(async () => { await sleep(50); return undefined; });
}
if (client === undefined) throw new Error("redis-server did not start");

async function withWorkers<T>(count: number, env: Record<string, string>, f: () => Promise<T>): Promise<T> {
  const workers: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const w = spawn(process.execPath, [bin, "worker", "--redis", target.url, "--kinds", "sweep", "--name", `bench${i}`, "--json"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    await new Promise<void>((resolve) => w.stdout.once("data", () => { resolve(); }));
    workers.push(w);
  }
  try {
    return await f();
  } finally {
    await Promise.all(workers.map((w) => new Promise((r) => { w.once("exit", r); w.kill("SIGTERM"); })));
  }
}

/** A queued sweep from a clean queue (the content keys would otherwise find last run's results). */
async function queued(spec: SweepSpec): Promise<number> {
  await cleanQueues(target, client!);
  return sweepOnce(spec, { executor: queueSweepExecutor(target) });
}

try {
  const spec = smallSpec(JOBS);
  console.log(`${JOBS} small sweep jobs (one point of a matmul of at most 191x${spec.workloads.at(-1)!.n}x64 each), ${RUNS} runs, loopback Redis, ${availableParallelism()} cores`);
  const runs = async (f: () => Promise<number>): Promise<number[]> => {
    const xs: number[] = [];
    for (let r = 0; r < RUNS; r++) xs.push(await f());
    return xs;
  };
  const inline = median(await runs(() => sweepOnce(spec, { workers: 1 })));
  const poolMedian = median(await runs(() => sweepOnce(spec, { workers: 2 })));
  console.log(`local inline (1 thread):      median ${inline.toFixed(2)} s, ${(JOBS / inline).toFixed(0)} jobs/s, ${((inline / JOBS) * 1e3).toFixed(3)} ms/job`);
  console.log(`local tinypool (2 threads):   median ${poolMedian.toFixed(2)} s, ${(JOBS / poolMedian).toFixed(0)} jobs/s, ${((poolMedian / JOBS) * 1e3).toFixed(3)} ms/job`);
  const perWorkers = new Map<number, number>();
  for (const count of [1, 2, 4]) {
    const t = await withWorkers(count, {}, () => runs(() => queued(spec)));
    const m = median(t);
    perWorkers.set(count, m);
    console.log(`queue, ${count} worker process(es): median ${m.toFixed(2)} s (runs ${t.map((x) => x.toFixed(2)).join(", ")}), ${(JOBS / m).toFixed(0)} jobs/s, ${(m / poolMedian).toFixed(2)}x the tinypool time`);
  }
  // Redis memory while the last run's jobs and results are kept (before `kpu queue clean`)
  const used = Number(/used_memory:(\d+)/.exec(await client.info("memory"))?.[1] ?? 0);
  console.log(`redis used_memory with ${JOBS} finished jobs kept: ${(used / 2 ** 20).toFixed(1)} MiB (${(used / JOBS / 1024).toFixed(2)} KiB per job, event stream included)`);
  // per-job overhead: what a job costs beyond its own compute (the inline time per job)
  const compute = inline / JOBS;
  const oQueue = perWorkers.get(1)! / JOBS - compute;
  const oPool = (poolMedian * 2) / JOBS - compute;
  console.log(`per-job overhead: queue ${(oQueue * 1e3).toFixed(3)} ms (1 worker), tinypool ${(oPool * 1e3).toFixed(3)} ms (thread time per job beyond compute); ratio ${(oQueue / Math.max(oPool, 1e-6)).toFixed(1)}x`);
  // jobs of a given size: a waiting job uses no core, so 4 workers on one machine behave like 4 machines
  const sized = Math.min(JOBS, 200);
  for (const ms of [5, 20]) {
    const small = smallSpec(sized);
    const t = await withWorkers(4, { KPU_FAULT_QUEUE: `slow:${ms}` }, () => queued(small));
    const model = (sized * (ms / 1e3 + oQueue + compute)) / 4;
    console.log(`${sized} jobs of ${ms} ms on 4 workers: ${t.toFixed(2)} s; the overhead model N(c+o)/W predicts ${model.toFixed(2)} s`);
  }
  const rMax = JOBS / perWorkers.get(4)!;
  console.log(`throughput ceiling (producer + Redis, 4 workers): ${rMax.toFixed(0)} jobs/s`);
  for (const nodes of [2, 4, 8]) {
    // the queue pays when M nodes of P cores beat one node's pool: (c + oQ) / (M P) < (c + oP) / P, and below the ceiling
    const P = 2;
    const c = Math.max((oQueue - nodes * oPool) / (nodes - 1), P / rMax - oPool, 0);
    console.log(`crossover with ${nodes} nodes of ${P} cores: jobs above ${(c * 1e3).toFixed(2)} ms of compute`);
  }
} finally {
  client.disconnect();
  redis.kill("SIGTERM");
  await new Promise((r) => redis.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
