// Integration: a real redis-server and real `kpu worker` / `kpu l3 sweep --queue` processes, through the faults of
// issue 15. Every queued sweep must give the local run's sweep.csv and results.json byte for byte.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseGridFile, runSweep } from "@kpu/scheduler";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PREFIX, queueName, toolVersion } from "../src/index.js";
import { HAVE_REDIS, kpuRun, kpuSpawn, smallGrid, startRedis, startWorker, stopProcess, tempDir, until, type KpuProcess, type RedisServer } from "./harness.js";

const grid = smallGrid();
let local = "";
const running: KpuProcess[] = [];
let redis: RedisServer | undefined;

function sweepArgs(out: string, url: string): string[] {
  return ["l3", "sweep", "--grid", grid, "--out", out, "--queue", url, "--no-plots", "--json"];
}

/** sweep.csv and results.json of a finished sweep equal the local run's; rows.csv holds each point once. */
function expectSameAsLocal(out: string): void {
  expect(readFileSync(join(out, "sweep.csv"), "utf8")).toBe(readFileSync(join(local, "sweep.csv"), "utf8"));
  expect(readFileSync(join(out, "results.json"), "utf8")).toBe(readFileSync(join(local, "results.json"), "utf8"));
  const log = readFileSync(join(out, "rows.csv"), "utf8").trim().split("\n");
  expect(log).toHaveLength(25); // header + 24 rows, none twice
  expect(new Set(log).size).toBe(25);
}

function rowsLogged(out: string): number {
  const path = join(out, "rows.csv");
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").length - 1 : 0;
}

async function worker(name: string, env: Record<string, string> = {}): Promise<KpuProcess> {
  const w = await startWorker(redis!.url, name, env);
  running.push(w);
  return w;
}

function producer(out: string, env: Record<string, string> = {}): KpuProcess {
  const p = kpuSpawn(sweepArgs(out, redis!.url), env);
  running.push(p);
  return p;
}

/** Jobs each worker finished, from their --json lines. */
function doneBy(...workers: KpuProcess[]): number {
  return workers.reduce((n, w) => n + w.events().filter((e) => e.event === "job" && e.ok === true).length, 0);
}

describe.skipIf(!HAVE_REDIS)("queued sweeps on real Redis and worker processes", () => {
  beforeAll(async () => {
    // the local run, in this process: what `kpu l3 sweep --grid` without --queue runs
    local = tempDir("local");
    await runSweep(parseGridFile(readFileSync(grid, "utf8"), grid), { outDir: local, workers: 1 });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => stopProcess(p, "SIGKILL")));
    await redis?.stop();
    redis = undefined;
  });

  it("two workers give the local run's rows; kpu queue status counts each job once", async () => {
    redis = await startRedis();
    const [a, b] = [await worker("a"), await worker("b")];
    const out = tempDir("two");
    const p = producer(out);
    expect((await p.exited).code).toBe(0);
    expectSameAsLocal(out);
    expect(doneBy(a, b)).toBe(12);
    const status = await kpuRun(["queue", "status", "--redis", redis.url, "--json"]);
    const sweep = (JSON.parse(status.stdout) as { queues: { queue: string; completed: number; workers: { name: string; done: number }[] }[] }).queues.find((q) => q.queue.startsWith("sweep@"))!;
    expect(sweep.completed).toBe(12);
    expect(sweep.workers.filter((w) => w.name === "a" || w.name === "b").reduce((n, w) => n + w.done, 0)).toBe(12);
  });

  it("a worker SIGKILLed mid-job: its job stalls to a new worker; no row lost or twice", async () => {
    redis = await startRedis();
    const slow = await worker("slow", { KPU_FAULT_QUEUE: "slow:700" });
    const out = tempDir("kill");
    const p = producer(out);
    await until("the slow worker to finish two jobs", () => doneBy(slow) >= 2);
    slow.child.kill("SIGKILL"); // mid-job: it was 0 to 700 ms into the next one
    await slow.exited;
    const fresh = await worker("fresh");
    expect((await p.exited).code).toBe(0);
    expectSameAsLocal(out);
    expect(doneBy(slow) + doneBy(fresh)).toBe(12);
  });

  it("SIGTERM: the worker finishes its job in flight, then exits 0", async () => {
    redis = await startRedis();
    const w = await worker("graceful", { KPU_FAULT_QUEUE: "slow:600" });
    const p = producer(tempDir("term"));
    await until("a job to start", () => doneBy(w) >= 1);
    w.child.kill("SIGTERM");
    const exit = await w.exited;
    expect(exit.code).toBe(0);
    const jobs = w.events().filter((e) => e.event === "job");
    expect(jobs.every((e) => e.ok === true)).toBe(true);
    expect(w.events().at(-1)).toMatchObject({ event: "stopped", failed: 0 });
    await stopProcess(p, "SIGKILL");
  });

  it("Redis restarted mid-sweep (append-only on): the sweep finishes with the local rows", async () => {
    redis = await startRedis();
    await worker("w", { KPU_FAULT_QUEUE: "slow:150" });
    const out = tempDir("restart");
    const p = producer(out);
    await until("a few rows", () => rowsLogged(out) >= 4);
    await redis.restart();
    expect((await p.exited).code).toBe(0);
    expectSameAsLocal(out);
  });

  it("the producer SIGKILLed and run again resumes; two producers of one sweep share its jobs", async () => {
    redis = await startRedis();
    const w = await worker("w", { KPU_FAULT_QUEUE: "slow:100" });
    const out = tempDir("resume");
    const first = producer(out);
    await until("a few rows", () => rowsLogged(out) >= 4);
    first.child.kill("SIGKILL");
    await first.exited;
    const other = tempDir("other");
    const [again, second] = [producer(out), producer(other)];
    const [r1, r2] = [await again.exited, await second.exited];
    expect([r1.code, r2.code]).toEqual([0, 0]);
    expect((JSON.parse(again.stdout) as { resumedRows: number }).resumedRows).toBeGreaterThanOrEqual(4);
    expectSameAsLocal(out);
    expectSameAsLocal(other);
    expect(doneBy(w)).toBe(12); // every job ran once for the three producer runs
  });

  it("a job that throws is failed rows with the reason; the sweep goes on", async () => {
    redis = await startRedis();
    await worker("w", { KPU_FAULT_QUEUE: "throw:tall WS" });
    const out = tempDir("throw");
    const p = producer(out);
    expect((await p.exited).code).toBe(0);
    const rows = (JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { rows: Record<string, string>[] }).rows;
    const thrown = rows.filter((r) => r.Workload_Name === "tall" && r.Strategy === "WS");
    expect(thrown).toHaveLength(2);
    for (const r of thrown) expect(r).toMatchObject({ Status: "failed", Reason: expect.stringMatching(/^job sweep-[0-9a-f]{40} failed: fault injected/) as unknown });
    const localRows = (JSON.parse(readFileSync(join(local, "results.json"), "utf8")) as { rows: Record<string, string>[] }).rows;
    expect(rows.filter((r) => !(r.Workload_Name === "tall" && r.Strategy === "WS"))).toEqual(localRows.filter((r) => !(r.Workload_Name === "tall" && r.Strategy === "WS")));
  });

  it("a worker of an older kpu version is refused by version; the jobs wait for a current one", async () => {
    redis = await startRedis();
    const out = tempDir("old");
    const p = producer(out);
    // BullMQ's list of waiting job ids
    await until("the jobs to be queued", () => redis!.cli("LLEN", `${PREFIX}:${queueName("sweep", toolVersion())}:wait`) === "12");
    const old = await worker("old", { KPU_FAULT_QUEUE: "version:0.0.1" });
    await until("the refusal", () => /refused by version: 12 sweep job\(s\) of kpu \d+\.\d+\.\d+ wait/.test(old.stderr));
    expect(old.events().find((e) => e.event === "ready")).toMatchObject({ version: "0.0.1", queues: ["sweep@0.0.1"] });
    await new Promise((r) => setTimeout(r, 500));
    expect(doneBy(old)).toBe(0);
    expect(rowsLogged(out)).toBe(0);
    await worker("current");
    expect((await p.exited).code).toBe(0);
    expectSameAsLocal(out);
  });
});
