import type { CandidateMeasurer, Measurement } from "@kpu/cpu-matmul";
import type { RedisTarget } from "./connection.js";
import { TUNE_KIND, type TunePayload } from "./kinds/tune.js";
import { runOnQueue, type SubmitOptions } from "./producer.js";

/**
 * A tuner measurer that measures each candidate as a job on `kpu worker --kinds tune` processes of the host's class
 * (in parallel across them), instead of here. A trial that failed on every try is a failed measurement with the reason,
 * as a crashed kernel is locally; each measurement names the machine that took it.
 */
export function queueMeasurer(target: RedisTarget, options: SubmitOptions = {}): CandidateMeasurer {
  return async (candidates, measure) => {
    const { host, threads } = measure;
    const numeric: TunePayload["measure"] = Object.fromEntries(
      (["minRuns", "minWindowMs", "warmup", "stealThreshold", "maxAttempts", "timeoutMs", "maxRelErr", "maxSecondsPerKernel"] as const)
        .filter((k) => measure[k] !== undefined)
        .map((k) => [k, measure[k]]),
    );
    const out: (Measurement & { measuredOn?: string })[] = [];
    await runOnQueue(
      target,
      TUNE_KIND,
      candidates.map((c) => ({ shape: c.nest.shape, host, threads, params: c.params, measure: numeric })),
      (index, outcome) => {
        const id = candidates[index]!.id;
        out[index] = outcome.ok ? { ...outcome.result.measurement, id, measuredOn: outcome.result.measuredOn } : { id, ok: false, reason: `job ${outcome.id} failed: ${outcome.reason}` };
      },
      options,
    );
    return out;
  };
}
