import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { KpuError } from "@kpu/ir";
import {
  VECTOR_ISAS,
  describeHost,
  detectHost,
  measureKernels,
  tiledSchedule,
  validateSchedule,
  type HostModel,
  type MatmulShape,
  type MeasureOptions,
  type Measurement,
  type TiledParams,
} from "@kpu/cpu-matmul";
import type { JobKind, JobRunner } from "../job-kind.js";

const cacheSchema = z.strictObject({ bytes: z.number().int().positive(), ways: z.number().int().positive(), lineBytes: z.number().int().positive() });
const hostSchema = z.strictObject({
  name: z.string(),
  isa: z.enum(VECTOR_ISAS),
  vectorBits: z.number().int().positive(),
  vectorRegisters: z.number().int().positive(),
  fmaUnits: z.number().int().positive(),
  fmaLatencyCycles: z.number().int().positive(),
  cores: z.number().int().positive(),
  prefetchStreams: z.number().int().nonnegative(),
  l1d: cacheSchema,
  l2: cacheSchema,
  l3: cacheSchema,
  bf16Dot: z.boolean().optional(),
  source: z.string(),
});
const paramsSchema = z.strictObject({
  mr: z.number().int().positive(),
  nrVectors: z.number().int().positive(),
  lanes: z.number().int().positive(),
  kc: z.number().int().positive(),
  mc: z.number().int().positive(),
  nc: z.number().int().positive(),
  order: z.enum(["ij", "ji"]),
  kUnroll: z.number().int().positive(),
  packA: z.boolean(),
  packB: z.boolean(),
  prefetchB: z.number().int().nonnegative().optional(),
});
const measureSchema = z.strictObject({
  minRuns: z.number().int().positive().optional(),
  minWindowMs: z.number().nonnegative().optional(),
  warmup: z.number().int().nonnegative().optional(),
  stealThreshold: z.number().nonnegative().optional(),
  maxAttempts: z.number().int().positive().optional(),
  timeoutMs: z.number().positive().optional(),
  maxRelErr: z.number().positive().optional(),
  maxSecondsPerKernel: z.number().positive().optional(),
});

/** The timing settings a trial carries (the numeric MeasureOptions; the compiler and cache are the worker's own). */
export type TrialMeasure = z.infer<typeof measureSchema>;

/** One tuning trial: a candidate of the tiled space for a shape, measured with `threads` threads on a host of a class. */
export interface TunePayload {
  readonly shape: MatmulShape;
  readonly host: HostModel;
  readonly threads: number;
  readonly params: TiledParams;
  readonly measure: TrialMeasure;
}

const payloadSchema = z.strictObject({
  shape: z.strictObject({
    m: z.number().int().positive(),
    n: z.number().int().positive(),
    k: z.number().int().positive(),
    kernel: z.string().optional(),
    shapeClass: z.string().optional(),
    dtype: z.enum(["f32", "bf16"]).optional(),
  }),
  host: hostSchema,
  threads: z.number().int().positive(),
  params: paramsSchema,
  measure: measureSchema,
}) as unknown as z.ZodType<TunePayload>;

/** A measurement with the machine that took it. */
export interface TuneOutcome {
  readonly measurement: Measurement;
  /** `hostname: describeHost(...)` of the measuring worker. */
  readonly measuredOn: string;
}

const measurementSchema = z.union([
  z.looseObject({ id: z.string(), ok: z.literal(true), medianUs: z.number(), p10Us: z.number(), runs: z.number(), attempts: z.number(), stolenFraction: z.number(), slowdown: z.number(), noisy: z.boolean(), relErr: z.number() }),
  z.strictObject({ id: z.string(), ok: z.literal(false), reason: z.string() }),
]);
const resultSchema = z.strictObject({ measurement: measurementSchema, measuredOn: z.string() }) as unknown as z.ZodType<TuneOutcome>;

/**
 * The host class a trial must be measured on: the ISA and a hash of what the timing depends on (CPU name, vector
 * width, cores, cache sizes). A host model read from a config file for another machine has that machine's class.
 */
export function hostClass(h: HostModel): string {
  const what = [h.name, h.isa, h.vectorBits, h.cores, h.l1d.bytes, h.l2.bytes, h.l3.bytes].join("|");
  return `${h.isa}-${createHash("sha256").update(what).digest("hex").slice(0, 8)}`;
}

/** Measures one trial here, as the local tuner does (`measureKernels` on the validated nest). */
function tuneRunner(): JobRunner<TunePayload, TuneOutcome> {
  const measuredOn = `${hostname()}: ${describeHost(detectHost())}`;
  return {
    run: async (p) => {
      const v = validateSchedule(tiledSchedule("tuned", p.params), p.shape, p.host);
      if (!v.ok) throw new KpuError("KPU_QUEUE_BAD_PAYLOAD", `the trial's parameters give an illegal schedule: ${v.reason}`, { where: "tune job" });
      const [measurement] = await measureKernels([{ id: "trial", kind: "nest", nest: v.nest }], { ...(p.measure as MeasureOptions), host: p.host, threads: p.threads });
      return { measurement: measurement!, measuredOn };
    },
    close: () => Promise.resolve(),
  };
}

/** `kpu cpu tune` trials: one candidate measured on a worker of the tuned host's class. */
export const TUNE_KIND: JobKind<TunePayload, TuneOutcome> = {
  name: "tune",
  payload: payloadSchema,
  result: resultSchema,
  describe: (p) => `${p.shape.m}x${p.shape.n}x${p.shape.k} mr${p.params.mr} kc${p.params.kc}`,
  createRunner: tuneRunner,
  hostClass: (p) => hostClass(p.host),
  localHostClass: () => hostClass(detectHost()),
};
