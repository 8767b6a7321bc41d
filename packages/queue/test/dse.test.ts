// Integration: `kpu dse --queue` with real `kpu worker --kinds dse` processes on a real redis-server gives the local
// run's dse.json and points.csv byte for byte; payloads are validated; a point is one job keyed by its task's hash.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dseTasks, parseSpace, runDse } from "@kpu/dse";
import { buildExample } from "@kpu/models";
import { afterEach, describe, expect, it } from "vitest";
import { DSE_KIND, JOB_KINDS, contentKey, parseKinds, toolVersion } from "../src/index.js";
import { HAVE_REDIS, kpuRun, startRedis, startWorker, stopProcess, tempDir, type KpuProcess, type RedisServer } from "./harness.js";

// 4 points; l1KiB = 1 is infeasible (the validator's reason travels back through Redis like a result)
const SPACE = "hw: edge-ai\nobjective: latency\nparameters:\n  l1KiB: [1, 48]\n  dramGBps: [64, 256]\n";

describe("the dse job kind", () => {
  it("is registered, validates payloads and keys a point by its task", () => {
    expect(JOB_KINDS.dse).toBe(DSE_KIND);
    expect(parseKinds("sweep,dse").map((k) => k.name)).toEqual(["sweep", "dse"]);
    const tasks = dseTasks(buildExample("mlp", {}), parseSpace(SPACE, "s.yaml"));
    expect(DSE_KIND.payload.safeParse(tasks[0]).success).toBe(true);
    expect(DSE_KIND.payload.safeParse({ ...tasks[0], objective: "speed" }).success).toBe(false);
    expect(DSE_KIND.payload.safeParse({ ...tasks[0], extra: 1 }).success).toBe(false);
    const keys = new Set(tasks.map((t) => contentKey("dse", toolVersion(), t)));
    expect(keys.size).toBe(4);
    expect(DSE_KIND.result.safeParse({ id: "x", params: {}, feasible: true, pareto: false }).success).toBe(false);
  });
});

describe.skipIf(!HAVE_REDIS)("kpu dse --queue on real Redis and worker processes", () => {
  let redis: RedisServer | undefined;
  const running: KpuProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => stopProcess(p, "SIGKILL")));
    await redis?.stop();
    redis = undefined;
  });

  it("gives the local run's dse.json and points.csv; every point once", async () => {
    const dir = tempDir("dse");
    const spaceFile = join(dir, "space.yaml");
    writeFileSync(spaceFile, SPACE);
    const local = join(dir, "local");
    const graph = buildExample("mlp", {});
    await runDse({ graph, model: { name: graph.name, source: "example:mlp" }, space: parseSpace(SPACE, spaceFile), outDir: local, threads: 1 });
    redis = await startRedis();
    running.push(...(await Promise.all(["a", "b"].map((name) => startWorker(redis!.url, name, {}, ["--kinds", "dse"])))));
    const queued = join(dir, "queued");
    const p = await kpuRun(["dse", "--example", "mlp", "--space", spaceFile, "--out", queued, "--queue", redis.url, "--json"]);
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ points: 4, feasible: 2, computed: 4, resumed: 0 });
    expect(readFileSync(join(queued, "dse.json"), "utf8")).toBe(readFileSync(join(local, "dse.json"), "utf8"));
    expect(readFileSync(join(queued, "points.csv"), "utf8")).toBe(readFileSync(join(local, "points.csv"), "utf8"));
    const ids = readFileSync(join(queued, "points.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(4);
    expect(ids).toHaveLength(4);
  }, 120_000);
});
