import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { registerL3Advise } from "./advise.js";
import { registerL3Analyze } from "./analyze.js";
import { registerL3Sweep } from "./sweep.js";

export { l3AdviseCommand } from "./advise.js";
export type { L3AdviseFlags } from "./advise.js";
export { l3AnalyzeCommand } from "./analyze.js";
export type { L3AnalyzeFlags } from "./analyze.js";
export { l3SweepCommand } from "./sweep.js";
export type { L3SweepFlags } from "./sweep.js";

/** `kpu l3 analyze|sweep|advise`: strategy-aware L3/DRAM traffic, sweeps and L3 sizing advice. */
export function registerL3(program: Command, io: CliIo): void {
  const l3 = program.command("l3").description("L3/DRAM traffic per dataflow strategy and L3 size: analyze, sweep, advise");
  registerL3Analyze(l3, io);
  registerL3Sweep(l3, io);
  registerL3Advise(l3, io);
}
