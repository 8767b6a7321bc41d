import type { CCompiler } from "./compiler.js";
import type { HostModel } from "./host.js";
import type { Variant } from "./variants.js";

/** One measured variant x shape, as in `kpu cpu bench --json` (`results`). */
export interface BenchResult {
  readonly variant: Variant;
  readonly kernel?: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly threads: number;
  readonly medianUs: number;
  readonly p10Us: number;
  readonly gflops: number;
  readonly runs: number;
  readonly attempts: number;
  readonly stolenFraction: number;
  /** The runner's compute-canary slowdown around the kept window (schemaVersion 3; absent in older files). */
  readonly slowdown?: number;
  readonly noisy: boolean;
}

/** A variant x shape that could not be measured, with the reason (illegal schedule, compile error, crash, wrong result). */
export interface BenchFailure {
  readonly variant: Variant;
  readonly kernel?: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly threads: number;
  readonly reason: string;
}

/**
 * 2: `host.prefetchStreams`, `kernelCeilingGflops` and `streamGBps` added. 3: `results[].slowdown` (the compute canary)
 * added. `kpu cpu report` still reads 1 and 2.
 */
export const RESULTS_SCHEMA_VERSION = 3;

/** The results file: host, compiler, OpenBLAS status, the FMA peak when measured, and every measurement. */
export interface ResultsDoc {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly kind: "kpu.cpu.results";
  readonly host: HostModel;
  readonly compiler: Pick<CCompiler, "command" | "version" | "flags">;
  readonly threads: number;
  readonly openblas: { readonly available: boolean; readonly core?: string; readonly note: string };
  readonly peakGflops?: number;
  /** The register-kernel ceiling and stream bandwidth measured with the peak (`measurePeak`). */
  readonly kernelCeilingGflops?: number;
  readonly streamGBps?: number;
  readonly results: readonly BenchResult[];
  readonly failures: readonly BenchFailure[];
}

export function geomean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** Geometric-mean GFLOP/s per variant over the shapes it was measured on. */
export function variantSummary(doc: ResultsDoc): { variant: Variant; shapes: number; geomeanGflops: number; geomeanGflopsP10: number; geomeanUs: number }[] {
  const variants = [...new Set(doc.results.map((r) => r.variant))];
  return variants.map((variant) => {
    const rs = doc.results.filter((r) => r.variant === variant);
    return {
      variant,
      shapes: rs.length,
      geomeanGflops: geomean(rs.map((r) => r.gflops)),
      geomeanGflopsP10: geomean(rs.map((r) => (r.gflops * r.medianUs) / r.p10Us)),
      geomeanUs: geomean(rs.map((r) => r.medianUs)),
    };
  });
}

/** Geometric mean over the shapes both variants were measured on of gflops(a) / gflops(b). */
export function geomeanRatio(doc: ResultsDoc, a: Variant, b: Variant, at: "median" | "p10" = "median"): number {
  const key = (r: BenchResult): string => `${r.m}x${r.n}x${r.k}`;
  const us = (r: BenchResult): number => (at === "median" ? r.medianUs : r.p10Us);
  const bs = new Map(doc.results.filter((r) => r.variant === b).map((r) => [key(r), r]));
  const ratios = doc.results.filter((r) => r.variant === a && bs.has(key(r))).map((r) => us(bs.get(key(r))!) / us(r));
  return geomean(ratios);
}

/**
 * Roofline bound of one shape (GFLOP/s): the register-kernel ceiling, or, when a thread's share of B exceeds its L2
 * (so every call streams B from L3 / DRAM), the time to stream B at the measured bandwidth if that is longer.
 */
export function rooflineGflops(shape: { m: number; n: number; k: number }, host: HostModel, threads: number, ceilingGflops: number, streamGBps: number): number {
  const flops = 2 * shape.m * shape.n * shape.k;
  const bBytes = 4 * shape.k * shape.n;
  const streams = 4 * shape.k * Math.ceil(shape.n / threads) > host.l2.bytes;
  const seconds = Math.max(flops / (ceilingGflops * 1e9), streams ? bBytes / (streamGBps * 1e9) : 0);
  return flops / seconds / 1e9;
}

/** Geometric mean of the roofline bound over the shapes measured for `variant`, when the doc has the probe's figures. */
export function rooflineGeomean(doc: ResultsDoc, variant: Variant): number | undefined {
  if (doc.kernelCeilingGflops === undefined || doc.streamGBps === undefined) return undefined;
  const shapes = doc.results.filter((r) => r.variant === variant);
  if (shapes.length === 0) return undefined;
  return geomean(shapes.map((r) => rooflineGflops(r, doc.host, doc.threads, doc.kernelCeilingGflops!, doc.streamGBps!)));
}
