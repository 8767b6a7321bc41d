import { HOST_CONFIG_KEYS, SHAPE_SETS, detectHost, loadHostConfig, namedShapeSets, parseShapesText, validateShape, type HostModel, type MatmulShape } from "@kpu/cpu-matmul";
import { KpuError } from "@kpu/ir";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { readTextFile } from "../../util/files.js";
import type { CliIo } from "../../main.js";
import { positiveInt } from "../../util/flags.js";
import { warn } from "../../util/print.js";
import { guardSignals } from "../../util/process.js";

export const DEFAULT_RESULTS = "bench-results/cpu-results.json";
export const DEFAULT_TUNE_LOG = "bench-results/cpu-tune.jsonl";

export interface HostFlags {
  readonly hostConfig?: string;
  readonly threads?: number;
}

export interface ShapeFlags {
  readonly shapes?: string;
  readonly m?: number;
  readonly n?: number;
  readonly k?: number;
}

export function loadHost(flags: HostFlags): HostModel {
  return flags.hostConfig === undefined ? detectHost() : loadHostConfig(flags.hostConfig);
}

/** --threads, default every core; more threads than cores is allowed (a host config may describe another machine) but warned. */
export function threadsOf(flags: HostFlags, host: HostModel, io?: CliIo): number {
  const threads = flags.threads ?? host.cores;
  if (io !== undefined && threads > host.cores) {
    warn(io, `--threads ${threads} is more than the ${host.cores} cores of ${host.source === "detected" ? "this host" : host.source}; the threads share cores (slower, noisier timings)`);
  }
  return threads;
}

/**
 * `--shapes bert|llm|odd` (named sets, comma-separated to combine them), `--shapes file.json|yaml`, or one shape from
 * `--m --n --k`.
 */
export function resolveShapes(flags: ShapeFlags): MatmulShape[] {
  const single = flags.m !== undefined || flags.n !== undefined || flags.k !== undefined;
  if (single && flags.shapes !== undefined) {
    throw new KpuError("KPU_USAGE", "both --shapes and --m/--n/--k were given", { where: "--shapes", hint: "Pass either --shapes or --m, --n and --k." });
  }
  if (single) {
    if (flags.m === undefined || flags.n === undefined || flags.k === undefined) {
      throw new KpuError("KPU_USAGE", "--m, --n and --k go together", { where: flags.m === undefined ? "--m" : flags.n === undefined ? "--n" : "--k", hint: "Pass all three, e.g. --m 128 --n 768 --k 768." });
    }
    return [validateShape({ m: flags.m, n: flags.n, k: flags.k }, "--m/--n/--k")];
  }
  const spec = flags.shapes ?? "bert";
  return namedShapeSets(spec) ?? parseShapesText(readTextFile(spec), spec);
}

const dim = (flag: string): ((text: string) => number) => positiveInt(flag, 1 << 16);

export function addHostFlags(command: Command): Command {
  return command
    .option("--threads <n>", "threads for kernels and OpenBLAS (default: all cores)", positiveInt("--threads", 1024))
    .option("--host-config <file>", `host model overrides (JSON or YAML), any of: ${HOST_CONFIG_KEYS.join(", ")} (l1d, l2, l3 are {bytes, ways, lineBytes})`);
}

export function addShapeFlags(command: Command): Command {
  return command
    .option(
      "--shapes <set|file>",
      `${Object.keys(SHAPE_SETS).join(", ")} (24 BERT-base shapes, 40 LLM projections at prefill / decode / GEMV sizes, 12 odd and prime shapes; comma-separated to combine) or a JSON/YAML list of {m, n, k, kernel, shapeClass}`,
    )
    .option("--m <n>", "rows of A and C (one shape)", dim("--m"))
    .option("--n <n>", "columns of B and C (one shape)", dim("--n"))
    .option("--k <n>", "reduction length (one shape)", dim("--k"));
}

/**
 * A progress bar on a TTY only, never with --json. Until `stop`, SIGINT / SIGTERM stop the bar, restore the terminal
 * and exit 130 / 143 (see util/process.ts), with or without a bar.
 */
export function progressBar(enabled: boolean, total: number, label: string): { tick: (value: number, payload?: string) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { tick: () => undefined, stop: guardSignals() };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {info}`, stream: process.stderr, hideCursor: true }, undefined);
  bar.start(total, 0, { info: "" });
  const release = guardSignals(bar);
  return {
    tick: (value, info) => {
      bar.update(value, { info: info ?? "" });
    },
    stop: () => {
      bar.stop();
      release();
    },
  };
}
