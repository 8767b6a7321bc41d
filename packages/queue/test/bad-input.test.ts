// Integration: bad input to the queue (an unreachable URL, a wrong password, jobs of another kpu version, a payload
// that does not validate) gives one clear error naming the URL or the job id, exit 2 or 4, and no sweep output.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { dedupeSweepSpec, parseGridFile, sweepJobs } from "@kpu/scheduler";
import { afterEach, describe, expect, it } from "vitest";
import { PREFIX, contentKey, queueName, sweepPayload, toolVersion } from "../src/index.js";
import { HAVE_REDIS, kpuRun, smallGrid, startRedis, startWorker, stopProcess, tempDir, until, type KpuProcess, type RedisServer } from "./harness.js";

const grid = smallGrid();
const running: KpuProcess[] = [];
let redis: RedisServer | undefined;

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => stopProcess(p, "SIGKILL")));
  await redis?.stop();
  redis = undefined;
});

const sweep = (out: string, url: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  kpuRun(["l3", "sweep", "--grid", grid, "--out", out, "--queue", url, "--no-plots"]);

describe("bad Redis URLs", () => {
  it("an unreachable server: exit 4 naming the URL, nothing written", async () => {
    const out = join(tempDir("unreach"), "out");
    const r = await sweep(out, "redis://127.0.0.1:1");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error KPU_QUEUE_UNREACHABLE at --queue: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED/);
    expect(existsSync(out)).toBe(false);
    const w = await kpuRun(["worker", "--redis", "redis://127.0.0.1:1"]);
    expect(w.code).toBe(4);
    expect(w.stderr).toMatch(/KPU_QUEUE_UNREACHABLE at --redis: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });

  it("not a redis:// URL: exit 2", async () => {
    const r = await kpuRun(["queue", "status", "--redis", "http://127.0.0.1:6379"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_QUEUE_BAD_URL at --redis: "http:\/\/127\.0\.0\.1:6379" is not a redis:\/\/ or rediss:\/\/ URL/);
  });

  it.skipIf(!HAVE_REDIS)("a wrong password (requirepass): exit 2 naming the URL without the password, nothing written", async () => {
    redis = await startRedis("sekret");
    const out = join(tempDir("auth"), "out");
    const url = `redis://:wrong@127.0.0.1:${redis.port}`;
    const r = await sweep(out, url);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`KPU_QUEUE_AUTH at --queue: Redis at redis://:***@127.0.0.1:${redis.port} refused`);
    expect(r.stderr).not.toContain("wrong");
    expect(existsSync(out)).toBe(false);
    const none = await kpuRun(["worker", "--redis", `redis://127.0.0.1:${redis.port}`]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/KPU_QUEUE_AUTH at --redis: .*NOAUTH/);
  });
});

describe.skipIf(!HAVE_REDIS)("jobs a worker refuses", () => {
  /** The id and payload the producer gives the sweep's first job. */
  function firstJob(): { id: string; payload: unknown } {
    const spec = dedupeSweepSpec(parseGridFile(readFileSync(grid, "utf8"), grid), "grid", () => undefined);
    const payload = sweepPayload(spec, sweepJobs(spec)[0]!);
    return { id: contentKey("sweep", toolVersion(), payload), payload };
  }

  async function plant(data: object, id: string): Promise<void> {
    const queue = new Queue(queueName("sweep", toolVersion()), { connection: { host: "127.0.0.1", port: redis!.port }, prefix: PREFIX });
    await queue.add("sweep", data, { jobId: id, removeOnComplete: false, removeOnFail: false });
    await queue.close();
    redis!.cli("SADD", "kpu:queues", queueName("sweep", toolVersion()));
  }

  const cases = [
    { what: "a job of another kpu version", code: "KPU_QUEUE_VERSION", data: (id: string, payload: unknown) => ({ kind: "sweep", toolVersion: "0.0.1", key: id, payload }) },
    {
      what: "a payload that does not validate",
      code: "KPU_QUEUE_BAD_PAYLOAD",
      data: (id: string, payload: unknown) => ({ kind: "sweep", toolVersion: toolVersion(), key: id, payload: { ...(payload as object), job: { index: 0, strategy: "xx" } } }),
    },
  ] as const;
  for (const c of cases) {
    it(`${c.what}: the worker fails it naming the job id; the producer exits 2 with it, no sweep.csv; clean clears it`, async () => {
      redis = await startRedis();
      const { id, payload } = firstJob();
      await plant(c.data(id, payload), id);
      running.push(await startWorker(redis.url, "w"));
      await until("the refusal", () => redis!.cli("ZCARD", `${PREFIX}:${queueName("sweep", toolVersion())}:failed`) === "1");
      const status = await kpuRun(["queue", "status", "--redis", redis.url]);
      expect(status.stdout).toContain(`failed sweep@${toolVersion()} ${id} after 1 tries: ${c.code} at job ${id}`);
      const out = tempDir("refused");
      const r = await sweep(out, redis.url);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^error ${c.code} at redis://127.0.0.1:${redis.port} sweep@[^:]+: job ${id} was refused by a worker`));
      expect(existsSync(join(out, "sweep.csv"))).toBe(false);
      expect(existsSync(join(out, "results.json"))).toBe(false);
      expect((await kpuRun(["queue", "clean", "--redis", redis.url])).code).toBe(0);
      const again = await sweep(out, redis.url);
      expect(again.code).toBe(0);
    });
  }
});
