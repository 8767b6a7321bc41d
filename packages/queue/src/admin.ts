import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { RedisTarget } from "./connection.js";
import { PREFIX, QUEUES_KEY, parseQueueName, statsKey } from "./names.js";

export interface QueueWorkerStatus {
  readonly name: string;
  /** Connected now (a live BullMQ worker connection with this name). */
  readonly connected: boolean;
  readonly done: number;
  readonly failed: number;
}

export interface QueueStatus {
  readonly queue: string;
  readonly kind: string;
  readonly version: string;
  readonly hostClass?: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
  /** The most recent failed jobs (at most `failedLimit`), with their reasons. */
  readonly failures: readonly { readonly id: string; readonly reason: string; readonly attempts: number }[];
  readonly workers: readonly QueueWorkerStatus[];
}

/** Every kpu queue known to this Redis (producers and workers register theirs), optionally one only. */
async function queueNames(client: Redis, only?: string): Promise<string[]> {
  const names = (await client.smembers(QUEUES_KEY)).sort();
  return only === undefined ? names : names.filter((n) => n === only);
}

async function withQueue<T>(target: RedisTarget, name: string, f: (q: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(name, { connection: { ...target.options }, prefix: PREFIX });
  try {
    return await f(queue);
  } finally {
    await queue.close();
  }
}

/** Counts per state, recent failures with reasons, and per worker: connected now, jobs done and failed. */
export async function queueStatus(target: RedisTarget, client: Redis, options: { queue?: string; failedLimit?: number } = {}): Promise<QueueStatus[]> {
  const out: QueueStatus[] = [];
  for (const name of await queueNames(client, options.queue)) {
    const parts = parseQueueName(name) ?? { kind: "?", version: "?" };
    out.push(
      await withQueue(target, name, async (q) => {
        const counts = await q.getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed");
        const failedJobs = await q.getFailed(0, Math.max(0, (options.failedLimit ?? 20) - 1));
        // BullMQ names a worker's connection <prefix>:<base64 queue>:w:<worker name>
        const live = new Set((await q.getWorkers()).map((w) => /:w:(.*)$/.exec(w.rawname ?? "")?.[1] ?? "").filter((n) => n !== ""));
        const stats = await client.hgetall(statsKey(name));
        const names = new Set([...live, ...Object.keys(stats).map((k) => k.replace(/:(done|failed)$/, ""))]);
        return {
          queue: name,
          kind: parts.kind,
          version: parts.version,
          ...(parts.hostClass === undefined ? {} : { hostClass: parts.hostClass }),
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          completed: counts.completed ?? 0,
          failed: counts.failed ?? 0,
          failures: failedJobs.map((j) => ({ id: j.id ?? "?", reason: j.failedReason, attempts: j.attemptsMade })),
          workers: [...names].sort().map((w) => ({ name: w, connected: live.has(w), done: Number(stats[`${w}:done`] ?? 0), failed: Number(stats[`${w}:failed`] ?? 0) })),
        };
      }),
    );
  }
  return out;
}

/** Runs `f` on every kpu queue (or the one named), returning how many jobs it removed from each. */
async function removeFrom(target: RedisTarget, client: Redis, only: string | undefined, f: (q: Queue, name: string) => Promise<number>): Promise<{ queue: string; removed: number }[]> {
  const out: { queue: string; removed: number }[] = [];
  for (const name of await queueNames(client, only)) out.push({ queue: name, removed: await withQueue(target, name, (q) => f(q, name)) });
  return out;
}

/** Removes the jobs that wait (waiting, delayed): no worker starts them. Jobs in flight finish. Returns per queue how many. */
export function drainQueues(target: RedisTarget, client: Redis, only?: string): Promise<{ queue: string; removed: number }[]> {
  return removeFrom(target, client, only, async (q) => {
    const before = await q.getJobCountByTypes("waiting", "prioritized", "delayed");
    await q.drain(true);
    return before;
  });
}

/** Removes finished jobs (completed with their results, and failed) and the per-worker counts: frees Redis memory. */
export function cleanQueues(target: RedisTarget, client: Redis, only?: string): Promise<{ queue: string; removed: number }[]> {
  return removeFrom(target, client, only, async (q, name) => {
    let removed = 0;
    for (const state of ["completed", "failed"] as const) {
      for (let ids = await q.clean(0, 10_000, state); ids.length > 0; ids = await q.clean(0, 10_000, state)) removed += ids.length;
    }
    await client.del(statsKey(name));
    return removed;
  });
}
