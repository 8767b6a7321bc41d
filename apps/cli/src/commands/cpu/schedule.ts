import {
  C_PRELUDE,
  describeHost,
  emitKernelC,
  formatNest,
  formatSchedule,
  hostRules,
  registerTile,
  seedRules,
  validateShape,
  validateSchedule,
  type RuleDecision,
} from "@kpu/cpu-matmul";
import { KpuError } from "@kpu/ir";
import { Option, type Command } from "commander";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { addHostFlags, loadHost, parseDtypes, threadsOf, type HostFlags } from "./common.js";

export interface ScheduleFlags extends HostFlags {
  readonly dtype?: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly rules: "seed" | "host";
  readonly explain?: boolean;
  readonly emit?: "c" | "nest" | "trace";
  readonly json?: boolean;
}

/** `kpu cpu schedule`: the rule engine's schedule for one shape, with --explain and --emit c|nest|trace. */
export function cpuScheduleCommand(flags: ScheduleFlags, io: CliIo): void {
  const dtypes = parseDtypes(flags.dtype);
  if (dtypes.length > 1) throw new KpuError("KPU_BAD_FLAG", `--dtype ${flags.dtype ?? ""} names ${dtypes.length} types; a schedule is for one`, { where: "--dtype", hint: "Pass --dtype f32 or --dtype bf16." });
  const shape = validateShape({ m: flags.m, n: flags.n, k: flags.k, ...(dtypes[0] === "bf16" ? { dtype: "bf16" as const } : {}) }, "--m/--n/--k");
  const host = loadHost(flags);
  const threads = threadsOf(flags, host, io);
  const t0 = process.hrtime.bigint();
  const plan = flags.rules === "seed" ? { ...seedRules(shape), params: undefined } : hostRules(shape, host, threads);
  const micros = Number(process.hrtime.bigint() - t0) / 1e3;
  const v = validateSchedule(plan.schedule, shape, host);
  if (!v.ok) {
    throw new KpuError("KPU_CPU_ILLEGAL_SCHEDULE", v.reason, { where: `--rules ${flags.rules}`, hint: "The host config may be impossible for this rule set; check --host-config." });
  }
  const tile = registerTile(v.nest, host);
  const c = flags.emit === "c" ? `${C_PRELUDE}\n${emitKernelC(v.nest, host, "kpu_matmul")}\n` : undefined;
  if (flags.json === true) {
    io.stdout(
      toJsonText({
        shape,
        rules: flags.rules,
        threads,
        host,
        computeMicros: micros,
        params: plan.params ?? null,
        schedule: plan.schedule,
        registerTile: tile ?? null,
        ...(flags.explain === true ? { decisions: plan.decisions } : {}),
        ...(flags.emit === "nest" ? { nest: formatNest(v.nest) } : {}),
        ...(c !== undefined ? { c } : {}),
      }),
    );
    return;
  }
  if (c !== undefined) {
    io.stdout(c);
    return;
  }
  io.stdout(`${flags.rules}-rules schedule for ${shape.m}x${shape.n}x${shape.k}${shape.dtype === "bf16" ? " (bf16 A and B)" : ""} on ${describeHost(host)}, ${threads} threads (computed in ${micros.toFixed(0)} us)\n`);
  if (flags.explain === true) {
    io.stdout(renderTable(["rule", "decides", "value", "because"], plan.decisions.map((d: RuleDecision) => [d.id, d.decides, d.value, d.because])));
  }
  io.stdout(flags.emit === "nest" ? `${formatNest(v.nest)}\n` : `${formatSchedule(plan.schedule)}\n`);
  io.stdout(tile === undefined ? "register tile: none (generic loops)\n" : `register tile: ${tile.mr} x ${tile.nr} (${tile.lanes}-lane vectors, ${tile.registers} registers)\n`);
}

export function registerCpuSchedule(cpu: Command, io: CliIo): void {
  addHostFlags(
    cpu
      .command("schedule")
      .description("derive a schedule for one shape by rules (no search), print it, explain it, or emit its C")
      .requiredOption("--m <n>", "rows of A and C", positiveInt("--m", 1 << 16))
      .requiredOption("--n <n>", "columns of B and C", positiveInt("--n", 1 << 16))
      .requiredOption("--k <n>", "reduction length", positiveInt("--k", 1 << 16))
      .option("--dtype <type>", "element type of A and B: f32 (default) or bf16 (bfloat16; C and the accumulation stay float32)")
      .addOption(new Option("--rules <set>", "rule set: the seed's R1-R11 or the host model's H1-H10").choices(["seed", "host"]).default("host"))
      .option("--explain", "print which rule chose what, and why")
      .addOption(new Option("--emit <what>", "print the C kernel, the loop nest, or the primitive trace (default)").choices(["c", "nest", "trace"]))
      .option("--json", "machine-readable output"),
  ).action((flags: ScheduleFlags) => {
    cpuScheduleCommand(flags, io);
  });
}
