import { Option, type Command } from "commander";
import { DATAFLOWS, fabricTiming, fabricTrace, type FabricGemm } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";

export interface FabricFlags extends FabricGemm {
  readonly trace?: boolean;
  readonly json?: boolean;
}

/** `kpu fabric`: the systolic array alone, stall-free: cycles with fill and drain per fold, SRAM traffic in elements. */
export function fabricCommand(flags: FabricFlags, io: CliIo): void {
  const gemm = { rows: flags.rows, cols: flags.cols, dataflow: flags.dataflow, m: flags.m, n: flags.n, k: flags.k };
  const t = fabricTiming(gemm);
  const trace = flags.trace === true ? fabricTrace(gemm) : undefined;
  if (flags.json === true) {
    io.stdout(toJsonText({ ...t, ...(trace === undefined ? {} : { trace }) }));
    return;
  }
  io.stdout(
    `${t.m}x${t.n}x${t.k} GEMM on a ${t.rows}x${t.cols} ${t.dataflow.toUpperCase()} array: ` +
      `${t.folds} folds (${t.rowFolds} x ${t.colFolds}), ${t.cycles.toLocaleString("en-US")} cycles, ` +
      `${(t.utilisation * 100).toFixed(1)}% of peak MACs\n`,
  );
  io.stdout(
    renderTable(
      ["SRAM traffic (elements)", "count"],
      [
        ["reads A", t.sramReadsA],
        ["reads B", t.sramReadsB],
        ["reads C (partial sums)", t.sramReadsC],
        ["writes C", t.sramWritesC],
      ],
    ),
  );
  if (trace !== undefined) {
    const lines = ["cycle  fold  operand  element      port"];
    for (const e of trace) {
      lines.push(
        `${String(e.cycle).padStart(5)}  ${String(e.fold).padStart(4)}  ${e.operand}${e.phase === "preload" ? " (pre)" : "      "}  ` +
          `${`[${e.row},${e.col}]`.padEnd(11)}  ${e.port} ${e.portIndex}`,
      );
    }
    io.stdout(`${lines.join("\n")}\n`);
  }
}

export function registerFabric(program: Command, io: CliIo): void {
  program
    .command("fabric")
    .description("the systolic fabric alone, stall-free: cycles with fill and drain per fold, SRAM reads and writes")
    .requiredOption("--rows <R>", "array rows", positiveInt("--rows", 4096))
    .requiredOption("--cols <C>", "array columns", positiveInt("--cols", 4096))
    .addOption(new Option("--dataflow <df>", "which operand stays in the PEs").choices(DATAFLOWS).default("os"))
    .requiredOption("--m <M>", "rows of A and C", positiveInt("--m"))
    .requiredOption("--n <N>", "columns of B and C", positiveInt("--n"))
    .requiredOption("--k <K>", "the reduction dimension", positiveInt("--k"))
    .option("--trace", "per-cycle trace of which operand element enters which row or column (small cases)")
    .option("--json", "machine-readable output (cycles, folds, sramReadsA, sramReadsB, sramWritesC in elements)")
    .action((flags: FabricFlags) => {
      fabricCommand(flags, io);
    });
}
