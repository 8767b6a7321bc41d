import type { Primitive, Schedule } from "./schedule.js";
import type { MatmulShape } from "./shapes.js";

/** The seed's ten manual variants, in its order. */
export const MANUAL_VARIANTS = [
  "baseline",
  "k16",
  "k32",
  "k64",
  "parallel",
  "vec_j",
  "parallel_k16",
  "parallel_vec_j",
  "vec_j_k16",
  "full",
] as const;
export type ManualVariant = (typeof MANUAL_VARIANTS)[number];

const splitK = (tk: number): Primitive => ({ op: "split", loop: "k", factor: tk, outer: "ko", inner: "ki" });
const splitJ8: Primitive = { op: "split", loop: "j", factor: 8, outer: "jo", inner: "ji" };

/**
 * The seed's manual schedules (its "Methodology" table). Where the seed does not say the order after a split, the
 * reduction tile goes outside the j loop (`i, ko, j, ki`), and a vectorized j lane is moved innermost.
 */
export function manualSchedule(variant: ManualVariant): Schedule {
  const par: Primitive[] = [{ op: "parallel", loop: "i" }];
  const kTile = (tk: number): Primitive[] => [splitK(tk), { op: "reorder", loops: ["i", "ko", "j", "ki"] }];
  const vecJ: Primitive[] = [splitJ8, { op: "reorder", loops: ["i", "jo", "k", "ji"] }, { op: "vectorize", loop: "ji" }];
  const vecJk16: Primitive[] = [splitJ8, splitK(16), { op: "reorder", loops: ["i", "ko", "jo", "ki", "ji"] }, { op: "vectorize", loop: "ji" }];
  const steps: Record<ManualVariant, Primitive[]> = {
    baseline: [],
    k16: kTile(16),
    k32: kTile(32),
    k64: kTile(64),
    parallel: par,
    vec_j: vecJ,
    parallel_k16: [...kTile(16), ...par],
    parallel_vec_j: [...vecJ, ...par],
    vec_j_k16: vecJk16,
    full: [...vecJk16, ...par],
  };
  return { name: variant, steps: steps[variant] };
}

/** One rule's decision, for --explain. */
export interface RuleDecision {
  readonly id: string;
  readonly decides: string;
  readonly value: string;
  readonly because: string;
}

/** The seed's R7: TM = M for M <= 32, 64 when M % 64 == 0, else 32. */
export function seedTm(m: number): number {
  if (m <= 32) return m;
  return m % 64 === 0 ? 64 : 32;
}

/**
 * The seed's rule set R1-R11 exactly (its "Schedule Construction Steps"): TK = 8, TN = 64, VEC = 8, TM by R7;
 * order fused(io, jo) -> ko -> ii -> ji_o -> ki -> j_vec; cache_write at the fused tile loop; ki unrolled;
 * auto_unroll_max_step = 64; decompose_reduction.
 */
export function seedRules(shape: MatmulShape): { schedule: Schedule; decisions: RuleDecision[] } {
  const tm = seedTm(shape.m);
  const decisions: RuleDecision[] = [
    { id: "R1", decides: "TK", value: "8", because: "TK = 8 + cache_write beat TK = 16 by 25-40% on the seed's CPU; B strip 8 x 64 x 4 B = 2 KB fits L1" },
    { id: "R2", decides: "parallel", value: "always", because: "parallel(i) alone gave 6-28x, the largest single transform" },
    { id: "R3", decides: "VEC", value: "8", because: "AVX2: 256-bit / 32-bit float = 8 lanes on the innermost j" },
    { id: "R4", decides: "loop order", value: "fused(io,jo), ko, ii, ji_o, ki, j_vec", because: "k-tiling only together with j-tiling and vectorization" },
    { id: "R5", decides: "outer fusion", value: "fuse(io, jo) then parallel", because: "enough parallel tasks for 12 threads even at M = 16" },
    { id: "R6", decides: "TN", value: "64", because: "8 x VEC: A reuse against parallel-task balance for N in {768, 3072}" },
    { id: "R7", decides: "TM", value: String(tm), because: "M if M <= 32, 64 if M % 64 == 0, else 32: clean division of M" },
    { id: "R8", decides: "unroll ki", value: "always", because: "TK = 8 is below the unroll limit; removes branches in the hot loop" },
    { id: "R9", decides: "cache_write", value: "always", because: "accumulate the TM x TN tile locally, write C back once per tile" },
    { id: "R10", decides: "decompose_reduction", value: "always", because: "the zero-init leaves the accumulation loop" },
    { id: "R11", decides: "auto_unroll_max_step", value: "64", because: "lets the compiler unroll small inner spatial loops" },
  ];
  const steps: Primitive[] = [
    { op: "split", loop: "i", factor: tm, outer: "io", inner: "ii" },
    { op: "split", loop: "j", factor: 64, outer: "jo", inner: "ji" },
    { op: "split", loop: "k", factor: 8, outer: "ko", inner: "ki" },
    { op: "split", loop: "ji", factor: 8, outer: "ji_o", inner: "j_vec" },
    { op: "reorder", loops: ["io", "jo", "ko", "ii", "ji_o", "ki", "j_vec"] },
    { op: "cache_write", at: "jo" },
    { op: "fuse", loops: ["io", "jo"], name: "fused" },
    { op: "parallel", loop: "fused" },
    { op: "vectorize", loop: "j_vec" },
    { op: "unroll", loop: "ki" },
    { op: "auto_unroll", loop: "fused", maxStep: 64 },
    { op: "decompose_reduction" },
  ];
  return { schedule: { name: "seed-rules", steps }, decisions };
}
