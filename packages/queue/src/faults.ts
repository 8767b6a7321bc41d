/**
 * Fault injection for the queue's fault tests, read from the environment variable KPU_FAULT_QUEUE (like KPU_FAULT_RUN): a list of
 * `slow:MS` (each job waits MS before it runs, so a test can kill a worker mid-job), `throw:NAME` (a job whose
 * description contains NAME throws a plain Error) and `version:X` (the process poses as kpu X). Unset: no faults.
 */
export interface QueueFaults {
  readonly slowMs?: number;
  readonly throwOn?: string;
  readonly version?: string;
}

export function queueFaults(env: NodeJS.ProcessEnv = process.env): QueueFaults {
  const text = env.KPU_FAULT_QUEUE;
  if (text === undefined || text === "") return {};
  const out: { slowMs?: number; throwOn?: string; version?: string } = {};
  for (const part of text.split(";")) {
    const [what, ...rest] = part.split(":");
    const value = rest.join(":");
    if (what === "slow") out.slowMs = Number(value);
    else if (what === "throw") out.throwOn = value;
    else if (what === "version") out.version = value;
  }
  return out;
}
