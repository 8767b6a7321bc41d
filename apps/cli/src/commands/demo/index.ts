import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { compileCommand } from "../compile/index.js";

/**
 * `kpu demo`: the README's main job on the built-in default example (the seed MLP, 32x32 tiles). Each stage prints
 * what the corresponding command prints.
 */
export function demoCommand(io: CliIo): void {
  io.stdout("== kpu compile --example mlp --tile 32 --emit uops ==\n");
  compileCommand(undefined, { example: "mlp", tile: 32, order: "mnk", fusion: true, emit: "uops" }, io);
}

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description("the main job on the built-in default example: compile, schedule, verify, analyse and simulate")
    .action(() => {
      demoCommand(io);
    });
}
