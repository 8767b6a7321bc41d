/** Every kpu key in Redis starts with this BullMQ prefix. */
export const PREFIX = "kpu";
/** A Redis set of every kpu queue name producers and workers have used (for `kpu queue status`). */
export const QUEUES_KEY = `${PREFIX}:queues`;

/**
 * A kind's queue for one kpu version (and host class): `sweep@0.1.0`, `tune@0.1.0@avx2-1a2b3c4d`. A worker listens
 * only to its own version's queues, so it never takes a job another version made: an older worker is refused by
 * version by construction, and jobs of another version wait for a worker of theirs.
 */
export function queueName(kind: string, version: string, hostClass?: string): string {
  return hostClass === undefined ? `${kind}@${version}` : `${kind}@${version}@${hostClass}`;
}

export interface QueueNameParts {
  readonly kind: string;
  readonly version: string;
  readonly hostClass?: string;
}

export function parseQueueName(name: string): QueueNameParts | undefined {
  const [kind, version, hostClass, ...rest] = name.split("@");
  if (kind === undefined || version === undefined || kind === "" || version === "" || rest.length > 0) return undefined;
  return hostClass === undefined ? { kind, version } : { kind, version, hostClass };
}

/** Per-worker counts of completed and failed jobs of a queue (a hash `<worker>:done` / `<worker>:failed`). */
export function statsKey(queue: string): string {
  return `${PREFIX}:stats:${queue}`;
}
