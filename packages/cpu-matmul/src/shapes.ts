import { KpuError, issuePath, issueRule } from "@kpu/ir";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/**
 * Element type of A and B: `f32`, or `bf16` (bfloat16: the upper 16 bits of a float32). C and the accumulation are
 * float32 either way.
 */
export const DTYPES = ["f32", "bf16"] as const;
export type Dtype = (typeof DTYPES)[number];

/**
 * One matmul C[M,N] = A[M,K] * B[K,N], row-major, A and B of `dtype` (absent: f32), C float32. `kernel` names the
 * workload it comes from; `shapeClass` the class it is summarised in (`bert`, `llm-prefill`, `llm-decode`, `gemv`,
 * `odd`, or a user's own name).
 */
export interface MatmulShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly kernel?: string;
  readonly shapeClass?: string;
  readonly dtype?: Dtype;
}

/** The shape's element type (f32 when absent). */
export function dtypeOf(s: { readonly dtype?: Dtype | undefined }): Dtype {
  return s.dtype ?? "f32";
}

/** Bytes of one element of A and B: 4 for f32, 2 for bf16 (C is always 4). */
export function elementBytes(s: { readonly dtype?: Dtype | undefined }): number {
  return dtypeOf(s) === "bf16" ? 2 : 4;
}

/** The shapes with A and B of `dtype` (f32 drops the field, so f32 shapes look as they did before bf16). */
export function withDtype(shapes: readonly MatmulShape[], dtype: Dtype): MatmulShape[] {
  return shapes.map((s) => {
    const { dtype: _old, ...rest } = s;
    return dtype === "f32" ? rest : { ...rest, dtype };
  });
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
  return BERT_KERNELS.flatMap((b) => BERT_M_VALUES.map((m) => ({ m, n: b.n, k: b.k, kernel: b.kernel, shapeClass: "bert" })));
}

/**
 * Linear projections of public decoder LLMs (N output features, K input features), from their Hugging Face
 * `config.json`: Meta-Llama-3-8B (hidden_size 4096, intermediate_size 14336, 32 attention heads, 8 key-value heads of
 * 128, so K and V project to 1024) and Mistral-7B-v0.1 (the same four numbers, so the same shapes); Qwen2-7B
 * (hidden_size 3584, intermediate_size 18944, 28 heads, 4 key-value heads of 128: 512). Q and O are N = K = hidden;
 * gate and up are hidden -> intermediate, down intermediate -> hidden.
 */
export const LLM_PROJECTIONS = [
  { kernel: "llama3_8b.q_o", n: 4096, k: 4096 },
  { kernel: "llama3_8b.k_v", n: 1024, k: 4096 },
  { kernel: "llama3_8b.gate_up", n: 14336, k: 4096 },
  { kernel: "llama3_8b.down", n: 4096, k: 14336 },
  { kernel: "qwen2_7b.q_o", n: 3584, k: 3584 },
  { kernel: "qwen2_7b.k_v", n: 512, k: 3584 },
  { kernel: "qwen2_7b.gate_up", n: 18944, k: 3584 },
  { kernel: "qwen2_7b.down", n: 3584, k: 18944 },
] as const;

/** Rows of A per class: prefill chunks of 128 and 512 tokens, batched decode of 16 sequences, GEMV decode of 1 and 4. */
export const LLM_M_VALUES = { "llm-prefill": [128, 512], "llm-decode": [16], gemv: [1, 4] } as const;

/** The LLM set: every projection at every M of LLM_M_VALUES (40 shapes), projection-major then M ascending. */
export function llmShapes(): MatmulShape[] {
  const ms = Object.entries(LLM_M_VALUES).flatMap(([shapeClass, list]) => list.map((m) => ({ m, shapeClass })));
  ms.sort((a, b) => a.m - b.m);
  return LLM_PROJECTIONS.flatMap((p) => ms.map(({ m, shapeClass }) => ({ m, n: p.n, k: p.k, kernel: p.kernel, shapeClass })));
}

/**
 * Odd and prime sizes (no power of two in sight, edge tiles in every axis): primes from 3 to 5003 in each axis, a few
 * odd composites (333 x 777 x 555, 1023 x 1025), one GEMV-like and one tall-skinny shape.
 */
export const ODD_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1009, 1013],
  [3, 5003, 4001],
  [17, 3079, 769],
  [61, 1021, 1031],
  [97, 2053, 509],
  [127, 769, 773],
  [131, 4099, 1021],
  [211, 1543, 2039],
  [333, 777, 555],
  [509, 509, 509],
  [1023, 1025, 127],
  [251, 257, 4093],
];

/** The odd set: ODD_SHAPES as MatmulShapes of class `odd`. */
export function oddShapes(): MatmulShape[] {
  return ODD_SHAPES.map(([m, n, k]) => ({ m, n, k, kernel: `odd_${m}x${n}x${k}`, shapeClass: "odd" }));
}

/**
 * Held-out shapes, one set per class that no rule was calibrated on: projections of Llama-2-7B (`config.json`:
 * hidden_size 4096, intermediate_size 11008) and Phi-3-mini (hidden_size 3072, intermediate_size 8192, fused qkv of
 * 3 x 3072 and gate_up of 2 x 8192) at other M than the llm set, and primes.
 */
export const HELDOUT_SHAPES: readonly MatmulShape[] = [
  { m: 256, n: 11008, k: 4096, kernel: "llama2_7b.gate_up", shapeClass: "llm-prefill" },
  { m: 192, n: 3072, k: 8192, kernel: "phi3_mini.down", shapeClass: "llm-prefill" },
  { m: 8, n: 4096, k: 11008, kernel: "llama2_7b.down", shapeClass: "llm-decode" },
  { m: 32, n: 9216, k: 3072, kernel: "phi3_mini.qkv", shapeClass: "llm-decode" },
  { m: 1, n: 11008, k: 4096, kernel: "llama2_7b.gate_up", shapeClass: "gemv" },
  { m: 2, n: 3072, k: 8192, kernel: "phi3_mini.down", shapeClass: "gemv" },
  { m: 3, n: 16384, k: 3072, kernel: "phi3_mini.gate_up", shapeClass: "gemv" },
  { m: 7, n: 2003, k: 3001, kernel: "odd_7x2003x3001", shapeClass: "odd" },
  { m: 163, n: 1999, k: 1201, kernel: "odd_163x1999x1201", shapeClass: "odd" },
  { m: 401, n: 601, k: 997, kernel: "odd_401x601x997", shapeClass: "odd" },
  { m: 89, n: 4093, k: 211, kernel: "odd_89x4093x211", shapeClass: "odd" },
];

export function heldoutShapes(): MatmulShape[] {
  return [...HELDOUT_SHAPES];
}

/** The named shape sets `--shapes` accepts. */
export const SHAPE_SETS = { bert: bertShapes, llm: llmShapes, odd: oddShapes, heldout: heldoutShapes } as const;
export type ShapeSetName = keyof typeof SHAPE_SETS;

/** A comma-separated list of set names (`bert,llm`) as shapes, or undefined when it is not one (a file path). */
export function namedShapeSets(spec: string): MatmulShape[] | undefined {
  const names = spec.split(",").map((x) => x.trim());
  if (!names.every((x): x is ShapeSetName => Object.hasOwn(SHAPE_SETS, x))) return undefined;
  return [...new Set(names)].flatMap((x) => SHAPE_SETS[x]());
}

/** `MxNxK` for f32 (as before bf16, so old tune logs still match), `MxNxK.bf16` for bf16. */
export function shapeKey(s: MatmulShape): string {
  return `${s.m}x${s.n}x${s.k}${dtypeOf(s) === "f32" ? "" : `.${dtypeOf(s)}`}`;
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
  if (s.shapeClass !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(s.shapeClass)) {
    throw new KpuError("KPU_BAD_NAME", `shape class "${s.shapeClass}" has characters other than letters, digits, _ . -`, {
      where,
      hint: "Use a short name such as llm-prefill.",
    });
  }
  if (s.kernel !== undefined && !/^[A-Za-z0-9_.-]{1,40}$/.test(s.kernel)) {
    throw new KpuError("KPU_BAD_NAME", `kernel name "${s.kernel}" has characters other than letters, digits, _ . -`, {
      where,
      hint: "Use a short name such as qkv.",
    });
  }
  if (s.dtype !== undefined && !(DTYPES as readonly string[]).includes(s.dtype)) {
    throw new KpuError("KPU_IR_BAD_DTYPE", `dtype "${s.dtype as string}" is not one of ${DTYPES.join(", ")} for a CPU matmul`, { where, hint: "Use f32 or bf16 (A and B; C is float32)." });
  }
  return s;
}

const shapeSchema = z.object({
  m: z.number(),
  n: z.number(),
  k: z.number(),
  kernel: z.string().optional(),
  shapeClass: z.string().optional(),
  dtype: z.enum(DTYPES).optional(),
});
const shapeListSchema = z.array(shapeSchema);

/**
 * Parses a shapes file: JSON or YAML, either a list of {m, n, k, kernel?, shapeClass?} or {shapes: [...]}. Every shape is validated.
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
      { m: s.m, n: s.n, k: s.k, ...(s.kernel === undefined ? {} : { kernel: s.kernel }), ...(s.shapeClass === undefined ? {} : { shapeClass: s.shapeClass }), ...(s.dtype === undefined || s.dtype === "f32" ? {} : { dtype: s.dtype }) },
      `${where}:${idx}`,
    ),
  );
}
