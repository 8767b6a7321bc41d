import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import { z } from "zod";

/** What runs a kind's jobs in one worker process; `concurrency` jobs may be in flight at once. */
export interface JobRunner<P, R> {
  run(payload: P): Promise<R>;
  close(): Promise<void>;
}

/**
 * One kind of queued work (sweep, tune, later dse): how its payload and result are validated, how a job is described
 * in messages, and the runner, which is the code the local run uses. `hostClass` routes a job to workers of one
 * machine class (tuning trials must be measured on the target CPU); `localHostClass` is this machine's.
 */
export interface JobKind<P, R> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  readonly result: z.ZodType<R>;
  describe(payload: P): string;
  createRunner(concurrency: number): JobRunner<P, R>;
  hostClass?(payload: P): string;
  localHostClass?(): string;
}

/** A kind with its types erased, as the registry and the worker hold it. */
export type AnyJobKind = JobKind<unknown, unknown>;

/** What a job's data holds in Redis: its kind, the kpu version that made it, its content key and the payload. */
export const envelopeSchema = z.strictObject({
  kind: z.string(),
  toolVersion: z.string(),
  key: z.string(),
  payload: z.unknown(),
});
export type JobEnvelope = z.infer<typeof envelopeSchema>;

/**
 * The job id: the kind and a SHA-256 of the canonical JSON (sorted keys) of kind, kpu version and payload. A payload
 * holds everything the job computes from (workload, hardware, mapping or schedule), so the same work always has the
 * same id: a resubmitted or retried job is the one job and writes its row once.
 */
export function contentKey(kind: string, version: string, payload: unknown): string {
  const text = stringify({ kind, version, payload });
  return `${kind}-${createHash("sha256").update(text ?? "").digest("hex").slice(0, 40)}`;
}
