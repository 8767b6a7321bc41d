import { hostname } from "node:os";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { KpuError } from "@kpu/ir";
import { redisClient, type RedisTarget } from "./connection.js";
import { queueFaults } from "./faults.js";
import { contentKey, envelopeSchema, type AnyJobKind, type JobRunner } from "./job-kind.js";
import { PREFIX, QUEUES_KEY, parseQueueName, queueName, statsKey } from "./names.js";
import { toolVersion } from "./version.js";

export interface WorkerOptions {
  readonly kinds: readonly AnyJobKind[];
  /** Jobs in flight at once per kind (default 1). */
  readonly concurrency?: number;
  /** Shown in `kpu queue status` (default host:pid). */
  readonly name?: string;
  /** A job whose worker stops renewing its lock for this long is stalled and given to another worker (default 30 s). */
  readonly lockMs?: number;
  /** One line per event worth telling (a job failed or was refused, jobs of another version wait). */
  readonly onLog?: (line: string) => void;
  /** Called after each job, done or failed. */
  readonly onJob?: (kind: string, id: string, ok: boolean, ms: number) => void;
}

export interface RunningWorker {
  readonly name: string;
  readonly queues: readonly string[];
  /** Stops taking jobs, waits for the jobs in flight (force: gives them back at once, they stall to another worker). */
  close(force?: boolean): Promise<void>;
}

/** The KpuError a job is refused with (UnrecoverableError: not retried), its code first so producers can tell. */
function refuse(error: KpuError): UnrecoverableError {
  return new UnrecoverableError(`${error.code}${error.where === undefined ? "" : ` at ${error.where}`}: ${error.message}`);
}

/** Validates a job's envelope and payload against this worker's version and kind; throws the refusal. */
function admit(job: Job, kind: AnyJobKind, version: string): unknown {
  const id = job.id ?? "?";
  const envelope = envelopeSchema.safeParse(job.data);
  if (!envelope.success) throw refuse(new KpuError("KPU_QUEUE_BAD_PAYLOAD", `job ${id} of kind ${kind.name} is not a kpu job envelope (${envelope.error.issues[0]?.message ?? "?"})`, { where: `job ${id}` }));
  const e = envelope.data;
  if (e.toolVersion !== version) throw refuse(new KpuError("KPU_QUEUE_VERSION", `job ${id} was made by kpu ${e.toolVersion}; this is kpu ${version}`, { where: `job ${id}` }));
  const payload = kind.payload.safeParse(e.payload);
  if (!payload.success || e.kind !== kind.name) {
    const issue = payload.success ? `kind "${e.kind}" is not ${kind.name}` : `${payload.error.issues[0]?.path.join(".") ?? ""}: ${payload.error.issues[0]?.message ?? "?"}`;
    throw refuse(new KpuError("KPU_QUEUE_BAD_PAYLOAD", `job ${id} of kind ${kind.name} has a payload that does not validate: ${issue}`, { where: `job ${id}` }));
  }
  if (contentKey(kind.name, version, payload.data) !== id) throw refuse(new KpuError("KPU_QUEUE_BAD_PAYLOAD", `job ${id}'s id is not the content hash of its payload`, { where: `job ${id}` }));
  return payload.data;
}

/**
 * Starts one BullMQ worker per kind on this version's queue (and this machine's host class, for kinds that route by
 * it). Each job is validated (envelope, version, payload, id = content hash) and run by the kind's runner, the code a
 * local run uses. A job refused by validation fails at once with the reason; a job that throws is retried once.
 * A SIGKILLed worker's job stops having its lock renewed and after `lockMs` another worker's stalled check puts it
 * back in the queue: retried, never lost; the first run's result can no longer be stored, so it is not counted twice.
 */
export async function startWorker(target: RedisTarget, options: WorkerOptions): Promise<RunningWorker> {
  const version = toolVersion();
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const concurrency = options.concurrency ?? 1;
  const lockMs = options.lockMs ?? 30_000;
  const faults = queueFaults();
  const log = options.onLog ?? (() => undefined);
  const workers: Worker[] = [];
  const runners: JobRunner<unknown, unknown>[] = [];
  const queues: string[] = [];
  const connection = { ...target.options };
  const client = redisClient(target);
  for (const kind of options.kinds) {
    const queue = queueName(kind.name, version, kind.localHostClass?.());
    const runner = kind.createRunner(concurrency);
    runners.push(runner);
    queues.push(queue);
    const worker = new Worker(
      queue,
      async (job: Job) => {
        const payload = admit(job, kind, version);
        if (faults.slowMs !== undefined) await new Promise((resolve) => setTimeout(resolve, faults.slowMs));
        if (faults.throwOn !== undefined && kind.describe(payload).includes(faults.throwOn)) throw new Error(`fault injected (KPU_FAULT_QUEUE throw:${faults.throwOn})`);
        return runner.run(payload);
      },
      { connection, prefix: PREFIX, concurrency, name, lockDuration: lockMs, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), maxStalledCount: 2, autorun: false },
    );
    const started = new Map<string, number>();
    worker.on("active", (job) => started.set(job.id ?? "", performance.now()));
    const finish = (job: Job | undefined): number => {
      const t = started.get(job?.id ?? "") ?? performance.now();
      started.delete(job?.id ?? "");
      return performance.now() - t;
    };
    worker.on("completed", (job) => {
      const ms = finish(job);
      void client.hincrby(statsKey(queue), `${name}:done`, 1).catch(() => undefined);
      options.onJob?.(kind.name, job.id ?? "", true, ms);
    });
    worker.on("failed", (job, error) => {
      const ms = finish(job);
      void client.hincrby(statsKey(queue), `${name}:failed`, 1).catch(() => undefined);
      log(`job ${job?.id ?? "?"} (${kind.name}) failed: ${error.message}`);
      options.onJob?.(kind.name, job?.id ?? "", false, ms);
    });
    worker.on("error", (error) => { log(`redis: ${error.message}`); });
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  await client.sadd(QUEUES_KEY, ...queues);
  await warnForeignVersions(target, client, options.kinds, version, log);
  for (const w of workers) void w.run().catch((error: unknown) => { log(`worker stopped: ${error instanceof Error ? error.message : String(error)}`); });
  return {
    name,
    queues,
    close: async (force = false) => {
      await Promise.allSettled(workers.map((w) => w.close(force)));
      await Promise.allSettled(runners.map((r) => r.close()));
      client.disconnect();
    },
  };
}

/** Tells of waiting jobs of this worker's kinds that another kpu version made: this worker does not take them. */
async function warnForeignVersions(target: RedisTarget, client: { smembers(key: string): Promise<string[]> }, kinds: readonly AnyJobKind[], version: string, log: (line: string) => void): Promise<void> {
  const served = new Set(kinds.map((k) => k.name));
  for (const name of await client.smembers(QUEUES_KEY)) {
    const parts = parseQueueName(name);
    if (parts === undefined || !served.has(parts.kind) || parts.version === version) continue;
    const queue = new Queue(name, { connection: { ...target.options }, prefix: PREFIX });
    try {
      const waiting = await queue.getJobCountByTypes("waiting", "delayed", "prioritized");
      if (waiting > 0) log(`refused by version: ${waiting} ${parts.kind} job(s) of kpu ${parts.version} wait in queue ${name}; this worker is kpu ${version} and does not take them (start a kpu ${parts.version} worker)`);
    } finally {
      await queue.close();
    }
  }
}
