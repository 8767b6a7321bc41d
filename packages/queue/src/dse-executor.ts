import type { PointExecutor } from "@kpu/dse";
import { KpuError } from "@kpu/ir";
import type { RedisTarget } from "./connection.js";
import { DSE_KIND } from "./kinds/dse.js";
import { runOnQueue, type SubmitOptions } from "./producer.js";

/**
 * A `runDse` executor that evaluates the points on `kpu worker` processes through Redis: one job per point, keyed by
 * the content hash of its task. A point that comes back is checked (the kpu.dse schema, and its id is the task's); a
 * job that threw on every try is recorded as an infeasible point with the reason, so the exploration goes on.
 */
export function queueDseExecutor(target: RedisTarget, options: SubmitOptions = {}): PointExecutor {
  return async (tasks, done) => {
    await runOnQueue(
      target,
      DSE_KIND,
      tasks,
      (index, outcome) => {
        const task = tasks[index]!;
        if (!outcome.ok) {
          done({ id: task.id, params: task.params, feasible: false, reason: `job ${outcome.id} failed: ${outcome.reason}`, pareto: false });
          return;
        }
        if (outcome.result.id !== task.id) {
          throw new KpuError("KPU_QUEUE_BAD_RESULT", `job ${outcome.id} returned point ${outcome.result.id}, not ${task.id}`, { where: target.shown });
        }
        done(outcome.result);
      },
      options,
    );
  };
}
