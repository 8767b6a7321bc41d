import { z } from "zod";
import { mappingJsonSchema, type Mapping } from "./mapping.js";
import { parseJsonDocument } from "./json-document.js";

/**
 * `kpu.dse`: the result of a design-space exploration (`kpu dse`), what `kpu report` draws. One point per hardware
 * configuration of the space: its parameter values, whether the model fits it (and why not), the network's latency,
 * energy and area with the mapping chosen for every fabric layer, and whether it is on the Pareto front over
 * (latency, energy, area), all three minimised.
 */
export const DSE_SCHEMA_VERSION = 1;

/** The Pareto axes, all minimised. */
export const DSE_AXES = ["latencyNs", "energyPj", "areaMm2"] as const;
export type DseAxis = (typeof DSE_AXES)[number];

export interface DseLayer {
  readonly id: string;
  readonly op: string;
  readonly gemm: { readonly m: number; readonly n: number; readonly k: number; readonly batch: number };
  readonly mapping: Mapping;
  readonly cycles: number;
  readonly energyPj: number;
  readonly dramBytes: number;
}

export interface DsePoint {
  /** Content hash of model, hardware and tool version: the key resume and the queue use. */
  readonly id: string;
  /** The space's parameter values at this point, by parameter name. */
  readonly params: Readonly<Record<string, number>>;
  readonly feasible: boolean;
  /** Why an infeasible point is infeasible (a KpuError's message and code). */
  readonly reason?: string;
  readonly latencyNs?: number;
  readonly energyPj?: number;
  readonly areaMm2?: number;
  readonly cycles?: number;
  readonly dramBytes?: number;
  /** On the Pareto front over DSE_AXES (feasible points only). */
  readonly pareto: boolean;
  /** The mapper's choice per fabric layer (vector and data-movement layers are timed by the analysis and not listed). */
  readonly layers?: readonly DseLayer[];
}

export interface DseResult {
  readonly kind: "kpu.dse";
  readonly schemaVersion: typeof DSE_SCHEMA_VERSION;
  readonly model: { readonly name: string; readonly source: string };
  /** The hardware the space's parameters are applied to. */
  readonly baseHardware: string;
  /** The mapper's objective per layer. */
  readonly objective: string;
  readonly tool: { readonly name: string; readonly version: string };
  /** Every parameter of the space with the values it takes, in the space file's order. */
  readonly parameters: readonly { readonly name: string; readonly values: readonly number[] }[];
  readonly points: readonly DsePoint[];
}

const finite = z.number();
const nonNegative = finite.nonnegative();

const dseLayerSchema = z
  .object({
    id: z.string(),
    op: z.string(),
    gemm: z.object({ m: z.number().int().positive(), n: z.number().int().positive(), k: z.number().int().positive(), batch: z.number().int().positive() }).strict(),
    mapping: mappingJsonSchema,
    cycles: nonNegative,
    energyPj: nonNegative,
    dramBytes: nonNegative,
  })
  .strict();

const dsePointSchema = z
  .object({
    id: z.string().min(1),
    params: z.record(z.string(), finite),
    feasible: z.boolean(),
    reason: z.string().optional(),
    latencyNs: nonNegative.optional(),
    energyPj: nonNegative.optional(),
    areaMm2: nonNegative.optional(),
    cycles: nonNegative.optional(),
    dramBytes: nonNegative.optional(),
    pareto: z.boolean(),
    layers: z.array(dseLayerSchema).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.feasible) {
      for (const axis of DSE_AXES) if (p[axis] === undefined) ctx.addIssue({ code: "custom", path: [axis], message: `${axis} is required on a feasible point` });
    } else {
      if (p.reason === undefined) ctx.addIssue({ code: "custom", path: ["reason"], message: "reason is required on an infeasible point" });
      if (p.pareto) ctx.addIssue({ code: "custom", path: ["pareto"], message: "an infeasible point cannot be on the Pareto front" });
    }
  });

export const dseResultSchema = z
  .object({
    kind: z.literal("kpu.dse"),
    schemaVersion: z.literal(DSE_SCHEMA_VERSION),
    model: z.object({ name: z.string(), source: z.string() }).strict(),
    baseHardware: z.string(),
    objective: z.string(),
    tool: z.object({ name: z.string(), version: z.string() }).strict(),
    parameters: z.array(z.object({ name: z.string().min(1), values: z.array(finite).min(1) }).strict()),
    points: z.array(dsePointSchema),
  })
  .strict();

/** Reads a `kpu.dse` document (JSON text); errors name the file and the field. */
export function parseDseResult(text: string, source = "<dse>"): DseResult {
  return parseJsonDocument(text, source, {
    kind: "kpu.dse",
    version: DSE_SCHEMA_VERSION,
    schema: dseResultSchema,
    versionHint: "Run the exploration again with this version of kpu.",
    formatHint: "See the kpu.dse format in the @kpu/ir README.",
  }) as DseResult;
}

/**
 * Marks the Pareto front: a feasible point is on it when no other feasible point is at most as large on every axis
 * and smaller on one. Points equal on every axis are all kept. O(n^2), which is fine for the thousands of points a
 * space has.
 */
export function paretoFront(points: readonly ({ readonly feasible: boolean } & Partial<Record<DseAxis, number>>)[]): boolean[] {
  const v = points.map((p) => (p.feasible ? DSE_AXES.map((a) => p[a] ?? Number.POSITIVE_INFINITY) : undefined));
  return v.map((a, i) => {
    if (a === undefined) return false;
    return !v.some((b, j) => j !== i && b !== undefined && b.every((x, d) => x <= a[d]!) && b.some((x, d) => x < a[d]!));
  });
}
