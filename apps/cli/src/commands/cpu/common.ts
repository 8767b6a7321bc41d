import { DTYPES, HOST_CONFIG_KEYS, SHAPE_SETS, detectHost, loadHostConfig, namedShapeSets, parseShapesText, validateShape, withDtype, type Dtype, type HostModel, type MatmulShape } from "@kpu/cpu-matmul";
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
  /** `f32`, `bf16`, or both comma-separated (each shape once per dtype). */
  readonly dtype?: string;
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
  const dtypes = parseDtypes(flags.dtype);
  const shapes = resolveF32Shapes(flags);
  // A file's own dtype is kept unless --dtype is given.
  return flags.dtype === undefined ? shapes : dtypes.flatMap((d) => withDtype(shapes, d));
}

/** `--dtype f32,bf16` as a list (default f32); anything else is KPU_BAD_FLAG. */
export function parseDtypes(text: string | undefined, where = "--dtype"): Dtype[] {
  const list = (text ?? "f32").split(",").map((x) => x.trim()).filter((x) => x !== "");
  const bad = list.find((x) => !(DTYPES as readonly string[]).includes(x));
  if (bad !== undefined || list.length === 0) {
    throw new KpuError("KPU_BAD_FLAG", `"${bad ?? text ?? ""}" is not one of ${DTYPES.join(", ")}`, { where, hint: "Pass --dtype f32, --dtype bf16 or --dtype f32,bf16 (A and B in that type; C is float32)." });
  }
  return [...new Set(list as Dtype[])];
}

function resolveF32Shapes(flags: ShapeFlags): MatmulShape[] {
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
      `${Object.keys(SHAPE_SETS).join(", ")} (24 BERT-base shapes, 40 LLM projections at prefill / decode / GEMV sizes, 12 odd and prime shapes, 11 held-out shapes of those classes; comma-separated to combine) or a JSON/YAML list of {m, n, k, kernel, shapeClass, dtype}`,
    )
    .option("--dtype <list>", "element type of A and B: f32, bf16 (bfloat16; C and the accumulation stay float32), or f32,bf16 for both (default f32, or the shapes file's own)")
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
