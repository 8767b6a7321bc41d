import type { Primitive, Schedule } from "./schedule.js";

/**
 * The tiled schedule space shared by the rule engine and the autotuner: BLIS-style cache blocking (MC, NC, KC) around
 * an MR x NR register tile (NR = nrVectors * lanes), the parallel loop fused over the (MC, NC) blocks.
 *
 *   t = fuse(ic, jc) [parallel]          MC x NC blocks, one task each
 *     kc                                 KC slice of the reduction (pack A / B here)
 *       jr, ir  (or ir, jr)              MR x NR tiles;  cache_write: accumulator in registers
 *         kk  (split by kUnroll: kk, ku [unroll])
 *           ii [unroll] jv [unroll] jl [vectorize]
 */
export interface TiledParams {
  readonly mr: number;
  readonly nrVectors: number;
  readonly lanes: number;
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
  readonly order: "ij" | "ji";
  readonly kUnroll: number;
  readonly packA: boolean;
  readonly packB: boolean;
  /** Software prefetch distance of B in k rows (0 or absent: none). */
  readonly prefetchB?: number;
}

export function tiledNr(p: TiledParams): number {
  return p.nrVectors * p.lanes;
}

/** Builds the schedule trace for the parameters (legality is checked by validateSchedule). */
export function tiledSchedule(name: string, p: TiledParams): Schedule {
  const nr = tiledNr(p);
  const inner = p.order === "ij" ? "jr" : "ir";
  const tileLoops = p.order === "ij" ? ["ir", "jr"] : ["jr", "ir"];
  const kLoops = p.kUnroll > 1 ? ["kk", "ku"] : ["kk"];
  const steps: Primitive[] = [
    { op: "split", loop: "i", factor: p.mc, outer: "ic", inner: "i_a" },
    { op: "split", loop: "i_a", factor: p.mr, outer: "ir", inner: "ii" },
    { op: "split", loop: "j", factor: p.nc, outer: "jc", inner: "j_a" },
    { op: "split", loop: "j_a", factor: nr, outer: "jr", inner: "j_b" },
    { op: "split", loop: "j_b", factor: p.lanes, outer: "jv", inner: "jl" },
    { op: "split", loop: "k", factor: p.kc, outer: "kc", inner: "kk" },
    ...(p.kUnroll > 1 ? [{ op: "split", loop: "kk", factor: p.kUnroll, outer: "kk_o", inner: "ku" } as const] : []),
  ];
  const kk = p.kUnroll > 1 ? ["kk_o", "ku"] : kLoops;
  steps.push(
    { op: "reorder", loops: ["ic", "jc", "kc", ...tileLoops, ...kk, "ii", "jv", "jl"] },
    { op: "fuse", loops: ["ic", "jc"], name: "t" },
    { op: "parallel", loop: "t" },
    { op: "cache_write", at: inner },
    { op: "unroll", loop: "ii" },
    { op: "unroll", loop: "jv" },
    { op: "vectorize", loop: "jl" },
    ...(p.kUnroll > 1 ? [{ op: "unroll", loop: "ku" } as const] : []),
    { op: "decompose_reduction" },
  );
  if (p.packA) steps.push({ op: "pack", operand: "A", at: "kc", width: p.mr });
  if (p.packB) steps.push({ op: "pack", operand: "B", at: "kc", width: nr });
  if ((p.prefetchB ?? 0) > 0) steps.push({ op: "prefetch", operand: "B", distance: p.prefetchB ?? 0 });
  return { name, steps };
}

/** A stable key for de-duplication. */
export function tiledKey(p: TiledParams): string {
  return `mr${p.mr}.nv${p.nrVectors}.l${p.lanes}.kc${p.kc}.mc${p.mc}.nc${p.nc}.${p.order}.u${p.kUnroll}.${p.packA ? "pa" : ""}${p.packB ? "pb" : ""}${(p.prefetchB ?? 0) > 0 ? `pf${p.prefetchB}` : ""}`;
}
