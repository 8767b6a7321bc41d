import { Command, CommanderError } from "commander";
import { formatKpuError, isKpuError, sanitizeText } from "@kpu/ir";
import { registerCommands } from "./commands/index.js";
import { VERSION } from "./version.js";

/** Exit codes: 0 success, 1 a check failed (e.g. verification), 2 bad input or usage, 3 an internal error. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export function createProgram(io: CliIo = processIo): Command {
  const program = new Command("kpu")
    .description("Compile, schedule and simulate tiled matrix workloads for the Stillwater KPU, and on CPUs.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError(false)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined })
    .exitOverride();
  registerCommands(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      const message = sanitizeText(error.message.replace(/^error: /, ""));
      io.stderr(`error KPU_USAGE: ${message}\n  hint: run \`kpu --help\` or \`kpu <command> --help\` for the accepted flags.\n`);
      return EXIT.usage;
    }
    if (isKpuError(error)) {
      io.stderr(`${formatKpuError(error)}\n`);
      return EXIT.usage;
    }
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`internal error (a bug in kpu; please report it):\n${text}\n`);
    return EXIT.internal;
  }
}
