import { z } from "zod";
import { DTYPES } from "./dtype.js";
import { KpuError } from "./errors.js";
import { ACTIVATIONS, type Graph } from "./graph.js";
import { validateGraph } from "./validate.js";
import { issuePath, issueRule } from "./zod-issues.js";

/** Version of the graph JSON format. Bump it (and add a changeset) on any incompatible change. */
export const GRAPH_SCHEMA_VERSION = 1;

const name = z.string().min(1);
const epilogueStep = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("bias_add"), tensor: name }).strict(),
  z.object({ kind: z.literal("add"), tensor: name }).strict(),
  z.object({ kind: z.enum(ACTIVATIONS) }).strict(),
]);
const base = { id: name, inputs: z.array(name), outputs: z.array(name) };

export const graphJsonSchema = z
  .object({
    schemaVersion: z.literal(GRAPH_SCHEMA_VERSION),
    kind: z.literal("kpu.graph"),
    name,
    tensors: z.array(z.object({ name, shape: z.array(z.number()), dtype: z.enum(DTYPES) }).strict()),
    inputs: z.array(name),
    outputs: z.array(name).min(1),
    ops: z.array(
      z.discriminatedUnion("kind", [
        z.object({ ...base, kind: z.enum(["matmul", "add", "bias_add", "relu", "gelu"]) }).strict(),
        z.object({ ...base, kind: z.literal("fused_matmul"), epilogue: z.array(epilogueStep) }).strict(),
      ]),
    ),
  })
  .strict();

export type GraphJson = z.infer<typeof graphJsonSchema>;

/**
 * Parses and validates a graph from JSON text. Schema errors name the field (`ops[2].kind`), semantic errors the op
 * and tensor; `source` (a file name) prefixes the location.
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
  if (typeof version === "number" && version !== GRAPH_SCHEMA_VERSION) {
    throw new KpuError("KPU_SCHEMA_VERSION", `has schemaVersion ${version}; this kpu reads version 1`, {
      where: source,
      hint: "Re-export the model with this version of kpu.",
    });
  }
  const parsed = graphJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    throw new KpuError("KPU_SCHEMA", issue.code === "custom" ? issue.message : `${path === "" ? "the document" : path} ${issueRule(issue)}`, {
      where: `${source}:${path || "(root)"}`,
      hint: 'A model file is {"schemaVersion":1,"kind":"kpu.graph","name","tensors","inputs","outputs","ops"}.',
    });
  }
  const { schemaVersion: _v, kind: _k, ...graph } = parsed.data;
  return validateGraph(graph);
}

export function graphToJson(graph: Graph): GraphJson {
  return {
    schemaVersion: GRAPH_SCHEMA_VERSION,
    kind: "kpu.graph",
    name: graph.name,
    tensors: graph.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype })),
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
    ops: graph.ops.map((op) =>
      op.kind === "fused_matmul"
        ? { id: op.id, kind: op.kind, inputs: [...op.inputs], outputs: [...op.outputs], epilogue: [...op.epilogue] }
        : { id: op.id, kind: op.kind, inputs: [...op.inputs], outputs: [...op.outputs] },
    ),
  };
}
