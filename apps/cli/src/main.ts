import { Command, CommanderError } from "commander";
import { EXIT_CODES, KpuError, errorCategory, formatKpuError, isKpuError } from "@kpu/ir";
import { registerCommands } from "./commands/index.js";
import { invalidChoice } from "./util/flags.js";
import { VERSION } from "./version.js";

/**
 * Exit codes, by the category of the error (EXIT_CODES in @kpu/ir): 0 success, 1 a check failed (e.g. verification),
 * 2 bad input or usage, 3 an internal error (a bug), 4 the environment (files, the C compiler).
 */
export const EXIT = { ok: 0, failed: EXIT_CODES.check, usage: EXIT_CODES.input, internal: EXIT_CODES.internal, environment: EXIT_CODES.environment } as const;

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
    // commander writes only help to writeErr (its errors are re-raised as KpuErrors): help belongs on stdout, so that
    // stderr starts with the one `error` line
    .configureOutput({ writeOut: io.stdout, writeErr: io.stdout, outputError: () => undefined })
    .exitOverride();
  registerCommands(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  if (argv.length === 0) {
    io.stdout(program.helpInformation());
    return EXIT.ok;
  }
  try {
    await program.parseAsync(helpAsFlag(argv), { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT.ok;
    return reportError(toKpuError(error), io);
  }
}

/** `kpu help l3 sweep` is `kpu l3 sweep --help` (commander's help command takes one name). */
function helpAsFlag(argv: readonly string[]): string[] {
  return argv[0] === "help" && argv.length > 1 ? [...argv.slice(1), "--help"] : [...argv];
}

/** The one exit path for errors: one line plus the hint, and the exit code of the error's category. */
function reportError(error: KpuError, io: CliIo): number {
  io.stderr(`${formatKpuError(error)}\n`);
  if (process.env.KPU_DEBUG === "1") {
    const cause: unknown = error.code === "KPU_INTERNAL" ? error.cause : error;
    if (cause instanceof Error && cause.stack !== undefined) io.stderr(`${cause.stack}\n`);
  }
  return EXIT_CODES[errorCategory(error.code)];
}

function toKpuError(error: unknown): KpuError {
  if (isKpuError(error)) return error;
  if (error instanceof CommanderError) return fromCommander(error);
  return new KpuError("KPU_INTERNAL", error instanceof Error ? error.message : String(error), { cause: error });
}

const CHOICE_ERROR = /^error: option '(?<flags>[^']*)' argument '(?<value>.*)' is invalid\. Allowed choices are (?<choices>.*)\.$/s;

/** Commander's usage errors as KpuErrors; an invalid `.choices()` value reads exactly like `oneOf`'s. */
function fromCommander(error: CommanderError): KpuError {
  const choice = CHOICE_ERROR.exec(error.message)?.groups;
  if (choice !== undefined) {
    const flag = /--[\w-]+/.exec(choice.flags!)?.[0] ?? choice.flags!;
    return invalidChoice(flag, choice.value!, choice.choices!.split(", "));
  }
  const message = error.message.replace(/^error: /, "");
  if (error.code === "commander.invalidArgument") return new KpuError("KPU_BAD_FLAG", message);
  if (error.code === "commander.help") return new KpuError("KPU_USAGE", "a subcommand is required (see the list above)");
  return new KpuError("KPU_USAGE", message);
}
