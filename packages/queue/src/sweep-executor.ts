import { KpuError } from "@kpu/ir";
import { checkSweepRecord, failedSweepRows, SWEEP_COLUMNS, type SweepExecutor, type SweepRow } from "@kpu/scheduler";
import type { RedisTarget } from "./connection.js";
import { SWEEP_KIND, sweepPayload } from "./kinds/sweep.js";
import { runOnQueue, type SubmitOptions } from "./producer.js";

/**
 * A `runSweep` executor that runs the jobs on `kpu worker` processes through Redis. Each job's rows come back checked
 * like resumed rows (`checkSweepRecord`: the columns and types this version writes, the job's own point); a job that
 * threw on every try becomes failed rows with the reason, as an expected failure does locally, and the sweep goes on.
 */
export function queueSweepExecutor(target: RedisTarget, options: SubmitOptions = {}): SweepExecutor {
  return async (spec, jobs, done) => {
    await runOnQueue(
      target,
      SWEEP_KIND,
      jobs.map((j) => sweepPayload(spec, j)),
      (index, outcome) => {
        const job = jobs[index]!;
        if (!outcome.ok) {
          done(job, failedSweepRows(spec, job, `job ${outcome.id} failed: ${outcome.reason}`));
          return;
        }
        const rows: SweepRow[] = outcome.result.map((row) => {
          const checked = checkSweepRecord(SWEEP_COLUMNS.map((c) => row[c]), spec);
          const problem = "problem" in checked ? checked.problem : row.Workload_Name !== job.workload.name ? `workload "${row.Workload_Name}" is not the job's` : undefined;
          if (problem !== undefined) {
            throw new KpuError("KPU_QUEUE_BAD_RESULT", `job ${outcome.id} returned a row that does not check: ${problem}`, { where: target.shown });
          }
          return row;
        });
        done(job, rows);
      },
      options,
    );
  };
}
