import pLimit from "p-limit";
import { spawn } from "node:child_process";
import { KpuError } from "@kpu/ir";
import { emitKernelC, C_PRELUDE } from "./codegen.js";
import { cacheDir, compileObject, contentHash, findCompiler, linkBinary, type CCompiler } from "./compiler.js";
import type { HostModel } from "./host.js";
import { CANARY_SLOWDOWN, HARNESS_MAIN } from "./internal/harness-c.js";
import type { LoopNest } from "./schedule.js";
import { PEER_INFO, type PeerName } from "./peers.js";
import { dtypeOf, type MatmulShape } from "./shapes.js";

/** The runner's code of oneDNN's bf16 GEMM (`dnnl_gemm_bf16bf16f32`), the bf16 peer. */
const BF16_PEER_CODE = 4;

/** A kernel to measure: a validated loop nest compiled to C, or a peer library's GEMM (`PEERS`) on the shape. */
export type KernelSpec =
  | { readonly id: string; readonly kind: "nest"; readonly nest: LoopNest }
  | { readonly id: string; readonly kind: "peer"; readonly peer: PeerName; readonly shape: MatmulShape }
  /**
   * Hand-written C defining `void KPU_FN(const float *restrict A, const float *restrict B, float *restrict C)` (A and B
   * `const unsigned short *` bfloat16 for a bf16 shape).
   */
  | { readonly id: string; readonly kind: "c"; readonly shape: MatmulShape; readonly code: string };

/** One measurement: a timed kernel, or a failed candidate with its reason (never an exception). */
export type Measurement =
  | {
      readonly id: string;
      readonly ok: true;
      readonly medianUs: number;
      readonly p10Us: number;
      readonly runs: number;
      /** Timing windows tried; more than 1 when other processes stole time (or the canary ran slow) and the runner re-measured. */
      readonly attempts: number;
      /** Share of all CPUs' time used by other processes during the kept window. */
      readonly stolenFraction: number;
      /**
       * How much slower than its fastest run the runner's compute canary ran around the kept window (0.1 = 10%): a
       * physical core shared with another guest or a lowered clock, which /proc/stat does not show.
       */
      readonly slowdown: number;
      /** True when no window was clean within maxAttempts (the least-disturbed one is reported). */
      readonly noisy: boolean;
      readonly relErr: number;
      /** A peer's selected kernel or ISA (OpenBLAS's core, BLIS's architecture, oneDNN's ISA). */
      readonly blasCore?: string;
    }
  | { readonly id: string; readonly ok: false; readonly reason: string };

export interface MeasureOptions {
  readonly host: HostModel;
  readonly threads: number;
  /** At least this many timed runs (default 30), and at least minWindowMs of timing (default 200). */
  readonly minRuns?: number;
  readonly minWindowMs?: number;
  readonly warmup?: number;
  /**
   * Re-measure while other processes used more than this share of the CPUs (default 0.05), or the runner's compute
   * canary ran more than 15% slower than its best around the window, up to maxAttempts (4).
   */
  readonly stealThreshold?: number;
  readonly maxAttempts?: number;
  /** A kernel silent for this long is killed and reported as hung (default 120 s). */
  readonly timeoutMs?: number;
  readonly maxRelErr?: number;
  /** Stop timing a kernel after this many seconds even below minRuns (at least 3 runs; default 60). The autotuner
   * uses a short cap so that a very slow candidate does not eat the budget. */
  readonly maxSecondsPerKernel?: number;
  readonly compiler?: CCompiler;
  readonly cacheDir?: string;
  /** Kernels per translation unit (compiled in parallel, cached by content hash). Default 8. */
  readonly kernelsPerUnit?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onResult?: (m: Measurement) => void;
  readonly onPhase?: (phase: "compile" | "run") => void;
}

export const MAX_REL_ERR = 1e-4;

/** Default share of the CPUs other processes may use during a clean timing window. */
export const STEAL_THRESHOLD = 0.05;

/**
 * How disturbed a measured window was, relative to the runner's default thresholds: the larger of stolen share / 5% and
 * canary slowdown / 15%; at most 1 for a clean window. Used to keep the least-disturbed of two measurements.
 */
export function windowDisturbance(m: { readonly stolenFraction: number; readonly slowdown?: number }): number {
  return Math.max(m.stolenFraction / STEAL_THRESHOLD, (m.slowdown ?? 0) / CANARY_SLOWDOWN);
}

interface Entry {
  readonly spec: KernelSpec;
  readonly fn: string;
  readonly code: string;
  readonly shape: MatmulShape;
}

/** Compiles the kernels (translation units in parallel, cached), links one runner binary, and returns failures. */
async function build(
  blisArch: string,
  entries: readonly Entry[],
  cc: CCompiler,
  dir: string,
  perUnit: number,
  jobs: number,
): Promise<{ binary?: string; failed: Map<string, string>; table: Entry[] }> {
  const failed = new Map<string, string>();
  // Peers without a bf16 GEMM: OpenBLAS 0.3.21 (Debian) and BLIS 0.9 have none; oneDNN's is dnnl_gemm_bf16bf16f32.
  for (const e of entries) {
    if (e.spec.kind === "peer" && dtypeOf(e.shape) === "bf16" && e.spec.peer !== "onednn") failed.set(e.fn, `${e.spec.peer} has no bf16 GEMM here (the bf16 peer is onednn, dnnl_gemm_bf16bf16f32)`);
  }
  const units: Entry[][] = [];
  const kernels = entries.filter((e) => e.spec.kind !== "peer" && !failed.has(e.fn));
  const unique = [...new Map(kernels.map((e) => [e.fn, e])).values()];
  for (let n = 0; n < unique.length; n += perUnit) units.push(unique.slice(n, n + perUnit));
  const objects: string[] = [];
  const compileUnit = async (unit: Entry[]): Promise<void> => {
    const r = await compileObject(cc, `${C_PRELUDE}\n${unit.map((e) => e.code).join("\n\n")}\n`, dir);
    if (r.ok) {
      objects.push(r.path);
      return;
    }
    if (unit.length > 1) {
      for (const e of unit) await compileUnit([e]);
      return;
    }
    failed.set(unit[0]!.fn, `compile error: ${r.error}`);
  };
  const limit = pLimit(Math.max(1, jobs));
  await Promise.all(units.map((unit) => limit(() => compileUnit(unit))));
  const table = entries.filter((e) => !failed.has(e.fn));
  const tableFns = [...new Map(table.filter((e) => e.spec.kind !== "peer").map((e) => [e.fn, e])).values()];
  const elem = (e: Entry): string => (dtypeOf(e.shape) === "bf16" ? "unsigned short" : "float");
  const decls = tableFns.map((e) => `void ${e.fn}(const ${elem(e)} *restrict A, const ${elem(e)} *restrict B, float *restrict C);`).join("\n");
  const rows = table
    .map((e) => {
      const bf16 = dtypeOf(e.shape) === "bf16";
      const code = e.spec.kind === "peer" ? (bf16 ? BF16_PEER_CODE : PEER_INFO[e.spec.peer].code) : 0;
      const fn = bf16 ? `0, ${code}, ${e.fn}` : `${e.fn}, ${code}, 0`;
      return `  { ${e.shape.m}, ${e.shape.n}, ${e.shape.k}, ${fn} },`;
    })
    .join("\n");
  const main = HARNESS_MAIN.replace("/*BLIS_ARCH*/", `#define KPU_BLIS_ARCH "${blisArch}"`).replace("/*KERNELS*/", `${decls}\nstatic const struct kpu_entry KPU_TABLE[] = {\n${rows}\n  { 0, 0, 0, 0, 0, 0 }\n};`);
  const mainObj = await compileObject(cc, main, dir);
  if (!mainObj.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `the runner does not compile: ${mainObj.error}`, { where: cc.command, hint: "Check that the compiler supports -fopenmp (gcc, or clang with libomp)." });
  const bin = await linkBinary(cc, [mainObj.path, ...objects.sort()], dir);
  if (!bin.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `linking the runner failed: ${bin.error}`, { where: cc.command, hint: "Check that OpenMP (libgomp) is installed." });
  return { binary: bin.path, failed, table };
}

interface RunOutcome {
  readonly results: Map<number, Record<string, unknown>>;
  readonly inFlight: number | undefined;
  readonly exit: string;
}

function runBinary(binary: string, args: readonly string[], indices: readonly number[], timeoutMs: number, env: NodeJS.ProcessEnv, onLine: (idx: number, r: Record<string, unknown>) => void): Promise<RunOutcome> {
  return new Promise((done) => {
    const child = spawn(binary, [...args, ...indices.map(String)], { env, stdio: ["ignore", "pipe", "pipe"] });
    const results = new Map<number, Record<string, unknown>>();
    let inFlight: number | undefined;
    let buffer = "";
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
    };
    arm();
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const begin = /^BEGIN (\d+)$/.exec(line);
        const result = /^RESULT (\d+) (\{.*\})$/.exec(line);
        if (begin !== null) {
          inFlight = Number(begin[1]);
          arm();
        } else if (result !== null) {
          const idx = Number(result[1]);
          const parsed = JSON.parse(result[2]!) as Record<string, unknown>;
          results.set(idx, parsed);
          onLine(idx, parsed);
          inFlight = undefined;
          arm();
        }
      }
    });
    child.stderr.resume();
    child.on("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      const exit = timedOut ? `hung: no result within ${Math.round(timeoutMs / 1000)} s, killed` : signal !== null ? `crashed (${signal})` : `exited with code ${String(code)}`;
      done({ results, inFlight, exit });
    });
  });
}

/**
 * Compiles and measures kernels in a child process: each is checked once against a float64 reference (max error
 * relative to max |C| within 1e-4), warmed up, then timed (median and p10 of >= 30 runs). A kernel that crashes or
 * hangs is a failed measurement and the runner restarts after it.
 */
export async function measureKernels(specs: readonly KernelSpec[], options: MeasureOptions): Promise<Measurement[]> {
  const cc = options.compiler ?? findCompiler(options.env);
  const dir = options.cacheDir ?? cacheDir(options.env);
  const entries: Entry[] = specs.map((spec) => {
    if (spec.kind === "peer") return { spec, fn: `kpu_${spec.peer}${dtypeOf(spec.shape) === "bf16" ? "_bf16" : ""}`, code: "", shape: spec.shape };
    const body = spec.kind === "c" ? spec.code : emitKernelC(spec.nest, options.host, "KPU_FN");
    const fn = `kpu_k_${contentHash(body)}`;
    return { spec, fn, code: body.replaceAll("KPU_FN", fn), shape: spec.kind === "c" ? spec.shape : spec.nest.shape };
  });
  options.onPhase?.("compile");
  const { binary, failed, table } = await build(options.host.isa === "avx512" ? "skx" : "", entries, cc, dir, options.kernelsPerUnit ?? 8, Math.max(1, options.host.cores));
  const out = new Map<string, Measurement>();
  const record = (m: Measurement): void => {
    out.set(m.id, m);
    options.onResult?.(m);
  };
  for (const e of entries) {
    const reason = failed.get(e.fn);
    if (reason !== undefined) record({ id: e.spec.id, ok: false, reason });
  }
  options.onPhase?.("run");
  const args = [
    String(options.threads),
    String(options.minRuns ?? 30),
    String(options.warmup ?? 3),
    String(options.minWindowMs ?? 200),
    String(options.maxAttempts ?? 4),
    String(options.stealThreshold ?? STEAL_THRESHOLD),
    String(options.maxRelErr ?? MAX_REL_ERR),
    String(options.maxSecondsPerKernel ?? 60),
  ];
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    OMP_NUM_THREADS: String(options.threads),
    OPENBLAS_NUM_THREADS: String(options.threads),
    ...(options.host.isa === "avx512" ? { OPENBLAS_CORETYPE: "SkylakeX" } : {}),
  };
  // Same-shape kernels run next to each other so that the reference is computed once per shape.
  let pending = table.map((_, n) => n).sort((a, b) => {
    const sa = table[a]!.shape;
    const sb = table[b]!.shape;
    return sa.m - sb.m || sa.n - sb.n || sa.k - sb.k || a - b;
  });
  const toMeasurement = (idx: number, r: Record<string, unknown>): Measurement => {
    const id = table[idx]!.spec.id;
    if (r.ok !== true) return { id, ok: false, reason: typeof r.reason === "string" ? r.reason : "failed" };
    const blasCore = typeof r.blasCore === "string" && r.blasCore !== "" ? { blasCore: r.blasCore } : {};
    return {
      id,
      ok: true,
      medianUs: Number(r.medianUs),
      p10Us: Number(r.p10Us),
      runs: Number(r.runs),
      attempts: Number(r.attempts),
      stolenFraction: Number(r.stolenFraction),
      slowdown: Number(r.slowdown ?? 0),
      noisy: r.noisy === true,
      relErr: Number(r.relErr),
      ...blasCore,
    };
  };
  while (pending.length > 0 && binary !== undefined) {
    const run = await runBinary(binary, args, pending, options.timeoutMs ?? 120_000, env, (idx, r) => {
      record(toMeasurement(idx, r));
    });
    const done = new Set(run.results.keys());
    if (run.inFlight !== undefined) {
      record({ id: table[run.inFlight]!.spec.id, ok: false, reason: `kernel ${run.exit}` });
      done.add(run.inFlight);
    } else if (pending.every((n) => !done.has(n))) {
      for (const n of pending) record({ id: table[n]!.spec.id, ok: false, reason: `runner ${run.exit} before any kernel started` });
      break;
    }
    pending = pending.filter((n) => !done.has(n));
  }
  return specs.map((s) => out.get(s.id) ?? { id: s.id, ok: false, reason: "not measured" });
}
