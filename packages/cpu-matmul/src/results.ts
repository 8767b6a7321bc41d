import { KpuError, issuePath, issueRule } from "@kpu/ir";
import { z } from "zod";
import type { CCompiler } from "./compiler.js";
import { ioLowerBoundWords } from "@kpu/scheduler";
import { VECTOR_ISAS, type HostModel } from "./host.js";
import type { LevelBandwidth } from "./peak.js";
import { PEERS, type PeerName, type PeerStatus } from "./peers.js";
import { VARIANTS, type Variant } from "./variants.js";

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
  /** The workload class of the shape (`bert`, `llm-prefill`, `llm-decode`, `gemv`, `odd`, ...; schemaVersion 4). */
  readonly shapeClass?: string;
  /** `bf16` when A and B were bfloat16 (schemaVersion 5); absent: float32. */
  readonly dtype?: "bf16";
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
  readonly dtype?: "bf16";
}

/**
 * 2: `host.prefetchStreams`, `kernelCeilingGflops` and `streamGBps` added. 3: `results[].slowdown` (the compute canary)
 * added. 4: `bandwidthGBps` (L2, L3 and DRAM read bandwidth) replaces `streamGBps`, `peers` (OpenBLAS, BLIS, oneDNN:
 * available, kernel or ISA selected) beside `openblas`, `results[].shapeClass`. 5: `results[].dtype` and
 * `failures[].dtype` (`bf16`; absent is float32), `bf16PeakGflops` and `bf16Native` (the bf16 probe). `kpu cpu report`
 * still reads 1 to 4 (1 to 3: their roofline uses the one stream bandwidth they carry).
 */
export const RESULTS_SCHEMA_VERSION = 5;

/** The results file: host, compiler, OpenBLAS status, the FMA peak when measured, and every measurement. */
export interface ResultsDoc {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly kind: "kpu.cpu.results";
  readonly host: HostModel;
  readonly compiler: Pick<CCompiler, "command" | "version" | "flags">;
  readonly threads: number;
  readonly openblas: PeerStatus;
  /** Every peer library asked for (schemaVersion 4): loaded or missing, and the kernel or ISA it selected. */
  readonly peers?: Partial<Record<PeerName, PeerStatus>>;
  readonly peakGflops?: number;
  /** The register-kernel ceiling and the bandwidth of each level measured with the peak (`measurePeak`). */
  readonly kernelCeilingGflops?: number;
  readonly bandwidthGBps?: LevelBandwidth;
  /** bf16 FMA peak (schemaVersion 5): `vdpbf16ps` when `bf16Native`, else float32 FMAs on widened bf16. */
  readonly bf16PeakGflops?: number;
  readonly bf16Native?: boolean;
  /** schemaVersion 2-3 only: one read bandwidth of a buffer 4x L2 per thread. */
  readonly streamGBps?: number;
  readonly results: readonly BenchResult[];
  readonly failures: readonly BenchFailure[];
}

const positive = z.number().positive();
const count = z.number().int().positive();
const cacheLevel = z.looseObject({ bytes: count, ways: count, lineBytes: count });
const shapeFields = { variant: z.enum(VARIANTS), kernel: z.string().optional(), m: count, n: count, k: count, threads: count, dtype: z.literal("bf16").optional() };
const peerSchema = z.looseObject({ available: z.boolean(), core: z.string().optional(), note: z.string() });
const benchResultSchema = z
  .looseObject({
    ...shapeFields,
    medianUs: positive,
    p10Us: positive,
    gflops: positive,
    runs: count,
    attempts: z.number().int().nonnegative(),
    stolenFraction: z.number().min(0).max(1),
    slowdown: z.number().nonnegative().optional(),
    noisy: z.boolean(),
    shapeClass: z.string().optional(),
  })
  .refine((r) => r.p10Us <= r.medianUs, { message: "p10Us is larger than medianUs", path: ["p10Us"] });

/** What `kpu cpu report` accepts: a results file of any schema version, every measurement a positive number. */
export const resultsDocSchema = z.looseObject({
  schemaVersion: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(RESULTS_SCHEMA_VERSION)]),
  kind: z.literal("kpu.cpu.results"),
  host: z.looseObject({
    name: z.string(),
    isa: z.enum(VECTOR_ISAS),
    vectorBits: count,
    vectorRegisters: count,
    fmaUnits: count,
    fmaLatencyCycles: count,
    cores: count,
    l1d: cacheLevel,
    l2: cacheLevel,
    l3: cacheLevel,
  }),
  compiler: z.looseObject({ command: z.string(), version: z.string(), flags: z.array(z.string()) }),
  threads: count,
  openblas: peerSchema,
  peers: z.partialRecord(z.enum(PEERS), peerSchema).optional(),
  peakGflops: positive.optional(),
  kernelCeilingGflops: positive.optional(),
  bandwidthGBps: z.looseObject({ l2: positive, l3: positive, dram: positive }).optional(),
  bf16PeakGflops: positive.optional(),
  bf16Native: z.boolean().optional(),
  streamGBps: positive.optional(),
  results: z.array(benchResultSchema),
  failures: z.array(z.looseObject({ ...shapeFields, reason: z.string() })),
});

const RESULTS_HINT = "Pass a file written by `kpu cpu bench` (or fix the value named).";

/**
 * Parses and validates a results file (`kpu cpu bench --out`): JSON, `kind: kpu.cpu.results`, every measurement a
 * positive finite number, at least one result. Errors name the field (`results[3].medianUs must be a number`).
 */
export function parseResultsText(text: string, where: string): ResultsDoc {
  if (text.trim() === "") throw new KpuError("KPU_SCHEMA", "the file is empty", { where, hint: RESULTS_HINT });
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `not JSON (${(cause as Error).message})`, { where, hint: RESULTS_HINT, cause });
  }
  if ((raw as { kind?: unknown } | null)?.kind !== "kpu.cpu.results") {
    throw new KpuError("KPU_SCHEMA", "not a kpu.cpu.results file (kind is missing or different)", { where, hint: RESULTS_HINT });
  }
  const parsed = resultsDocSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    const rule = issue.code === "custom" ? `is invalid (${issue.message})` : issueRule(issue);
    throw new KpuError("KPU_SCHEMA", `${path === "" ? "the document" : path} ${rule}`, { where: `${where}:${path || "(root)"}`, hint: RESULTS_HINT });
  }
  const doc = parsed.data as unknown as ResultsDoc;
  if (doc.results.length === 0) {
    throw new KpuError("KPU_SCHEMA", `the file has no results${doc.failures.length > 0 ? ` (${doc.failures.length} failures only)` : ""}`, {
      where: `${where}:results`,
      hint: "Run `kpu cpu bench` again; every variant x shape failed or none was measured.",
    });
  }
  return doc;
}

export function geomean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

/** Geometric-mean GFLOP/s per variant over the shapes it was measured on. */
export function variantSummary(doc: ResultsDoc): { variant: Variant; dtype: "f32" | "bf16"; shapes: number; geomeanGflops: number; geomeanGflopsP10: number; geomeanUs: number }[] {
  const keys = [...new Set(doc.results.map((r) => `${r.variant}/${r.dtype ?? "f32"}`))];
  return keys.map((key) => {
    const [variant, dtype] = key.split("/") as [Variant, "f32" | "bf16"];
    const rs = doc.results.filter((r) => r.variant === variant && (r.dtype ?? "f32") === dtype);
    return {
      variant,
      dtype,
      shapes: rs.length,
      geomeanGflops: geomean(rs.map((r) => r.gflops)),
      geomeanGflopsP10: geomean(rs.map((r) => (r.gflops * r.medianUs) / r.p10Us)),
      geomeanUs: geomean(rs.map((r) => r.medianUs)),
    };
  });
}

/** Geometric mean over the shapes both variants were measured on of gflops(a) / gflops(b). */
export function geomeanRatio(doc: ResultsDoc, a: Variant, b: Variant, at: "median" | "p10" = "median"): number {
  const key = (r: BenchResult): string => `${r.m}x${r.n}x${r.k}${r.dtype === undefined ? "" : `.${r.dtype}`}`;
  const us = (r: BenchResult): number => (at === "median" ? r.medianUs : r.p10Us);
  const bs = new Map(doc.results.filter((r) => r.variant === b).map((r) => [key(r), r]));
  const ratios = doc.results.filter((r) => r.variant === a && bs.has(key(r))).map((r) => us(bs.get(key(r))!) / us(r));
  return geomean(ratios);
}

/** Where a shape's operands come from on every call of a repeated kernel (the level below the one that holds them). */
export type StreamLevel = "l2" | "l3" | "dram";

/**
 * The level a shape's operands stream from: L2 while a thread's share of B fits its L2 (H4; A's rows and the C block
 * are smaller there), L3 while A, B and C together fit half the L3 (the bench calls the kernel repeatedly, so they stay
 * there between calls), else DRAM.
 */
export function streamLevel(shape: { m: number; n: number; k: number }, host: HostModel, threads: number, elementBytes = 4): StreamLevel {
  if (elementBytes * shape.k * Math.ceil(shape.n / threads) <= host.l2.bytes) return "l2";
  const bytes = elementBytes * (shape.m * shape.k + shape.k * shape.n) + 4 * shape.m * shape.n;
  return bytes <= host.l3.bytes / 2 ? "l3" : "dram";
}

/** One shape's roofline: the bound, what binds it, the level its operands stream from and the bytes moved from there. */
export interface Roofline {
  readonly gflops: number;
  readonly bound: "compute" | "bandwidth";
  readonly level: StreamLevel;
  readonly bytes: number;
}

/**
 * Roofline bound of one shape: the register-kernel ceiling, or the time to move the operands from the level they stream
 * from (`streamLevel`) at its measured bandwidth if that is longer. The bytes are the matmul I/O lower bound
 * (`ioLowerBoundWords`, Hong-Kung: at least A and B read and C written once, more when the levels above hold fewer
 * than MNK / sqrt(S) words) for the capacity S above that level: the L1s of all threads (from L2), their L2s (from L3),
 * the L3 (from DRAM). `elementBytes` is 4 for fp32 operands and 2 for bf16 (C stays fp32).
 */
export function rooflineOf(shape: { m: number; n: number; k: number }, host: HostModel, threads: number, ceilingGflops: number, bw: LevelBandwidth, elementBytes = 4): Roofline {
  const flops = 2 * shape.m * shape.n * shape.k;
  const level = streamLevel(shape, host, threads, elementBytes);
  const above = level === "l2" ? threads * host.l1d.bytes : level === "l3" ? threads * host.l2.bytes : host.l3.bytes;
  const words = ioLowerBoundWords(shape.m, shape.n, shape.k, Math.floor(above / elementBytes));
  const bytes = words * elementBytes + shape.m * shape.n * (4 - elementBytes);
  const compute = flops / (ceilingGflops * 1e9);
  const move = bytes / (bw[level] * 1e9);
  return { gflops: flops / Math.max(compute, move) / 1e9, bound: move > compute ? "bandwidth" : "compute", level, bytes };
}

/**
 * Roofline bound of one shape (GFLOP/s) as schemaVersion 2-3 files define it: the register-kernel ceiling, or, when a
 * thread's share of B exceeds its L2, the time to stream B at the one measured bandwidth if that is longer.
 */
export function rooflineGflops(shape: { m: number; n: number; k: number }, host: HostModel, threads: number, ceilingGflops: number, streamGBps: number): number {
  const flops = 2 * shape.m * shape.n * shape.k;
  const bBytes = 4 * shape.k * shape.n;
  const streams = 4 * shape.k * Math.ceil(shape.n / threads) > host.l2.bytes;
  const seconds = Math.max(flops / (ceilingGflops * 1e9), streams ? bBytes / (streamGBps * 1e9) : 0);
  return flops / seconds / 1e9;
}

/**
 * The roofline bound of one measured shape in a results file (undefined without the probe's figures). A bf16 shape
 * moves 2-byte A and B; its ceiling is twice the float32 one when the host has the bf16 dot product (two multiply-adds
 * per lane per instruction), else the same float32 FMAs.
 */
export function docRoofline(doc: ResultsDoc, shape: { m: number; n: number; k: number; dtype?: "bf16" | "f32" }): number | undefined {
  if (doc.kernelCeilingGflops === undefined) return undefined;
  const bf16 = shape.dtype === "bf16";
  const ceiling = doc.kernelCeilingGflops * (bf16 && doc.bf16Native === true ? 2 : 1);
  if (doc.bandwidthGBps !== undefined) return rooflineOf(shape, doc.host, doc.threads, ceiling, doc.bandwidthGBps, bf16 ? 2 : 4).gflops;
  if (doc.streamGBps !== undefined) return rooflineGflops(shape, doc.host, doc.threads, doc.kernelCeilingGflops, doc.streamGBps);
  return undefined;
}

/** Geometric mean of the roofline bound over the shapes measured for `variant`, when the doc has the probe's figures. */
export function rooflineGeomean(doc: ResultsDoc, variant: Variant): number | undefined {
  const shapes = doc.results.filter((r) => r.variant === variant);
  const bounds = shapes.map((r) => docRoofline(doc, r));
  if (shapes.length === 0 || bounds.some((b) => b === undefined)) return undefined;
  return geomean(bounds as number[]);
}
