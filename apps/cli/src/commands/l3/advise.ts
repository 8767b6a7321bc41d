import type { Command } from "commander";
import { KpuError } from "@kpu/ir";
import {
  C_ACCOUNTINGS,
  L3_MODELS,
  STRATEGY_INFO,
  adviseL3,
  validateProblem,
  type CAccounting,
  type L3Model,
  type Workload,
} from "@kpu/scheduler";
import type { CliIo } from "../../main.js";
import { oneOf, positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { parseGrid, parseSizeList, ratio, size } from "./common.js";
import { sweepSpecOf } from "./sweep.js";

export interface L3AdviseFlags {
  readonly within?: string;
  readonly m?: number;
  readonly n?: number;
  readonly k?: number;
  readonly preset?: "focused" | "comprehensive";
  readonly grid?: string;
  readonly model?: L3Model;
  readonly cAccounting?: CAccounting;
  readonly candidates?: string;
  readonly kpuGrid?: string;
  readonly multicast?: boolean;
  readonly json?: boolean;
}

/** `kpu l3 advise`: the smallest L3 per tile that keeps traffic within X of compulsory for a set of workloads. */
export function l3AdviseCommand(flags: L3AdviseFlags, io: CliIo): void {
  const within = Number(flags.within ?? "1.1");
  if (!Number.isFinite(within) || within < 1) {
    throw new KpuError("KPU_BAD_FLAG", `"${flags.within ?? ""}" is not a ratio of at least 1`, {
      where: "--within",
      hint: "Give the allowed traffic over compulsory, e.g. --within 1.1 for 10%.",
    });
  }
  let workloads: readonly Workload[];
  if (flags.m !== undefined || flags.n !== undefined || flags.k !== undefined) {
    if (flags.m === undefined || flags.n === undefined || flags.k === undefined) {
      throw new KpuError("KPU_USAGE", "give all of --m, --n and --k", { where: "--m/--n/--k", hint: "Or use --preset or --grid." });
    }
    const w = { name: `${flags.m}x${flags.n}x${flags.k}`, category: "", aspect: "", m: flags.m, n: flags.n, k: flags.k };
    validateProblem(w, "--");
    workloads = [w];
  } else {
    workloads = sweepSpecOf({ preset: flags.preset ?? (flags.grid === undefined ? "focused" : undefined), grid: flags.grid }).workloads;
    for (const w of workloads) validateProblem(w, `${w.name}: `);
  }
  const grid = flags.kpuGrid === undefined ? undefined : parseGrid(flags.kpuGrid, "--kpu-grid");
  const advice = adviseL3(workloads, {
    within,
    model: flags.model ?? "kpu",
    cAccounting: flags.cAccounting ?? "rmw",
    ...(flags.candidates ? { candidatesBytes: parseSizeList(flags.candidates, "--candidates") } : {}),
    ...(grid ? { gridRows: grid.rows, gridCols: grid.cols, multicast: flags.multicast === true } : {}),
  });
  if (flags.json === true) {
    io.stdout(toJsonText(advice));
    return;
  }
  const per = grid === undefined ? "" : ` per tile of a ${grid.rows}x${grid.cols} grid${flags.multicast === true ? " with multicast" : ""}`;
  io.stdout(
    advice.l3Bytes === undefined
      ? `no candidate L3${per} keeps every workload within ${within}x of compulsory\n`
      : `smallest L3${per} within ${within}x of compulsory for all ${workloads.length} workloads: ${size(advice.l3Bytes)}\n`,
  );
  io.stdout(
    renderTable(
      ["workload", "smallest L3", "strategy", "traffic/compulsory", "best reachable"],
      advice.perWorkload.map((p) => [
        p.workload,
        p.l3Bytes === undefined ? "none" : size(p.l3Bytes),
        p.strategy === undefined ? "-" : STRATEGY_INFO[p.strategy].label,
        p.ratio === undefined ? "-" : ratio(p.ratio),
        ratio(p.bestRatio),
      ]),
    ),
  );
}

export function registerL3Advise(l3: Command, io: CliIo): void {
  l3.command("advise")
    .description("the smallest L3 (per tile) keeping DRAM traffic within X of compulsory for a set of workloads")
    .option("--within <x>", "allowed traffic / compulsory (default 1.1)")
    .option("--m <n>", "one workload: rows of A and C", positiveInt("--m"))
    .option("--n <n>", "columns of B and C", positiveInt("--n"))
    .option("--k <n>", "reduction dimension", positiveInt("--k"))
    .option("--preset <name>", "focused or comprehensive workloads (default focused)", oneOf("--preset", ["focused", "comprehensive"] as const))
    .option("--grid <file>", "workloads from a JSON or YAML grid file")
    .option("--model <model>", L3_MODELS.join(" or "), oneOf("--model", L3_MODELS), "kpu")
    .option("--c-accounting <mode>", C_ACCOUNTINGS.join(" or "), oneOf("--c-accounting", C_ACCOUNTINGS), "rmw")
    .option("--candidates <sizes>", "candidate sizes (default 256KiB..1GiB, powers of two)")
    .option("--kpu-grid <RxC>", "size the L3 slice of each tile of this grid")
    .option("--multicast", "tiles of a grid row/column share A/B fetches")
    .option("--json", "machine-readable output")
    .action((flags: L3AdviseFlags) => {
      l3AdviseCommand(flags, io);
    });
}
