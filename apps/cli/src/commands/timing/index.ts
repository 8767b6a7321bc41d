import { Option, type Command } from "commander";
import { injectionCsv, injectionSchedule, type InjectionRow } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { addMatmulSimFlags, checkMappingFlags, runSimulation, type MatmulSimFlags } from "../sim/index.js";

export interface TimingFlags extends MatmulSimFlags {
  readonly schedule?: string;
  readonly format?: "table" | "csv" | "json";
  readonly out?: string;
  readonly limit?: number;
}

/**
 * `kpu timing`: the operand injection schedule: for every (i,j,k) step, when its A and B tiles left DRAM, reached L3,
 * L2 and L1, and when the step was injected into the fabric (fabric cycles), from the event-driven simulation.
 */
export function timingCommand(flags: TimingFlags, io: CliIo): InjectionRow[] {
  const run = runSimulation(flags);
  const format = flags.json === true ? "json" : (flags.format ?? "table");
  const limit = flags.limit ?? (format === "table" && flags.out === undefined ? 16 : undefined);
  const rows = injectionSchedule(run, limit === undefined ? {} : { limit });
  const r = run.report;
  const doc = {
    hardware: r.hardware,
    m: r.m,
    n: r.n,
    k: r.k,
    strategy: r.strategy,
    tiles: r.tiles,
    buffers: r.buffers,
    timeUnit: "fabric cycles",
    fabricMhz: run.hardware.clocks.fabricMhz,
    steps: r.steps,
    rows,
  };
  const text = format === "csv" ? injectionCsv(rows) : format === "json" ? toJsonText(doc) : undefined;
  if (flags.out !== undefined) {
    writeFileAtomic(flags.out, text ?? injectionCsv(rows), "--out");
    if (flags.json !== true) io.stdout(`wrote the injection schedule of ${rows.length} steps to ${flags.out}\n`);
    else io.stdout(toJsonText({ ...doc, rows: undefined, out: flags.out, written: rows.length }));
    return rows;
  }
  if (text !== undefined) {
    io.stdout(text);
    return rows;
  }
  io.stdout(
    `injection schedule, ${r.hardware} ${r.m}x${r.n}x${r.k} ${r.strategy.toUpperCase()}, tiles ${r.tiles.m}x${r.tiles.n}x${r.tiles.k}, ` +
      `fabric cycles at ${run.hardware.clocks.fabricMhz} MHz (first ${rows.length} of ${r.steps} steps; --format csv|json for all)\n`,
  );
  io.stdout(
    renderTable(
      ["step", "tile", "A DRAM>", "A L3", "A L2", "A L1", "B DRAM>", "B L3", "B L2", "B L1", "inject", "done"],
      rows.map((x) => [x.step, x.tile, x.aLeaveDram ?? "-", x.aInL3 ?? "-", x.aInL2 ?? "-", x.aInL1 ?? "-", x.bLeaveDram ?? "-", x.bInL3 ?? "-", x.bInL2 ?? "-", x.bInL1 ?? "-", x.inject, x.computeDone]),
    ),
  );
  return rows;
}

export function registerTiming(program: Command, io: CliIo): void {
  addMatmulSimFlags(program.command("timing").description("operand injection timing: when each A and B tile leaves DRAM, reaches L3, L2, L1 and is injected"))
    .option("--schedule <file>", "a memory-planner schedule instead of --m/--n/--k")
    .addOption(new Option("--format <f>", "output format").choices(["table", "csv", "json"]))
    .option("--out <file>", "write the schedule here (CSV unless --format json)")
    .option("--limit <n>", "only the first n steps", positiveInt("--limit"))
    .action((flags: TimingFlags, command: Command) => {
      checkMappingFlags(flags, command);
      timingCommand(flags, io);
    });
}
