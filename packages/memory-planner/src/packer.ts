import { KpuError } from "@kpu/ir";
import { alignUp } from "./arena.js";

/** A buffer with a known lifetime: live over the half-open interval [start, end) of some time unit (steps). */
export interface PackBuffer {
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
}

/** The orders the packer tries; each places buffers one by one into the smallest gap that fits. */
export const PACK_STRATEGIES = ["size", "lifetime", "conflict"] as const;
export type PackStrategy = (typeof PACK_STRATEGIES)[number];

export interface PackResult {
  /** Offset of buffer i (same order as the input), a multiple of the alignment. */
  readonly offsets: readonly number[];
  /** Bytes the packing needs: the largest offset + aligned size. */
  readonly totalBytes: number;
  /** Max over time of the live (aligned) bytes: no packing can need less. */
  readonly lowerBoundBytes: number;
  /** totalBytes - lowerBoundBytes. */
  readonly gapBytes: number;
  /** The strategy whose packing was kept (the first of the smallest). */
  readonly strategy: PackStrategy;
  readonly tried: readonly { readonly strategy: PackStrategy; readonly totalBytes: number }[];
}

/** Max over time of the total aligned bytes of live buffers (a sweep over start and end events). */
export function maxLiveBytes(buffers: readonly PackBuffer[], alignmentBytes = 64): number {
  const events: [number, number][] = [];
  for (const b of buffers) {
    if (b.end <= b.start) continue;
    const size = alignUp(b.bytes, alignmentBytes);
    events.push([b.start, size], [b.end, -size]);
  }
  // Ends before starts at the same time: [start, end) intervals that touch do not overlap.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let live = 0;
  let peak = 0;
  for (const [, delta] of events) {
    live += delta;
    if (live > peak) peak = live;
  }
  return peak;
}

function order(buffers: readonly PackBuffer[], sizes: readonly number[], strategy: PackStrategy): number[] {
  const idx = buffers.map((_, i) => i);
  if (strategy === "size") {
    idx.sort((a, b) => sizes[b]! - sizes[a]! || buffers[a]!.start - buffers[b]!.start || a - b);
  } else if (strategy === "lifetime") {
    idx.sort((a, b) => buffers[a]!.start - buffers[b]!.start || buffers[b]!.end - buffers[a]!.end || a - b);
  } else {
    // Conflict order: the buffers that overlap the most bytes of others go first.
    const conflict = conflictBytes(buffers, sizes);
    idx.sort((a, b) => conflict[b]! - conflict[a]! || sizes[b]! - sizes[a]! || a - b);
  }
  return idx;
}

/** For each buffer, the total aligned bytes of the other buffers whose lifetimes overlap it. */
function conflictBytes(buffers: readonly PackBuffer[], sizes: readonly number[]): number[] {
  const byStart = buffers.map((_, i) => i).sort((a, b) => buffers[a]!.start - buffers[b]!.start || a - b);
  const out = new Array<number>(buffers.length).fill(0);
  for (let x = 0; x < byStart.length; x++) {
    const i = byStart[x]!;
    const bi = buffers[i]!;
    for (let y = x + 1; y < byStart.length; y++) {
      const j = byStart[y]!;
      if (buffers[j]!.start >= bi.end) break;
      out[i]! += sizes[j]!;
      out[j]! += sizes[i]!;
    }
  }
  return out;
}

/**
 * Component id of each buffer: buffers connected by overlapping lifetimes share one. Buffers in different components
 * never overlap in time, so each component is packed on its own (this keeps packing near-linear when few buffers are
 * live at once, as with one accumulator at a time).
 */
function components(buffers: readonly PackBuffer[]): Int32Array {
  const byStart = buffers.map((_, i) => i).sort((a, b) => buffers[a]!.start - buffers[b]!.start || a - b);
  const comp = new Int32Array(buffers.length);
  let id = -1;
  let end = -Infinity;
  for (const i of byStart) {
    const b = buffers[i]!;
    if (b.start >= end) id++;
    comp[i] = id;
    end = Math.max(end, b.end);
  }
  return comp;
}

function place(buffers: readonly PackBuffer[], sizes: readonly number[], sequence: readonly number[], comp: Int32Array): { offsets: number[]; total: number } {
  const offsets = new Array<number>(buffers.length).fill(-1);
  const placedByComp = new Map<number, number[]>();
  let total = 0;
  const overlapping: number[] = [];
  for (const i of sequence) {
    const b = buffers[i]!;
    const size = sizes[i]!;
    overlapping.length = 0;
    let placed = placedByComp.get(comp[i]!);
    if (placed === undefined) placedByComp.set(comp[i]!, (placed = []));
    for (const j of placed) {
      const o = buffers[j]!;
      if (o.start < b.end && b.start < o.end) overlapping.push(j);
    }
    overlapping.sort((x, y) => offsets[x]! - offsets[y]!);
    // Smallest gap between overlapping buffers that fits; else just above the highest of them.
    let bestOffset = -1;
    let bestGap = Infinity;
    let cursor = 0;
    for (const j of overlapping) {
      const gap = offsets[j]! - cursor;
      if (gap >= size && gap < bestGap) {
        bestGap = gap;
        bestOffset = cursor;
      }
      cursor = Math.max(cursor, offsets[j]! + sizes[j]!);
    }
    offsets[i] = bestOffset >= 0 ? bestOffset : cursor;
    total = Math.max(total, offsets[i] + size);
    placed.push(i);
  }
  return { offsets, total };
}

/**
 * Offline packing of buffers with known lifetimes into one region: every strategy in PACK_STRATEGIES orders the
 * buffers (size descending; by start time; by conflicting bytes) and places each into the smallest gap between the
 * already-placed buffers that overlap it in time; the smallest packing is kept. Reports the gap to the max-live-bytes
 * lower bound. Buffers whose lifetimes are disjoint may share addresses.
 */
export function packBuffers(
  buffers: readonly PackBuffer[],
  options: { readonly alignmentBytes?: number; readonly strategies?: readonly PackStrategy[] } = {},
): PackResult {
  const alignment = options.alignmentBytes ?? 64;
  for (const [i, b] of buffers.entries()) {
    if (!Number.isSafeInteger(b.bytes) || b.bytes <= 0 || !(b.end > b.start)) {
      throw new KpuError("KPU_MEM_BAD_BUFFER", `buffer ${i} has ${b.bytes} B over [${b.start}, ${b.end})`, {
        where: "packer",
        hint: "Each buffer needs a positive size and end > start.",
      });
    }
  }
  const sizes = buffers.map((b) => alignUp(b.bytes, alignment));
  const comp = components(buffers);
  const lowerBoundBytes = maxLiveBytes(buffers, alignment);
  const tried: { strategy: PackStrategy; totalBytes: number }[] = [];
  let best: { offsets: number[]; total: number; strategy: PackStrategy } | undefined;
  for (const strategy of options.strategies ?? PACK_STRATEGIES) {
    const { offsets, total } = place(buffers, sizes, order(buffers, sizes, strategy), comp);
    tried.push({ strategy, totalBytes: total });
    if (best === undefined || total < best.total) best = { offsets, total, strategy };
    if (total === lowerBoundBytes) break; // optimal: no strategy can do better
  }
  const chosen = best ?? { offsets: [], total: 0, strategy: "size" as const };
  return {
    offsets: chosen.offsets,
    totalBytes: chosen.total,
    lowerBoundBytes,
    gapBytes: chosen.total - lowerBoundBytes,
    strategy: chosen.strategy,
    tried,
  };
}
