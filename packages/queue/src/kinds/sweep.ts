import { z } from "zod";
import {
  C_ACCOUNTINGS,
  L3_MODELS,
  STRATEGIES,
  STRATEGY_INFO,
  SWEEP_COLUMNS,
  TILE_RULES,
  runSweepJob,
  sweepJobPool,
  type SweepJob,
  type SweepJobPool,
  type SweepRow,
  type SweepSpec,
} from "@kpu/scheduler";
import type { JobKind, JobRunner } from "../job-kind.js";

const workloadSchema = z.strictObject({
  name: z.string().min(1),
  category: z.string(),
  aspect: z.string(),
  m: z.number(),
  n: z.number(),
  k: z.number(),
  elementBytes: z.number().optional(),
});

const specSchema = z.strictObject({
  workloads: z.array(workloadSchema).min(1),
  strategies: z.array(z.enum(STRATEGIES)).min(1),
  l3Bytes: z.array(z.number().int().positive()).min(1),
  model: z.enum(L3_MODELS),
  cAccounting: z.enum(C_ACCOUNTINGS),
  tiles: z.strictObject({ m: z.number().int().positive(), n: z.number().int().positive(), k: z.number().int().positive() }).optional(),
  tileRule: z.enum(TILE_RULES).optional(),
});

/**
 * A sweep job's payload: the spec's model settings and L3 sizes with the one workload and strategy the job computes
 * (the other workloads are left out, so the content key changes only with what this job's rows depend on).
 */
export interface SweepPayload {
  readonly spec: SweepSpec;
  readonly job: SweepJob;
}

const payloadSchema = z.strictObject({
  spec: specSchema,
  job: z.strictObject({ index: z.number().int().nonnegative(), workload: workloadSchema, strategy: z.enum(STRATEGIES) }),
}) as unknown as z.ZodType<SweepPayload>;

const rowSchema = z.strictObject(Object.fromEntries(SWEEP_COLUMNS.map((c) => [c, z.string()])) as Record<(typeof SWEEP_COLUMNS)[number], z.ZodString>);
const resultSchema = z.array(rowSchema) as unknown as z.ZodType<SweepRow[]>;

/** The payload of one job of a sweep: the job with its own workload only, and index 0 (rows do not depend on it). */
export function sweepPayload(spec: SweepSpec, job: SweepJob): SweepPayload {
  return { spec: { ...spec, workloads: [job.workload] }, job: { ...job, index: 0 } };
}

/** Concurrency 1 runs jobs in the worker's thread, like a one-worker local sweep; more use the local sweep's thread pool. */
function sweepRunner(concurrency: number): JobRunner<SweepPayload, SweepRow[]> {
  let pool: SweepJobPool | undefined;
  return {
    run: async (p) => {
      if (concurrency <= 1) return runSweepJob(p.spec, p.job);
      pool ??= sweepJobPool(concurrency);
      return pool.run(p.spec, p.job);
    },
    close: async () => {
      await pool?.destroy();
    },
  };
}

/** `kpu l3 sweep` jobs: one (workload, strategy) with every L3 size, run by `runSweepJob`. */
export const SWEEP_KIND: JobKind<SweepPayload, SweepRow[]> = {
  name: "sweep",
  payload: payloadSchema,
  result: resultSchema,
  describe: (p) => `${p.job.workload.name} ${STRATEGY_INFO[p.job.strategy].label} (${p.spec.model})`,
  createRunner: sweepRunner,
};
