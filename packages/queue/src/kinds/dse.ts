import { z } from "zod";
import { checkDsePoint, evaluatePoint, pointPool, TIMINGS, type PointPool, type PointTask } from "@kpu/dse";
import type { DsePoint } from "@kpu/ir";
import { OBJECTIVES } from "@kpu/mapper";
import type { JobKind, JobRunner } from "../job-kind.js";

/**
 * A dse job's payload: one point's task as `runDse` makes it (id, parameters, the applied hardware, the model as
 * `kpu.graph` text, objective, timing). The hardware is checked by the evaluator, as locally: hardware the validator
 * refuses is an infeasible point, not a refused job.
 */
const payloadSchema = z.strictObject({
  id: z.string().min(1),
  params: z.record(z.string(), z.number()),
  hardware: z.record(z.string(), z.unknown()),
  graph: z.string().min(1),
  objective: z.enum(OBJECTIVES),
  timing: z.enum(TIMINGS),
}) as unknown as z.ZodType<PointTask>;

/** The result: a `kpu.dse` point (checked with the format's schema). */
const resultSchema = z.unknown().transform((v, ctx) => {
  const p = checkDsePoint(v);
  if (typeof p === "string") {
    ctx.addIssue({ code: "custom", message: p });
    return z.NEVER;
  }
  return p;
}) as unknown as z.ZodType<DsePoint>;

/** Concurrency 1 evaluates in the worker's thread; more use the local run's point pool. */
function dseRunner(concurrency: number): JobRunner<PointTask, DsePoint> {
  let pool: PointPool | undefined;
  return {
    run: async (task) => {
      if (concurrency <= 1) return evaluatePoint(task);
      pool ??= pointPool(concurrency);
      return pool.run(task);
    },
    close: async () => {
      await pool?.destroy();
    },
  };
}

/** `kpu dse` jobs: one point of a space, run by `evaluatePoint` (the exact mapper with one thread, then the timing). */
export const DSE_KIND: JobKind<PointTask, DsePoint> = {
  name: "dse",
  payload: payloadSchema,
  result: resultSchema,
  describe: (t) => `point ${t.id} ${Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(",")}`,
  createRunner: dseRunner,
};
