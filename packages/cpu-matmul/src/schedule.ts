import { supportedLanes, type HostModel } from "./host.js";
import type { MatmulShape } from "./shapes.js";

/**
 * The schedule IR: a trace of primitives applied, in order, to the loop nest
 * `for i < M, for j < N, for k < K: C[i,j] += A[i,k] * B[k,j]` (C starts at zero), as in TVM's TIR schedules.
 */
export type Primitive =
  | { readonly op: "split"; readonly loop: string; readonly factor: number; readonly outer: string; readonly inner: string }
  | { readonly op: "reorder"; readonly loops: readonly string[] }
  | { readonly op: "fuse"; readonly loops: readonly [string, string]; readonly name: string }
  | { readonly op: "parallel"; readonly loop: string }
  | { readonly op: "vectorize"; readonly loop: string }
  | { readonly op: "unroll"; readonly loop: string }
  | { readonly op: "cache_write"; readonly at: string }
  | { readonly op: "decompose_reduction" }
  | { readonly op: "pack"; readonly operand: "A" | "B"; readonly at: string; readonly width: number }
  | { readonly op: "auto_unroll"; readonly loop: string; readonly maxStep: number }
  | { readonly op: "prefetch"; readonly operand: "B"; readonly distance: number };

export interface Schedule {
  /** Variant or rule-set name, e.g. "host-rules". */
  readonly name: string;
  readonly steps: readonly Primitive[];
}

export type Axis = "i" | "j" | "k";
export const ROOT = "root";

/** One level of one axis: iterates [lo, min(lo + span, parentHi)) with stride `step`. */
export interface AxisLevel {
  readonly name: string;
  readonly axis: Axis;
  readonly step: number;
  readonly span: number;
}

/** A loop of the nest: one level, or two fused levels of different spatial axes. */
export interface Loop {
  readonly name: string;
  readonly parts: readonly AxisLevel[];
  readonly annotation: "none" | "parallel" | "vectorize" | "unroll";
}

/** The loop nest a schedule produces, outer to inner, plus its buffer decisions. */
export interface LoopNest {
  readonly shape: MatmulShape;
  readonly loops: readonly Loop[];
  /** Loop whose body holds the local C accumulator (or "root"), when cache_write was applied. */
  readonly cacheWriteAt: string | undefined;
  readonly decompose: boolean;
  readonly packs: readonly { readonly operand: "A" | "B"; readonly at: string; readonly width: number }[];
  readonly autoUnroll: { readonly loop: string; readonly maxStep: number } | undefined;
  /**
   * Software prefetch of B this many k rows ahead wherever B is read from its source array (the pack copy, or the
   * register kernel reading B in place); 0: none. Hardware prefetchers stop at 4 KiB pages, and rows of B N * 4 bytes
   * apart cross one every 4096 / (N * 4) rows.
   */
  readonly prefetchB: number;
}

export type Validation = { readonly ok: true; readonly nest: LoopNest } | { readonly ok: false; readonly reason: string };

/** Farthest software prefetch of B, in k rows. */
export const MAX_PREFETCH_DISTANCE = 64;

const NAME_RE = /^[a-z][a-z0-9_]{0,23}$/;

export function nominalExtent(level: AxisLevel): number {
  return Math.ceil(level.span / level.step);
}

export function loopExtent(loop: Loop): number {
  return loop.parts.reduce((p, l) => p * nominalExtent(l), 1);
}

class Illegal extends Error {}

function fail(reason: string): never {
  throw new Illegal(reason);
}

/** Applies the trace; throws Illegal with a reason for a step that cannot apply. */
function applySteps(shape: MatmulShape, steps: readonly Primitive[]): LoopNest {
  let loops: Loop[] = [
    { name: "i", parts: [{ name: "i", axis: "i", step: 1, span: shape.m }], annotation: "none" },
    { name: "j", parts: [{ name: "j", axis: "j", step: 1, span: shape.n }], annotation: "none" },
    { name: "k", parts: [{ name: "k", axis: "k", step: 1, span: shape.k }], annotation: "none" },
  ];
  const names = new Set(["i", "j", "k", ROOT]);
  let cacheWriteAt: string | undefined;
  let decompose = false;
  const packs: { operand: "A" | "B"; at: string; width: number }[] = [];
  let autoUnroll: { loop: string; maxStep: number } | undefined;
  let prefetchB = 0;
  const find = (name: string, step: number): number => {
    const idx = loops.findIndex((l) => l.name === name);
    if (idx < 0) fail(`step ${step}: no loop named "${name}"`);
    return idx;
  };
  const fresh = (name: string, step: number): void => {
    if (!NAME_RE.test(name)) fail(`step ${step}: loop name "${name}" must match ${NAME_RE.source}`);
    if (names.has(name)) fail(`step ${step}: loop name "${name}" is already used`);
    names.add(name);
  };
  const annotate = (name: string, annotation: Loop["annotation"], step: number): void => {
    const idx = find(name, step);
    const loop = loops[idx]!;
    if (loop.annotation !== "none") fail(`step ${step}: loop "${name}" is already marked ${loop.annotation}`);
    loops[idx] = { ...loop, annotation };
  };
  steps.forEach((p, step) => {
    switch (p.op) {
      case "split": {
        const idx = find(p.loop, step);
        const loop = loops[idx]!;
        const level = loop.parts[0]!;
        if (loop.parts.length !== 1) fail(`step ${step}: cannot split the fused loop "${p.loop}"`);
        if (loop.annotation !== "none") fail(`step ${step}: split "${p.loop}" before annotating it`);
        if (!Number.isSafeInteger(p.factor) || p.factor < 1) fail(`step ${step}: split factor ${p.factor} is not a positive integer`);
        fresh(p.outer, step);
        fresh(p.inner, step);
        const outer: Loop = { name: p.outer, parts: [{ ...level, name: p.outer, step: level.step * p.factor }], annotation: "none" };
        const inner: Loop = { name: p.inner, parts: [{ ...level, name: p.inner, span: level.step * p.factor }], annotation: "none" };
        loops.splice(idx, 1, outer, inner);
        break;
      }
      case "reorder": {
        const idxs = p.loops.map((n) => find(n, step));
        if (new Set(idxs).size !== idxs.length) fail(`step ${step}: reorder lists a loop twice`);
        const slots = [...idxs].sort((a, b) => a - b);
        const next = [...loops];
        slots.forEach((slot, n) => {
          next[slot] = loops[idxs[n]!]!;
        });
        loops = next;
        break;
      }
      case "fuse": {
        const [a, b] = p.loops;
        const ia = find(a, step);
        const ib = find(b, step);
        if (ib !== ia + 1) fail(`step ${step}: fuse needs adjacent loops, "${a}" then "${b}"`);
        const la = loops[ia]!;
        const lb = loops[ib]!;
        if (la.parts.length !== 1 || lb.parts.length !== 1) fail(`step ${step}: fuse takes two unfused loops`);
        const pa = la.parts[0]!;
        const pb = lb.parts[0]!;
        if (pa.axis === "k" || pb.axis === "k") fail(`step ${step}: fuse only spatial loops (i, j), not the reduction k`);
        if (pa.axis === pb.axis) fail(`step ${step}: fuse loops of different axes, not two levels of ${pa.axis}`);
        if (la.annotation !== "none" || lb.annotation !== "none") fail(`step ${step}: fuse before annotating`);
        fresh(p.name, step);
        if (cacheWriteAt === a || packs.some((q) => q.at === a)) fail(`step ${step}: a buffer is placed at "${a}", the outer loop of the fuse`);
        if (cacheWriteAt === b) cacheWriteAt = p.name;
        packs.forEach((q, n) => {
          if (q.at === b) packs[n] = { ...q, at: p.name };
        });
        if (autoUnroll !== undefined && (autoUnroll.loop === a || autoUnroll.loop === b)) autoUnroll = { ...autoUnroll, loop: p.name };
        loops.splice(ia, 2, { name: p.name, parts: [pa, pb], annotation: "none" });
        break;
      }
      case "parallel":
      case "vectorize":
      case "unroll":
        annotate(p.loop, p.op, step);
        break;
      case "cache_write":
        if (cacheWriteAt !== undefined) fail(`step ${step}: cache_write was already applied`);
        if (p.at !== ROOT) find(p.at, step);
        cacheWriteAt = p.at;
        break;
      case "decompose_reduction":
        decompose = true;
        break;
      case "pack":
        if (packs.some((q) => q.operand === p.operand)) fail(`step ${step}: ${p.operand} is already packed`);
        if (p.at !== ROOT) find(p.at, step);
        if (!Number.isSafeInteger(p.width) || p.width < 1 || p.width > 4096) fail(`step ${step}: pack width ${p.width} is not in 1..4096`);
        packs.push({ operand: p.operand, at: p.at, width: p.width });
        break;
      case "auto_unroll":
        find(p.loop, step);
        if (![0, 16, 64, 512].includes(p.maxStep)) fail(`step ${step}: auto_unroll max step must be 0, 16, 64 or 512`);
        autoUnroll = { loop: p.loop, maxStep: p.maxStep };
        break;
      case "prefetch":
        if (prefetchB > 0) fail(`step ${step}: B is already prefetched`);
        if (!Number.isSafeInteger(p.distance) || p.distance < 1 || p.distance > MAX_PREFETCH_DISTANCE) fail(`step ${step}: prefetch distance ${p.distance} is not in 1..${MAX_PREFETCH_DISTANCE} rows`);
        prefetchB = p.distance;
        break;
    }
  });
  return { shape, loops, cacheWriteAt, decompose, packs, autoUnroll, prefetchB };
}

/** Loop index of a loop name in the nest (-1 for root). */
export function loopIndex(nest: LoopNest, name: string): number {
  return name === ROOT ? -1 : nest.loops.findIndex((l) => l.name === name);
}

/** The innermost level of `axis` among loops [0..pos] (inclusive), or undefined (the whole axis). */
export function enclosingLevel(nest: LoopNest, axis: Axis, pos: number): AxisLevel | undefined {
  for (let p = pos; p >= 0; p--) {
    const part = nest.loops[p]?.parts.find((l) => l.axis === axis);
    if (part !== undefined) return part;
  }
  return undefined;
}

export function axisExtent(shape: MatmulShape, axis: Axis): number {
  return axis === "i" ? shape.m : axis === "j" ? shape.n : shape.k;
}

/** Size of the region of `axis` that the body of loop `pos` covers (an upper bound for edge tiles). */
export function regionSize(nest: LoopNest, axis: Axis, pos: number): number {
  const level = enclosingLevel(nest, axis, pos);
  return level === undefined ? axisExtent(nest.shape, axis) : Math.min(level.step, axisExtent(nest.shape, axis));
}

/** The register micro-kernel the code generator emits under cache_write, when the nest has that pattern. */
export interface RegisterTile {
  readonly at: number;
  readonly mr: number;
  readonly nr: number;
  readonly lanes: number;
  readonly kLoops: readonly number[];
  readonly registers: number;
}

/** Lanes used for a vectorized loop of extent `extent`: the widest supported width that divides it. */
export function vectorWidthFor(host: HostModel, extent: number): number | undefined {
  return supportedLanes(host).find((l) => extent % l === 0);
}

/**
 * The register-tile pattern: cache_write at loop p, then only k loops, then only spatial loops that are all unrolled or
 * vectorized (the innermost one vectorized over j). The accumulator is MR x NR/lanes vector registers.
 */
export function registerTile(nest: LoopNest, host: HostModel): RegisterTile | undefined {
  if (nest.cacheWriteAt === undefined) return undefined;
  const at = loopIndex(nest, nest.cacheWriteAt);
  const below = nest.loops.slice(at + 1);
  let firstSpatial = below.findIndex((l) => l.parts.some((p) => p.axis !== "k"));
  if (firstSpatial < 0) firstSpatial = below.length;
  const kPart = below.slice(0, firstSpatial);
  const spatial = below.slice(firstSpatial);
  if (spatial.length === 0 || spatial.some((l) => l.parts.length !== 1 || l.parts[0]!.axis === "k")) return undefined;
  if (spatial.some((l) => l.annotation !== "unroll" && l.annotation !== "vectorize")) return undefined;
  const vec = spatial[spatial.length - 1]!;
  if (vec.annotation !== "vectorize" || spatial.slice(0, -1).some((l) => l.annotation === "vectorize")) return undefined;
  const lanes = vectorWidthFor(host, loopExtent(vec));
  if (lanes === undefined) return undefined;
  const mr = regionSize(nest, "i", at);
  const nr = regionSize(nest, "j", at);
  const mrNominal = enclosingLevel(nest, "i", at)?.step ?? nest.shape.m;
  const nrNominal = enclosingLevel(nest, "j", at)?.step ?? nest.shape.n;
  if (mr !== mrNominal || nr !== nrNominal || nr % lanes !== 0 || mr > 64 || nr / lanes > 16) return undefined;
  const registers = mr * (nr / lanes) + nr / lanes + 1;
  return { at, mr, nr, lanes, kLoops: kPart.map((_, n) => at + 1 + n), registers };
}

/** Largest local accumulator (cache_write into memory) accepted, in bytes. */
export const MAX_LOCAL_ACC_BYTES = 256 * 1024;
/** Largest per-thread pack buffer, in bytes. */
export const MAX_PACK_BYTES = 64 * 1024 * 1024;

function checkNest(nest: LoopNest, host: HostModel): void {
  const { loops, shape } = nest;
  // Coverage: per axis, levels nested outer to inner, the outermost spanning the axis, each span the parent's step,
  // the innermost of step 1, so every index is visited exactly once.
  for (const axis of ["i", "j", "k"] as const) {
    const levels = loops.flatMap((l) => l.parts.filter((p) => p.axis === axis));
    const extent = axisExtent(shape, axis);
    if (levels.length === 0) fail(`axis ${axis} has no loop: the iteration space is not covered`);
    if (levels[0]!.span < extent) fail(`axis ${axis}: outermost loop "${levels[0]!.name}" spans ${levels[0]!.span} < ${extent}`);
    for (let n = 1; n < levels.length; n++) {
      const parent = levels[n - 1]!;
      const level = levels[n]!;
      if (level.step > parent.step) {
        fail(`axis ${axis}: loop "${level.name}" (step ${level.step}) must be nested inside "${parent.name}" (step ${parent.step}), not outside it`);
      }
      if (level.span !== parent.step) fail(`axis ${axis}: loop "${level.name}" spans ${level.span}, its parent steps by ${parent.step}: not covered exactly once`);
    }
    if (levels[levels.length - 1]!.step !== 1) fail(`axis ${axis}: innermost loop steps by ${levels[levels.length - 1]!.step}, indices would be skipped`);
  }
  const parallel = loops.flatMap((l, n) => (l.annotation === "parallel" ? [n] : []));
  if (parallel.length > 1) fail(`only one parallel loop is supported, got ${parallel.length}`);
  if (parallel.length === 1) {
    const p = loops[parallel[0]!]!;
    if (parallel[0] !== 0) fail(`parallel loop "${p.name}" must be the outermost loop (fuse outer loops first)`);
    if (p.parts.some((l) => l.axis === "k")) fail(`parallel over the reduction axis k would race on C`);
  }
  loops.forEach((l, n) => {
    const extent = loopExtent(l);
    if (l.annotation === "vectorize") {
      if (n !== loops.length - 1) fail(`vectorized loop "${l.name}" must be the innermost loop`);
      if (l.parts.length !== 1 || l.parts[0]!.axis !== "j") fail(`vectorize only the j axis (contiguous in B and C), not "${l.name}"`);
      const lanes = vectorWidthFor(host, extent);
      if (lanes === undefined) fail(`vector width ${supportedLanes(host).join("/")} does not divide the extent ${extent} of "${l.name}"`);
      if (extent / lanes > 16) fail(`vectorized loop "${l.name}" has ${extent / lanes} vectors, at most 16`);
    }
    if (l.annotation === "unroll" && extent > 256) fail(`unrolled loop "${l.name}" has extent ${extent} > 256`);
  });
  const tile = registerTile(nest, host);
  if (tile !== undefined && tile.registers > host.vectorRegisters) {
    fail(`too many registers: the ${tile.mr}x${tile.nr} accumulator tile needs ${tile.registers} vector registers, the host has ${host.vectorRegisters}`);
  }
  if (nest.cacheWriteAt !== undefined) {
    const at = loopIndex(nest, nest.cacheWriteAt);
    if (at < 0 && parallel.length > 0) fail(`cache_write at root with a parallel loop would share one accumulator between threads`);
    if (tile === undefined) {
      const bytes = regionSize(nest, "i", at) * regionSize(nest, "j", at) * 4;
      if (bytes > MAX_LOCAL_ACC_BYTES) fail(`cache_write region of ${bytes} B exceeds ${MAX_LOCAL_ACC_BYTES} B; move it to an inner loop`);
    }
  }
  const vec = loops[loops.length - 1]?.annotation === "vectorize" ? loopExtent(loops[loops.length - 1]!) : 1;
  for (const pack of nest.packs) {
    const at = loopIndex(nest, pack.at);
    if (at < 0 && parallel.length > 0) fail(`pack ${pack.operand} at root is outside the parallel loop; pack inside it`);
    if (pack.operand === "B" && pack.width % vec !== 0) fail(`pack B width ${pack.width} is not a multiple of the vectorized extent ${vec}`);
    if (tile !== undefined && at <= tile.at) {
      const unit = pack.operand === "B" ? tile.nr : tile.mr;
      if (pack.width % unit !== 0) fail(`pack ${pack.operand} width ${pack.width} is not a multiple of the register tile's ${pack.operand === "B" ? "NR" : "MR"} = ${unit}`);
    }
    const rows = pack.operand === "B" ? regionSize(nest, "j", at) : regionSize(nest, "i", at);
    const padded = Math.ceil(rows / pack.width) * pack.width;
    const bytes = padded * regionSize(nest, "k", at) * 4;
    if (bytes > MAX_PACK_BYTES) fail(`pack ${pack.operand} buffer of ${bytes} B exceeds ${MAX_PACK_BYTES} B`);
  }
}

/** Applies and checks a schedule for a shape on a host; an illegal schedule gives a reason, never an exception. */
export function validateSchedule(schedule: Schedule, shape: MatmulShape, host: HostModel): Validation {
  try {
    const nest = applySteps(shape, schedule.steps);
    checkNest(nest, host);
    return { ok: true, nest };
  } catch (error) {
    if (error instanceof Illegal) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The schedule as TVM-like text, one primitive per line. */
export function formatSchedule(schedule: Schedule): string {
  return schedule.steps
    .map((p) => {
      switch (p.op) {
        case "split":
          return `${p.outer}, ${p.inner} = split(${p.loop}, ${p.factor})`;
        case "reorder":
          return `reorder(${p.loops.join(", ")})`;
        case "fuse":
          return `${p.name} = fuse(${p.loops.join(", ")})`;
        case "parallel":
        case "vectorize":
        case "unroll":
          return `${p.op}(${p.loop})`;
        case "cache_write":
          return `cache_write(C, at=${p.at})`;
        case "decompose_reduction":
          return "decompose_reduction()";
        case "pack":
          return `pack(${p.operand}, at=${p.at}, width=${p.width})`;
        case "auto_unroll":
          return `annotate(${p.loop}, auto_unroll_max_step=${p.maxStep})`;
        case "prefetch":
          return `prefetch(${p.operand}, distance=${p.distance})`;
      }
    })
    .join("\n");
}

/** The loop nest as indented pseudo-code (for --emit nest and the README). */
export function formatNest(nest: LoopNest): string {
  const lines: string[] = [];
  nest.loops.forEach((l, depth) => {
    const parts = l.parts.map((p) => `${p.name}: ${p.axis} step ${p.step} (${nominalExtent(p)}x)`).join(" * ");
    const ann = l.annotation === "none" ? "" : ` [${l.annotation}]`;
    lines.push(`${"  ".repeat(depth)}for ${parts}${ann}`);
    for (const pk of nest.packs.filter((q) => q.at === l.name)) lines.push(`${"  ".repeat(depth + 1)}pack ${pk.operand} (width ${pk.width})`);
    if (nest.cacheWriteAt === l.name) lines.push(`${"  ".repeat(depth + 1)}C_local = 0  (cache_write)`);
  });
  if (nest.prefetchB > 0) lines.push(`${"  ".repeat(nest.loops.length)}prefetch B[k + ${nest.prefetchB}, j]  (where B is read in place or packed)`);
  lines.push(`${"  ".repeat(nest.loops.length)}C[i,j] += A[i,k] * B[k,j]`);
  return lines.join("\n");
}
