// Worker entry for runSweep's tinypool: each task is { spec, job }, the answer the job's rows.
import type { SweepSpec } from "./grid.js";
import { runSweepJob, type SweepJob, type SweepRow } from "./sweep-rows.js";

export default function runTask(task: { spec: SweepSpec; job: SweepJob }): SweepRow[] {
  return runSweepJob(task.spec, task.job);
}
