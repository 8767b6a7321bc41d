// Integration: `kpu cpu tune --queue` measures its trials on a real `kpu worker --kinds tune` process of this host's
// class, and the trial log names the machine that measured each one.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HAVE_REDIS, kpuRun, kpuSpawn, startRedis, stopProcess, tempDir, until, type KpuProcess, type RedisServer } from "./harness.js";

const HAVE_CC = spawnSync("cc", ["--version"]).status === 0;
let redis: RedisServer | undefined;
let worker: KpuProcess | undefined;

afterEach(async () => {
  if (worker !== undefined) await stopProcess(worker, "SIGKILL");
  await redis?.stop();
});

describe.skipIf(!HAVE_REDIS || !HAVE_CC)("queued tuning trials", () => {
  it("are measured by the worker, which reports its host with each trial", async () => {
    redis = await startRedis();
    worker = kpuSpawn(["worker", "--redis", redis.url, "--kinds", "tune", "--name", "tuner", "--json"]);
    await until("the worker", () => worker!.events().some((e) => e.event === "ready"));
    const ready = worker.events().find((e) => e.event === "ready")!;
    expect(ready.queues).toEqual([expect.stringMatching(/^tune@[^@]+@[a-z0-9]+-[0-9a-f]{8}$/)]);
    const log = join(tempDir("tune"), "trials.jsonl");
    const r = await kpuRun(["cpu", "tune", "--m", "32", "--n", "32", "--k", "32", "--trials", "2", "--batch", "2", "--log", log, "--queue", redis.url, "--json"]);
    expect(r.code).toBe(0);
    const trials = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { source: string; measuredOn?: string; ok: boolean });
    expect(trials.filter((t) => t.source !== "verify")).toHaveLength(2);
    for (const t of trials) expect(t.measuredOn).toMatch(new RegExp(`^${hostname()}: .*cores`));
    const jobs = worker.events().filter((e) => e.event === "job");
    expect(jobs).toHaveLength(trials.length);
  });
});
