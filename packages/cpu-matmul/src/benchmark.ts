import { existsSync, readFileSync } from "node:fs";
import { findCompiler, type CCompiler } from "./compiler.js";
import type { HostModel } from "./host.js";
import { measureKernels, type KernelSpec, type MeasureOptions } from "./measure.js";
import { RESULTS_SCHEMA_VERSION, type BenchFailure, type BenchResult, type ResultsDoc } from "./results.js";
import { validateSchedule } from "./schedule.js";
import { shapeFlops, shapeKey, type MatmulShape } from "./shapes.js";
import type { TiledParams } from "./template.js";
import { trialScore, tunerAnswer, type TrialRecord } from "./tuner.js";
import { variantSchedule, type Variant } from "./variants.js";

export interface BenchOptions {
  readonly host: HostModel;
  readonly threads: number;
  readonly compiler?: CCompiler;
  /** Best parameters per shape key (`MxNxK`) for the `tuned` variant. */
  readonly tuned?: ReadonlyMap<string, TiledParams>;
  readonly peakGflops?: number;
  readonly measure?: Omit<MeasureOptions, "host" | "threads" | "compiler">;
}

/**
 * The tuner's answer per shape in a tune log (JSON Lines), by its objective (GFLOP/s at p10): the best of the last
 * re-measurement round ("verify" trials) when there is one, else the best search trial.
 */
export function bestFromTuneLog(path: string): Map<string, TiledParams> {
  if (!existsSync(path)) return new Map();
  const byShape = new Map<string, TrialRecord[]>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const t = JSON.parse(line) as TrialRecord;
    byShape.set(t.shape, [...(byShape.get(t.shape) ?? []), t]);
  }
  const out = new Map<string, TiledParams>();
  for (const [shape, trials] of byShape) {
    const [m, n, k] = shape.split("x").map(Number);
    const best = tunerAnswer(trials, (t) => trialScore({ m: m ?? 0, n: n ?? 0, k: k ?? 0 }, t));
    if (best !== undefined) out.set(shape, best.params);
  }
  return out;
}

/**
 * Measures variants x shapes in one runner (one compile of every kernel, then the runs); failures are records.
 */
export async function runBench(shapes: readonly MatmulShape[], variants: readonly Variant[], options: BenchOptions): Promise<ResultsDoc> {
  const cc = options.compiler ?? findCompiler();
  const specs: KernelSpec[] = [];
  const meta = new Map<string, { variant: Variant; shape: MatmulShape }>();
  const failures: BenchFailure[] = [];
  const fail = (variant: Variant, shape: MatmulShape, reason: string): void => {
    failures.push({ variant, ...(shape.kernel === undefined ? {} : { kernel: shape.kernel }), m: shape.m, n: shape.n, k: shape.k, threads: options.threads, reason });
  };
  for (const shape of shapes) {
    for (const variant of variants) {
      const id = `${variant}/${shapeKey(shape)}`;
      if (meta.has(id)) continue;
      meta.set(id, { variant, shape });
      if (variant === "openblas") {
        specs.push({ id, kind: "openblas", shape });
        continue;
      }
      const tuned = options.tuned?.get(shapeKey(shape));
      const schedule = variantSchedule(variant, shape, options.host, options.threads, tuned);
      if (schedule === undefined) {
        fail(variant, shape, "no tuning record for this shape; run `kpu cpu tune` first (or pass --tune-log)");
        continue;
      }
      const v = validateSchedule(schedule, shape, options.host);
      if (!v.ok) {
        fail(variant, shape, `illegal schedule: ${v.reason}`);
        continue;
      }
      specs.push({ id, kind: "nest", nest: v.nest });
    }
  }
  const measured = await measureKernels(specs, { ...(options.measure ?? {}), host: options.host, threads: options.threads, compiler: cc });
  const results: BenchResult[] = [];
  let blasCore: string | undefined;
  let blasMissing = false;
  for (const m of measured) {
    const { variant, shape } = meta.get(m.id)!;
    if (!m.ok) {
      if (variant === "openblas" && m.reason.startsWith("OpenBLAS not found")) blasMissing = true;
      fail(variant, shape, m.reason);
      continue;
    }
    if (m.blasCore !== undefined) blasCore = m.blasCore;
    results.push({
      variant,
      ...(shape.kernel === undefined ? {} : { kernel: shape.kernel }),
      m: shape.m,
      n: shape.n,
      k: shape.k,
      threads: options.threads,
      medianUs: m.medianUs,
      p10Us: m.p10Us,
      gflops: shapeFlops(shape) / m.medianUs / 1e3,
      runs: m.runs,
      attempts: m.attempts,
      stolenFraction: m.stolenFraction,
      slowdown: m.slowdown,
      noisy: m.noisy,
    });
  }
  const askedBlas = variants.includes("openblas");
  const openblas = !askedBlas
    ? { available: false, note: "not requested" }
    : blasMissing
      ? { available: false, note: "OpenBLAS is not installed (libopenblas.so.0 not found): no vendor BLAS numbers. Debian: apt-get install libopenblas-dev" }
      : {
          available: true,
          ...(blasCore === undefined ? {} : { core: blasCore }),
          note: `cblas_sgemm via dlopen(libopenblas.so.0)${options.host.isa === "avx512" ? " with OPENBLAS_CORETYPE=SkylakeX (AVX-512 kernels)" : ""}`,
        };
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: "kpu.cpu.results",
    host: options.host,
    compiler: { command: cc.command, version: cc.version, flags: cc.flags },
    threads: options.threads,
    openblas,
    ...(options.peakGflops === undefined ? {} : { peakGflops: options.peakGflops }),
    results,
    failures,
  };
}
