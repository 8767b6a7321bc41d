import type { Command } from "commander";
import type { CliIo } from "../main.js";
import { registerAnalyze } from "./analyze/index.js";
import { registerCompile } from "./compile/index.js";
import { registerCpu } from "./cpu/index.js";
import { registerDemo } from "./demo/index.js";
import { registerDse } from "./dse/index.js";
import { registerErrors } from "./errors/index.js";
import { registerRun } from "./run/index.js";
import { registerFabric } from "./fabric/index.js";
import { registerHw } from "./hw/index.js";
import { registerL3 } from "./l3/index.js";
import { registerMap } from "./map/index.js";
import { registerReport } from "./report/index.js";
import { registerSim } from "./sim/index.js";
import { registerTiming } from "./timing/index.js";
import { registerQueue } from "./queue/index.js";
import { registerWorker } from "./worker/index.js";

/** Every command registers itself here; one folder per command. */
export function registerCommands(program: Command, io: CliIo): void {
  registerCompile(program, io);
  registerAnalyze(program, io);
  registerDemo(program, io);
  registerRun(program, io);
  registerCpu(program, io);
  registerHw(program, io);
  registerSim(program, io);
  registerTiming(program, io);
  registerFabric(program, io);
  registerL3(program, io);
  registerMap(program, io);
  registerDse(program, io);
  registerReport(program, io);
  registerErrors(program, io);
  registerWorker(program, io);
  registerQueue(program, io);
}
