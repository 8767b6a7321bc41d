import { z } from "zod";
import { DTYPES } from "./dtype.js";
import { KpuError } from "./errors.js";
import { ACTIVATIONS, BINARY_KINDS, UNARY_KINDS, type Graph } from "./graph.js";
import { validateGraph } from "./validate.js";
import { issuePath, issueRule } from "./zod-issues.js";

/**
 * Version of the graph JSON format. Bump it (and add a changeset) on any incompatible change. Version 2 added the
 * conv, attention, norm, pooling and shape ops; version 1 files (matmul chains) still load.
 */
export const GRAPH_SCHEMA_VERSION = 2;
const READABLE_VERSIONS = [1, 2] as const;
const V1_KINDS: ReadonlySet<string> = new Set(["matmul", "add", "bias_add", "relu", "gelu", "fused_matmul"]);

const name = z.string().min(1);
const pair = z.tuple([z.number(), z.number()]);
const quad = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const step = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.enum(["bias_add", "add", "mul"]), tensor: name }),
  z.strictObject({ kind: z.enum(ACTIVATIONS) }),
  z.strictObject({ kind: z.literal("clip"), min: z.number(), max: z.number() }),
]);
const steps = z.array(step).default([]);
const base = { id: name, inputs: z.array(name), outputs: z.array(name) };
const op = <K extends string, S extends z.ZodRawShape>(kinds: readonly [K, ...K[]], shape: S) =>
  z.strictObject({ ...base, kind: z.enum(kinds), ...shape });
const window = { stride: pair.default([1, 1]), padding: quad.default([0, 0, 0, 0]), dilation: pair.default([1, 1]) };

const opSchema = z.discriminatedUnion("kind", [
  op(["matmul", "bias_add", "global_avg_pool", ...BINARY_KINDS, ...UNARY_KINDS], {}),
  op(["fused_matmul", "batch_matmul"], { epilogue: steps }),
  op(["conv2d"], { ...window, groups: z.int().default(1), epilogue: steps }),
  op(["clip"], { min: z.number(), max: z.number() }),
  op(["fused_elementwise"], { steps }),
  op(["softmax"], { axis: z.int().default(-1) }),
  op(["layer_norm", "rms_norm"], { axis: z.int().default(-1), epsilon: z.number().default(1e-5) }),
  op(["reduce_mean", "reduce_sum"], { axes: z.array(z.int()), keepDims: z.boolean().default(true) }),
  op(["max_pool", "avg_pool"], { kernel: pair, ...window, ceilMode: z.boolean().default(false), countIncludePad: z.boolean().default(false) }),
  op(["reshape"], { shape: z.array(z.int()) }),
  op(["transpose"], { perm: z.array(z.int()) }),
  op(["flatten"], { axis: z.int().default(1) }),
  op(["concat"], { axis: z.int() }),
  op(["slice"], { starts: z.array(z.int()), ends: z.array(z.int()), axes: z.array(z.int()), steps: z.array(z.int()) }),
  op(["pad"], { pads: z.array(z.int()), value: z.number().default(0) }),
  op(["gather"], { axis: z.int().default(0) }),
]);

export const graphJsonSchema = z.strictObject({
  schemaVersion: z.union([z.literal(1), z.literal(2)]),
  kind: z.literal("kpu.graph"),
  name,
  tensors: z.array(z.strictObject({ name, shape: z.array(z.number()), dtype: z.enum(DTYPES), weight: z.boolean().optional() })),
  inputs: z.array(name),
  outputs: z.array(name).min(1),
  ops: z.array(opSchema),
});

export type GraphJson = z.input<typeof graphJsonSchema>;

function schemaError(source: string, path: string, message: string): KpuError {
  return new KpuError("KPU_SCHEMA", message, {
    where: `${source}:${path || "(root)"}`,
    hint: 'A model file is {"schemaVersion":2,"kind":"kpu.graph","name","tensors","inputs","outputs","ops"}; @kpu/ir\'s README lists every op and its attributes.',
  });
}

/**
 * Parses and validates a graph from JSON text (schemaVersion 1 or 2). Schema errors name the field (`ops[2].kind`),
 * semantic errors the op and tensor; `source` (a file name) prefixes the location.
 */
export function parseGraphJson(text: string, source = "<graph>"): Graph {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, {
      where: source,
      hint: "Check the file for a syntax error.",
      cause,
    });
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === "number" && !(READABLE_VERSIONS as readonly number[]).includes(version)) {
    throw new KpuError("KPU_SCHEMA_VERSION", `has schemaVersion ${version}; this kpu reads versions ${READABLE_VERSIONS.join(" and ")}`, {
      where: source,
      hint: "Re-export the model with this version of kpu.",
    });
  }
  const parsed = graphJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    throw schemaError(source, path, issue.code === "custom" ? issue.message : `${path === "" ? "the document" : path} ${issueRule(issue)}`);
  }
  const { schemaVersion, kind: _k, ...graph } = parsed.data;
  if (schemaVersion === 1) {
    const i = graph.ops.findIndex((o) => !V1_KINDS.has(o.kind));
    if (i >= 0) throw schemaError(source, `ops[${i}].kind`, `op kind "${graph.ops[i]!.kind}" needs schemaVersion 2`);
  }
  const tensors = graph.tensors.map(({ weight, ...t }) => (weight === true ? { ...t, weight } : t));
  return validateGraph({ ...graph, tensors, ops: graph.ops });
}

/** The graph as a `kpu.graph` document of the current version, every attribute written out. */
export function graphToJson(graph: Graph): GraphJson {
  return {
    schemaVersion: GRAPH_SCHEMA_VERSION,
    kind: "kpu.graph",
    name: graph.name,
    tensors: graph.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype, ...(t.weight === true ? { weight: true } : {}) })),
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
    ops: graph.ops.map((o) => structuredClone(o) as GraphJson["ops"][number]),
  };
}
