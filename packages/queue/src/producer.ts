import { Job, Queue, QueueEvents } from "bullmq";
import { KpuError } from "@kpu/ir";
import { redisClient, redisError, type RedisTarget } from "./connection.js";
import { contentKey, type JobEnvelope, type JobKind } from "./job-kind.js";
import { PREFIX, QUEUES_KEY, queueName } from "./names.js";
import { toolVersion } from "./version.js";

/** How one submitted job ended: its validated result, or the reason it failed for good. */
export type JobOutcome<R> = { readonly ok: true; readonly id: string; readonly result: R } | { readonly ok: false; readonly id: string; readonly reason: string };

export interface SubmitOptions {
  /** Tries per job before it is failed for good (default 2: one retry, possibly on another worker). */
  readonly attempts?: number;
  /** With no event for this long, the producer asks Redis for the state of every job it still waits for (default 2 s). */
  readonly reconcileMs?: number;
  /** Jobs added per round trip (default 500). */
  readonly chunk?: number;
}

/** Failure reasons that mean the job never ran here (another version, a bad payload): not a row failure but an error. */
const REFUSALS = /^(KPU_QUEUE_VERSION|KPU_QUEUE_BAD_PAYLOAD)\b/;

/**
 * Submits `payloads` as jobs of `kind` (job id = content key; an existing job of the same id, from an earlier or a
 * concurrent producer, is the same work and is not added again) and calls `onOutcome` once per distinct job as it
 * completes or fails for good, on whichever worker. Results come back through Redis: a completed job keeps its return
 * value until `kpu queue clean`. Completion events are a fast path; when none arrive for `reconcileMs` the producer
 * reads every waiting job's state, so events missed while Redis restarted (or before this producer started) are not
 * lost, and a job that vanished (cleaned, or Redis lost it) is added again. A job refused by a worker (another
 * version, a payload that does not validate) is a KpuError naming its id.
 */
export async function runOnQueue<P, R>(
  target: RedisTarget,
  kind: JobKind<P, R>,
  payloads: readonly P[],
  onOutcome: (index: number, outcome: JobOutcome<R>) => void,
  options: SubmitOptions = {},
): Promise<void> {
  const version = toolVersion();
  const byId = new Map<string, { indexes: number[]; envelope: JobEnvelope; queue: string }>();
  payloads.forEach((payload, index) => {
    const key = contentKey(kind.name, version, payload);
    const entry = byId.get(key);
    if (entry !== undefined) entry.indexes.push(index);
    else byId.set(key, { indexes: [index], envelope: { kind: kind.name, toolVersion: version, key, payload }, queue: queueName(kind.name, version, kind.hostClass?.(payload)) });
  });
  const names = [...new Set([...byId.values()].map((e) => e.queue))];
  for (const name of names) {
    await runQueue(target, kind, name, new Map([...byId].filter(([, e]) => e.queue === name)), onOutcome, options);
  }
}

async function runQueue<P, R>(
  target: RedisTarget,
  kind: JobKind<P, R>,
  name: string,
  jobs: Map<string, { indexes: number[]; envelope: JobEnvelope }>,
  onOutcome: (index: number, outcome: JobOutcome<R>) => void,
  options: SubmitOptions,
): Promise<void> {
  const connection = { ...target.options };
  const queue = new Queue(name, { connection, prefix: PREFIX });
  const events = new QueueEvents(name, { connection, prefix: PREFIX });
  let failure: unknown;
  // read through a function: the closures below set it, which the compiler's narrowing does not see
  const broken = (): boolean => failure !== undefined;
  queue.on("error", () => undefined); // a Redis restart: commands wait for the reconnection
  events.on("error", () => undefined); // QueueEvents reconnects by itself; the reconcile loop covers the gap
  const pending = new Set(jobs.keys());
  let wake: (() => void) | undefined;
  let lastEvent = Date.now();
  const settle = (id: string, outcome: JobOutcome<R>): void => {
    if (!pending.delete(id)) return;
    for (const index of jobs.get(id)!.indexes) onOutcome(index, outcome);
  };
  const complete = (id: string, value: unknown): void => {
    const parsed = kind.result.safeParse(value);
    if (!parsed.success) {
      throw new KpuError("KPU_QUEUE_BAD_RESULT", `job ${id} returned a result that does not validate: ${parsed.error.issues[0]?.message ?? "?"}`, { where: `${target.shown} ${name}` });
    }
    settle(id, { ok: true, id, result: parsed.data });
  };
  const fail = (id: string, reason: string): void => {
    if (REFUSALS.test(reason)) {
      const code = reason.startsWith("KPU_QUEUE_VERSION") ? "KPU_QUEUE_VERSION" : "KPU_QUEUE_BAD_PAYLOAD";
      throw new KpuError(code, `job ${id} was refused by a worker: ${reason}`, { where: `${target.shown} ${name}`, hint: "Run `kpu queue clean --redis URL` to remove the refused jobs, then submit again." });
    }
    settle(id, { ok: false, id, reason });
  };
  const guard = (f: () => void): void => {
    try {
      f();
    } catch (error) {
      failure ??= error;
    }
    lastEvent = Date.now();
    wake?.();
  };
  events.on("completed", ({ jobId, returnvalue }) => { if (pending.has(jobId)) guard(() => { complete(jobId, returnvalue); }); });
  events.on("failed", ({ jobId }) => {
    if (pending.has(jobId)) void reconcileOne(jobId).catch((e: unknown) => (failure ??= e));
  });
  const reconcileOne = async (id: string): Promise<void> => {
    // the state first: a job read before it completes would carry no return value
    const state = await queue.getJobState(id);
    if (state === "unknown") {
      await queue.add(kind.name, jobs.get(id)!.envelope, jobOptions(id, options));
      return;
    }
    if (state !== "completed" && state !== "failed") return;
    const job = await Job.fromId(queue, id);
    if (job === undefined) return;
    if (state === "completed") guard(() => { complete(id, job.returnvalue); });
    else guard(() => { fail(id, job.failedReason); });
  };
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const client = redisClient(target);
    await client.sadd(QUEUES_KEY, name).finally(() => { client.disconnect(); });
    const ids = [...jobs.keys()];
    const chunk = options.chunk ?? 500;
    for (let i = 0; i < ids.length; i += chunk) {
      await queue.addBulk(ids.slice(i, i + chunk).map((id) => ({ name: kind.name, data: jobs.get(id)!.envelope, opts: jobOptions(id, options) })));
    }
    await reconcileAll(ids);
    const reconcileMs = options.reconcileMs ?? 2_000;
    while (pending.size > 0 && !broken()) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, reconcileMs);
      });
      clearTimeout(timer);
      wake = undefined;
      if (!broken() && pending.size > 0 && Date.now() - lastEvent >= reconcileMs) {
        await reconcileAll([...pending]);
        lastEvent = Date.now();
      }
    }
  } catch (error) {
    failure ??= error;
  } finally {
    await Promise.allSettled([events.close(), queue.close()]);
  }
  if (broken()) throw failure instanceof KpuError ? failure : redisError(target, failure);

  async function reconcileAll(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length && !broken(); i += 200) await Promise.all(ids.slice(i, i + 200).filter((id) => pending.has(id)).map(reconcileOne));
  }
}

function jobOptions(id: string, options: SubmitOptions): { jobId: string; attempts: number; backoff: { type: "fixed"; delay: number }; removeOnComplete: false; removeOnFail: false } {
  return { jobId: id, attempts: options.attempts ?? 2, backoff: { type: "fixed", delay: 500 }, removeOnComplete: false, removeOnFail: false };
}
