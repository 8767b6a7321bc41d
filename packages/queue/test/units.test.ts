// Unit tests of the queue's pure parts (no Redis): content keys, URLs, kinds, queue names, payload schemas.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { detectHost, hostRules } from "@kpu/cpu-matmul";
import { presetSpec, sweepJobs } from "@kpu/scheduler";
import { describe, expect, it } from "vitest";
import { JOB_KINDS, SWEEP_KIND, TUNE_KIND, contentKey, hostClass, parseKinds, parseQueueName, parseRedisUrl, queueName, sweepPayload } from "../src/index.js";

/** Canonical JSON written out independently: keys sorted at every level. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

describe("content keys", () => {
  it("are the kind and a SHA-256 of the canonical JSON of kind, version and payload", () => {
    const payload = { b: [1, { z: 2, a: "x" }], a: true };
    const want = createHash("sha256").update(canonical({ kind: "sweep", version: "1.2.3", payload })).digest("hex").slice(0, 40);
    expect(contentKey("sweep", "1.2.3", payload)).toBe(`sweep-${want}`);
  });

  it("do not depend on key order, and change with any value, the kind or the version", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean()), { minKeys: 1, maxKeys: 6 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(contentKey("k", "1", reversed)).toBe(contentKey("k", "1", obj));
        const first = Object.keys(obj)[0]!;
        const changed = { ...obj, [first]: typeof obj[first] === "number" ? (obj[first]) + 1 : `${String(obj[first])}!` };
        expect(contentKey("k", "1", changed)).not.toBe(contentKey("k", "1", obj));
        expect(contentKey("k", "2", obj)).not.toBe(contentKey("k", "1", obj));
        expect(contentKey("j", "1", obj)).not.toBe(contentKey("k", "1", obj));
      }),
    );
  });

  it("a sweep job's key depends on its own workload, not on the rest of the spec's workloads or its index", () => {
    const spec = presetSpec("focused");
    const jobs = sweepJobs(spec);
    const fewer = { ...spec, workloads: spec.workloads.slice(0, 1) };
    const key = (s: typeof spec, j: (typeof jobs)[number]): string => contentKey("sweep", "1", sweepPayload(s, j));
    expect(key(fewer, { ...jobs[0]!, index: 7 })).toBe(key(spec, jobs[0]!));
    expect(new Set(jobs.map((j) => key(spec, j))).size).toBe(jobs.length);
    expect(key({ ...spec, l3Bytes: [1 << 20] }, jobs[0]!)).not.toBe(key(spec, jobs[0]!));
  });
});

describe("Redis URLs", () => {
  it("parses host, port, password and database, and hides the password", () => {
    const t = parseRedisUrl("redis://:s3cret@10.0.0.5:6380/2");
    expect(t.options).toMatchObject({ host: "10.0.0.5", port: 6380, password: "s3cret", db: 2, maxRetriesPerRequest: null });
    expect(t.shown).toBe("redis://:***@10.0.0.5:6380/2");
    expect(parseRedisUrl("redis://localhost").options).toMatchObject({ host: "localhost", port: 6379 });
    expect(parseRedisUrl("rediss://h:1").options.tls).toEqual({});
  });

  it("refuses what is not a redis URL, naming the flag", () => {
    for (const bad of ["localhost:6379", "http://h:1", "redis://h:1/x"]) {
      expect(() => parseRedisUrl(bad, "--queue")).toThrow(expect.objectContaining({ code: "KPU_QUEUE_BAD_URL", where: "--queue" }) as Error);
    }
  });
});

describe("kinds and queue names", () => {
  it("--kinds takes known kinds and names the known ones for an unknown one", () => {
    expect(parseKinds("sweep, tune,sweep").map((k) => k.name)).toEqual(["sweep", "tune"]);
    expect(() => parseKinds("sweep,dsx")).toThrow(/"dsx" is not a job kind of kpu .* \(known: sweep, dse, tune\)/);
    expect(Object.keys(JOB_KINDS)).toEqual(["sweep", "dse", "tune"]);
  });

  it("queue names round-trip, with the version and host class in them", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^\d\.\d{1,2}\.\d$/), fc.option(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { nil: undefined }), (kind, version, hc) => {
        const parts = parseQueueName(queueName(kind, version, hc));
        expect(parts).toEqual(hc === undefined ? { kind, version } : { kind, version, hostClass: hc });
        expect(queueName(kind, version, hc)).not.toContain(":"); // BullMQ refuses ':' in queue names
      }),
    );
  });
});

describe("payload schemas", () => {
  it("every job of the comprehensive preset validates as a sweep payload; a changed strategy does not", () => {
    const spec = presetSpec("comprehensive");
    for (const job of sweepJobs(spec)) expect(SWEEP_KIND.payload.safeParse(sweepPayload(spec, job)).success).toBe(true);
    const p = sweepPayload(spec, sweepJobs(spec)[0]!);
    expect(SWEEP_KIND.payload.safeParse({ ...p, job: { ...p.job, strategy: "xx" } }).success).toBe(false);
    expect(SWEEP_KIND.payload.safeParse({ ...p, extra: 1 }).success).toBe(false);
  });

  it("a tuning trial of the rule schedule validates; its host class is this machine's", () => {
    const host = detectHost();
    const shape = { m: 64, n: 64, k: 64 };
    const params = hostRules(shape, host, 1).params;
    const payload = { shape, host, threads: 1, params, measure: { minWindowMs: 30 } };
    expect(TUNE_KIND.payload.safeParse(payload).success).toBe(true);
    expect(TUNE_KIND.hostClass!(payload)).toBe(TUNE_KIND.localHostClass!());
    expect(hostClass({ ...host, l2: { ...host.l2, bytes: host.l2.bytes * 2 } })).not.toBe(hostClass(host));
    expect(TUNE_KIND.payload.safeParse({ ...payload, params: { ...params, order: "kk" } }).success).toBe(false);
  });
});
