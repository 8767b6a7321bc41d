import { KpuError, issuePath, issueRule } from "@kpu/ir";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** One matmul C[M,N] = A[M,K] * B[K,N], float32, row-major. `kernel` names the workload it comes from. */
export interface MatmulShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly kernel?: string;
}

/** Largest accepted extent per axis and largest M*N*K (MACs): bigger problems are rejected as user errors. */
export const MAX_EXTENT = 1 << 16;
export const MAX_MACS = 2 ** 36;

/** The seed's BERT-base workloads: QKV M x 768 x 768, MLP-expand M x 768 -> 3072, MLP-reduce M x 3072 -> 768. */
export const BERT_KERNELS = [
  { kernel: "qkv", k: 768, n: 768 },
  { kernel: "mlp_expand", k: 768, n: 3072 },
  { kernel: "mlp_reduce", k: 3072, n: 768 },
] as const;
export const BERT_M_VALUES = [16, 32, 64, 96, 128, 192, 256, 384] as const;

/** The 24 BERT shapes, kernel-major then M ascending (the seed's order). */
export function bertShapes(): MatmulShape[] {
  return BERT_KERNELS.flatMap((b) => BERT_M_VALUES.map((m) => ({ m, n: b.n, k: b.k, kernel: b.kernel })));
}

export function shapeKey(s: MatmulShape): string {
  return `${s.m}x${s.n}x${s.k}`;
}

/** Multiply-adds are 2 flops each. */
export function shapeFlops(s: MatmulShape): number {
  return 2 * s.m * s.n * s.k;
}

/** Throws KPU_BAD_DIM unless every extent is an integer in [1, MAX_EXTENT] and M*N*K <= MAX_MACS. */
export function validateShape(s: MatmulShape, where = "shape"): MatmulShape {
  for (const axis of ["m", "n", "k"] as const) {
    const v = s[axis];
    if (!Number.isSafeInteger(v) || v <= 0 || v > MAX_EXTENT) {
      throw new KpuError("KPU_BAD_DIM", `${axis} = ${String(v)} is not an integer in 1..${MAX_EXTENT}`, {
        where,
        hint: `Give positive sizes such as --m 128 --n 768 --k 768.`,
      });
    }
  }
  if (s.m * s.n * s.k > MAX_MACS) {
    throw new KpuError("KPU_BAD_DIM", `${shapeKey(s)} has ${s.m * s.n * s.k} multiply-adds, more than ${MAX_MACS}`, {
      where,
      hint: "Benchmark a smaller problem; the runner allocates A, B and C in memory.",
    });
  }
  if (s.kernel !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(s.kernel)) {
    throw new KpuError("KPU_BAD_NAME", `kernel name "${s.kernel}" has characters other than letters, digits, _ . -`, {
      where,
      hint: "Use a short name such as qkv.",
    });
  }
  return s;
}

const shapeSchema = z.object({
  m: z.number(),
  n: z.number(),
  k: z.number(),
  kernel: z.string().optional(),
});
const shapeListSchema = z.array(shapeSchema);

/**
 * Parses a shapes file: JSON or YAML, either a list of {m, n, k, kernel?} or {shapes: [...]}. Every shape is validated.
 */
export function parseShapesText(text: string, where: string): MatmulShape[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) as unknown; // YAML is a superset of JSON
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `not JSON or YAML (${(cause as Error).message})`, {
      where,
      hint: 'Write a list such as [{"m": 128, "n": 768, "k": 768}].',
      cause,
    });
  }
  // Either a list, or {shapes: [...]}: pick the form first, so an error names the field ("[0].k is missing").
  const wrapped = typeof raw === "object" && raw !== null && !Array.isArray(raw);
  const extraKeys = wrapped ? Object.keys(raw as object).filter((key) => key !== "shapes") : [];
  if (extraKeys.length > 0 || (!wrapped && !Array.isArray(raw))) {
    throw new KpuError("KPU_SCHEMA", extraKeys.length > 0 ? `has an unknown field (${extraKeys.join(", ")})` : "is not a list of shapes", {
      where,
      hint: 'Write a list such as [{"m": 128, "n": 768, "k": 768}], or {"shapes": [...]}.',
    });
  }
  const parsed = shapeListSchema.safeParse(wrapped ? (raw as { shapes?: unknown }).shapes : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = `${wrapped ? "shapes" : ""}${issuePath(issue.path)}`;
    throw new KpuError("KPU_SCHEMA", `${path === "" ? (wrapped ? "shapes" : "the document") : path} ${issueRule(issue)}`, {
      where: `${where}:${path || "(root)"}`,
      hint: 'Write a list such as [{"m": 128, "n": 768, "k": 768, "kernel": "qkv"}].',
    });
  }
  const list = parsed.data;
  if (list.length === 0) {
    throw new KpuError("KPU_SCHEMA", "the file lists no shapes", { where, hint: "Add at least one shape." });
  }
  return list.map((s, idx) =>
    validateShape(
      { m: s.m, n: s.n, k: s.k, ...(s.kernel === undefined ? {} : { kernel: s.kernel }) },
      `${where}:${idx}`,
    ),
  );
}
