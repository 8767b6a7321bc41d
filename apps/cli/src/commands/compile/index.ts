import { Option, type Command } from "commander";
import { LOOP_ORDERS, formatUop, type LoopOrder } from "@kpu/ir";
import type { CliIo } from "../../main.js";
import { writeFileAtomic } from "../../util/files.js";
import { byteSize, oneOf, positiveInt } from "../../util/flags.js";
import { EXAMPLE_NAMES, loadModel } from "../../util/model.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { EMIT_FRONTEND, emitFrontend, runFrontend, type FrontendReport } from "./frontend.js";

export interface CompileFlags {
  readonly example?: string;
  readonly seq?: number;
  readonly tile?: number;
  readonly budget?: number;
  readonly order: LoopOrder;
  readonly fusion: boolean;
  readonly emit?: (typeof EMIT_FRONTEND)[number];
  readonly out?: string;
  readonly json?: boolean;
  readonly dumpAfter?: string;
}

function humanReport(report: FrontendReport): string {
  const passes = renderTable(
    ["pass", "ms", "statistics"],
    report.passes.map((p) => [
      p.name,
      p.millis.toFixed(2),
      Object.entries(p.stats)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ]),
  );
  const perOp = renderTable(
    ["op", "LOAD", "EXEC", "EWISE", "STORE"],
    report.perOp.map((o) => [o.op, o.LOAD, o.EXEC, o.EWISE, o.STORE]),
  );
  const u = report.uops;
  return (
    `model ${report.model}: ${report.opsBeforeFusion} ops before fusion, ${report.opsAfterFusion} after\n` +
    passes +
    `micro-ops: ${u.total} (LOAD ${u.LOAD}, EXEC ${u.EXEC}, EWISE ${u.EWISE}, STORE ${u.STORE})\n` +
    perOp
  );
}

/** `kpu compile`: fusion, tiling and lowering of a model file or built-in example. */
export function compileCommand(file: string | undefined, flags: CompileFlags, io: CliIo): void {
  const graph = loadModel({ file, example: flags.example, seq: flags.seq });
  const dumpAfter = flags.dumpAfter === undefined ? [] : flags.dumpAfter.split(",");
  const result = runFrontend(
    graph,
    { tile: flags.tile, budgetBytes: flags.budget, order: flags.order, fusion: flags.fusion },
    dumpAfter,
  );
  const ir = flags.emit === undefined ? undefined : emitFrontend(flags.emit, result);
  if (ir !== undefined && flags.out !== undefined) writeFileAtomic(flags.out, toJsonText(ir));
  if (flags.json === true) {
    const doc = { ...result.report, ...(ir !== undefined && flags.out === undefined ? { ir } : {}) };
    io.stdout(toJsonText(doc));
    return;
  }
  io.stdout(humanReport(result.report));
  if (flags.emit === "uops" && flags.out === undefined) {
    const shown = result.program.uops.slice(0, 12).map(formatUop);
    io.stdout(`first micro-ops:\n${shown.map((l) => `  ${l}`).join("\n")}\n  ...\n`);
  } else if (ir !== undefined && flags.out === undefined) {
    io.stdout(toJsonText(ir));
  }
  if (flags.out !== undefined) io.stdout(`wrote ${flags.emit ?? "nothing"} IR to ${flags.out}\n`);
}

/** Flags shared by every command that compiles a model (`compile`, `run`). */
export function addModelFlags(command: Command): Command {
  return command
    .argument("[model]", "model JSON file (kpu.graph); default: the built-in mlp example")
    .addOption(new Option("--example <name>", "built-in example model").choices(EXAMPLE_NAMES))
    .option("--seq <n>", "sequence length for --example bert-layer", positiveInt("--seq", 1 << 20))
    .option("--tile <n>", "tile edge in elements for m, n and k", positiveInt("--tile", 1 << 20))
    .option("--budget <size>", "on-chip bytes for A, B and C tiles: pick tiles by rule instead of --tile", byteSize("--budget"))
    .option("--order <order>", `loop order of the tile loops (${LOOP_ORDERS.join(", ")})`, oneOf("--order", LOOP_ORDERS), "mnk")
    .option("--no-fusion", "skip the fusion pass");
}

export function registerCompile(program: Command, io: CliIo): void {
  addModelFlags(program.command("compile").description("fuse, tile and lower a model to micro-ops; print per-pass statistics"))
    .addOption(new Option("--emit <ir>", "IR to write").choices(EMIT_FRONTEND))
    .option("--out <file>", "write the emitted IR here (atomically) instead of stdout")
    .option("--dump-after <passes>", "comma-separated pass names whose IR goes into the JSON report (* for all)")
    .option("--json", "machine-readable output")
    .action((file: string | undefined, flags: CompileFlags) => {
      compileCommand(file, flags, io);
    });
}
