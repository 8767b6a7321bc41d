import cliProgress from "cli-progress";
import { guardSignals } from "./process.js";

/**
 * A progress bar over a count of items (rows, points) whose total the run reports with its first update: on a TTY
 * only and never with --json. Until `stop`, SIGINT / SIGTERM stop the bar, restore the terminal and exit 130 / 143.
 */
export function countProgress(enabled: boolean, label: string, unit: string): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const bar = enabled && process.stderr.isTTY ? new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} ${unit} | {eta}s left`, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  const release = guardSignals(bar);
  let started = false;
  return {
    onProgress: (done, total) => {
      if (bar === undefined) return;
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop: () => {
      bar?.stop();
      release();
    },
  };
}
