// Worker thread entry for runSweep: receives { spec, job } messages, answers { index, rows }.
import { parentPort } from "node:worker_threads";
import type { SweepSpec } from "./grid.js";
import { runSweepJob, type SweepJob } from "./sweep-rows.js";

const port = parentPort;
if (port !== null) {
  port.on("message", (msg: { spec: SweepSpec; job: SweepJob } | null) => {
    if (msg === null) {
      port.close();
      return;
    }
    try {
      port.postMessage({ index: msg.job.index, rows: runSweepJob(msg.spec, msg.job) });
    } catch (error) {
      port.postMessage({ index: msg.job.index, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
}
