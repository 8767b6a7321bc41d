/**
 * Process hygiene for the `kpu` binary: a closed pipe ends the command quietly, and SIGINT / SIGTERM restore the
 * terminal before exiting 130 / 143. Installed once from bin.ts; the in-process CLI (tests, `runCli`) is unaffected.
 */

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report them. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/** Re-enables auto-wrap and shows the cursor (a cli-progress bar turns both off while it runs). */
export const TERMINAL_RESET = "\x1b[?7h\x1b[?25h";

interface Stoppable {
  stop(): void;
}

const active = new Set<Stoppable>();
let guards = 0;
let installed = false;

/** Stops every tracked progress bar and, on a terminal, re-enables auto-wrap and the cursor. Never throws. */
export function restoreTerminal(stream: NodeJS.WriteStream = process.stderr): void {
  for (const bar of [...active]) {
    try {
      bar.stop();
    } catch {
      // a bar that cannot redraw must not keep the others from stopping
    }
  }
  active.clear();
  try {
    if (stream.isTTY) stream.write(TERMINAL_RESET);
  } catch {
    // the terminal is gone: nothing to restore
  }
}

function onSignal(signal: StopSignal): void {
  restoreTerminal();
  try {
    process.stderr.write(`\nkpu: stopped by ${signal}; finished work is kept (a sweep resumes when run again)\n`);
  } catch {
    // stderr closed
  }
  // Rows and files are written synchronously (whole rows, atomic renames), so exiting here never leaves half a row.
  process.exit(SIGNAL_EXIT[signal]);
}

const onSigint = (): void => { onSignal("SIGINT"); };
const onSigterm = (): void => { onSignal("SIGTERM"); };

/**
 * Marks a stretch of asynchronous work (a sweep, a benchmark) during which SIGINT and SIGTERM stop `bar` (if given),
 * restore the terminal and exit 130 / 143. Returns the release function. Outside such stretches the signals keep
 * their default action (the process ends at once, also in the middle of synchronous work). Only in the binary: the
 * in-process CLI never installs signal handlers.
 */
export function guardSignals(bar?: Stoppable): () => void {
  if (bar !== undefined) active.add(bar);
  const forget = (): void => {
    if (bar !== undefined) active.delete(bar);
  };
  if (!installed) return forget;
  if (guards++ === 0) {
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigterm);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    forget();
    if (--guards === 0) {
      process.removeListener("SIGINT", onSigint);
      process.removeListener("SIGTERM", onSigterm);
    }
  };
}

/** EPIPE (the reader went away: `kpu demo | head -1`) ends the command quietly with exit 0; other errors exit 4. */
function onStreamError(name: string): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") {
      restoreTerminal();
      process.exit(0);
    }
    if (name !== "stderr") {
      try {
        process.stderr.write(`error KPU_WRITE_FAILED at ${name}: could not write the output (${error.code ?? "error"})\n`);
      } catch {
        // stderr is gone too
      }
    }
    process.exit(4);
  };
}

/** Installs the EPIPE handlers on stdout and stderr and enables `guardSignals`; call once, from bin.ts. */
export function installProcessHygiene(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", onStreamError("stdout"));
  process.stderr.on("error", onStreamError("stderr"));
}
