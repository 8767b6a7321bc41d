import type { Command } from "commander";
import { connectChecked, parseKinds, parseRedisUrl, startWorker, toolVersion } from "@kpu/queue";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";

export interface WorkerFlags {
  readonly redis: string;
  readonly concurrency: number;
  readonly kinds: string;
  readonly name?: string;
  readonly lockMs: number;
  readonly json?: boolean;
}

/** Resolves on the first SIGINT or SIGTERM; a second one forces the stop. */
function stopSignal(onForce: () => void): { stopped: Promise<NodeJS.Signals>; release: () => void } {
  let first: NodeJS.Signals | undefined;
  let resolve!: (s: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      resolve(signal);
    } else onForce();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    stopped,
    release: () => {
      process.removeListener("SIGINT", handler);
      process.removeListener("SIGTERM", handler);
    },
  };
}

/**
 * `kpu worker`: takes jobs of the given kinds from this kpu version's queues and runs them with the local code until
 * SIGTERM or SIGINT, then finishes the jobs in flight and exits 0 (a second signal gives them back at once). With
 * --json, one JSON object per line: ready, each job, stopped.
 */
export async function workerCommand(flags: WorkerFlags, io: CliIo, until?: Promise<unknown>): Promise<void> {
  const target = parseRedisUrl(flags.redis);
  const kinds = parseKinds(flags.kinds);
  (await connectChecked(target)).disconnect();
  const line = (value: object): void => {
    if (flags.json === true) io.stdout(`${JSON.stringify(value)}\n`);
  };
  let done = 0;
  let failed = 0;
  const worker = await startWorker(target, {
    kinds,
    concurrency: flags.concurrency,
    lockMs: flags.lockMs,
    ...(flags.name === undefined ? {} : { name: flags.name }),
    onLog: (text) => { io.stderr(`worker: ${text}\n`); },
    onJob: (kind, id, ok, ms) => {
      if (ok) done++;
      else failed++;
      line({ event: "job", kind, id, ok, ms: Math.round(ms * 10) / 10 });
    },
  });
  let forced = false;
  const signals = stopSignal(() => {
    forced = true;
    void worker.close(true);
  });
  line({ event: "ready", name: worker.name, version: toolVersion(), queues: worker.queues, concurrency: flags.concurrency });
  if (flags.json !== true) io.stderr(`worker ${worker.name}: kpu ${toolVersion()}, queues ${worker.queues.join(", ")} at ${target.shown}, concurrency ${flags.concurrency}; stop with SIGTERM or Ctrl-C\n`);
  try {
    const why = await Promise.race([signals.stopped, ...(until === undefined ? [] : [until.then(() => "stop")])]);
    if (flags.json !== true) io.stderr(`worker ${worker.name}: ${why}: finishing the jobs in flight (again to give them back)\n`);
    await worker.close(forced);
  } finally {
    signals.release();
  }
  line({ event: "stopped", name: worker.name, done, failed });
  if (flags.json !== true) io.stderr(`worker ${worker.name}: stopped after ${done} job(s) done, ${failed} failed\n`);
}

export function registerWorker(program: Command, io: CliIo): void {
  program
    .command("worker")
    .description("run queued sweep and tuning jobs from Redis (BullMQ) with the local code, until SIGTERM")
    .requiredOption("--redis <url>", "the Redis server, redis://[:password@]host:port[/db]")
    .option("--concurrency <n>", "jobs at once (sweeps: worker threads)", positiveInt("--concurrency", 256), 1)
    .option("--kinds <list>", "job kinds to take: sweep, dse, tune", "sweep,dse,tune")
    .option("--name <name>", "worker name in `kpu queue status` (default host:pid)")
    .option("--lock-ms <ms>", "a job whose worker is silent this long is given to another (stalled)", positiveInt("--lock-ms", 3_600_000), 30_000)
    .option("--json", "JSON lines: ready, one per job, stopped")
    .action(async (flags: WorkerFlags) => {
      await workerCommand(flags, io);
    });
}
