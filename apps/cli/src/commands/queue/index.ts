import type { Command } from "commander";
import { cleanQueues, connectChecked, drainQueues, parseRedisUrl, queueStatus, type QueueStatus } from "@kpu/queue";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";

interface QueueFlags {
  readonly redis: string;
  readonly queue?: string;
  readonly failed?: number;
  readonly json?: boolean;
}

function printStatus(status: readonly QueueStatus[], io: CliIo): void {
  if (status.length === 0) {
    io.stdout("no kpu queues in this Redis\n");
    return;
  }
  io.stdout(renderTable(["queue", "waiting", "active", "delayed", "done", "failed"], status.map((s) => [s.queue, s.waiting, s.active, s.delayed, s.completed, s.failed])));
  const workers = status.flatMap((s) => s.workers.map((w) => [s.queue, w.name, w.connected ? "yes" : "no", w.done, w.failed] as const));
  if (workers.length > 0) io.stdout(`per worker:\n${renderTable(["queue", "worker", "connected", "done", "failed tries"], workers)}`);
  for (const s of status) for (const f of s.failures) io.stdout(`failed ${s.queue} ${f.id} after ${f.attempts} tries: ${f.reason}\n`);
}

async function withRedis<T>(flags: QueueFlags, f: (target: ReturnType<typeof parseRedisUrl>, client: Awaited<ReturnType<typeof connectChecked>>) => Promise<T>): Promise<T> {
  const target = parseRedisUrl(flags.redis);
  const client = await connectChecked(target);
  try {
    return await f(target, client);
  } finally {
    client.disconnect();
  }
}

/** `kpu queue status|drain|clean`: what the queues hold, per state and per worker; drop waiting jobs; drop finished ones. */
export function registerQueue(program: Command, io: CliIo): void {
  const queue = program.command("queue").description("inspect and tidy the Redis job queues of `kpu worker`");
  const common = (c: Command): Command =>
    c
      .requiredOption("--redis <url>", "the Redis server, redis://[:password@]host:port[/db]")
      .option("--queue <name>", "only this queue (e.g. sweep@0.1.0)")
      .option("--json", "machine-readable output");
  common(queue.command("status").description("jobs waiting, active, done and failed (with reasons), per queue and worker"))
    .option("--failed <n>", "failed jobs to list per queue", positiveInt("--failed", 10_000), 20)
    .action(async (flags: QueueFlags) => {
      const status = await withRedis(flags, (t, c) => queueStatus(t, c, { ...(flags.queue === undefined ? {} : { queue: flags.queue }), failedLimit: flags.failed ?? 20 }));
      if (flags.json === true) io.stdout(toJsonText({ queues: status }));
      else printStatus(status, io);
    });
  common(queue.command("drain").description("remove the jobs that wait (jobs in flight finish)")).action(async (flags: QueueFlags) => {
    const out = await withRedis(flags, (t, c) => drainQueues(t, c, flags.queue));
    if (flags.json === true) io.stdout(toJsonText({ drained: out }));
    else for (const d of out) io.stdout(`${d.queue}: ${d.removed} waiting job(s) removed\n`);
  });
  common(queue.command("clean").description("remove finished jobs (done with their results, failed) to free Redis memory")).action(async (flags: QueueFlags) => {
    const out = await withRedis(flags, (t, c) => cleanQueues(t, c, flags.queue));
    if (flags.json === true) io.stdout(toJsonText({ cleaned: out }));
    else for (const d of out) io.stdout(`${d.queue}: ${d.removed} finished job(s) removed\n`);
  });
}
