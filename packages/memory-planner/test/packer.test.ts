import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packBuffers } from "@kpu/memory-planner";

interface Buf {
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
}

/** Buffers that overlap in time do not overlap in space, and each ends within total (sizes already aligned). */
function validPacking(buffers: readonly Buf[], offsets: readonly number[], total: number): boolean {
  return buffers.every((b, i) => {
    if (offsets[i]! < 0 || offsets[i]! + b.bytes > total) return false;
    return buffers.every((o, j) => j === i || !(b.start < o.end && o.start < b.end) || offsets[i]! + b.bytes <= offsets[j]! || offsets[j]! + o.bytes <= offsets[i]!);
  });
}

/**
 * The optimum by brute force, independent of the packer: every placement order, each buffer at the lowest offset
 * clear of the buffers already placed that overlap it in time (some order reproduces any optimal packing this way).
 */
function bruteForceOptimum(buffers: readonly Buf[]): { total: number; offsets: number[] } {
  let best = { total: Infinity, offsets: [] as number[] };
  const permute = (rest: number[], order: number[]): void => {
    if (rest.length === 0) {
      const offsets = new Array<number>(buffers.length).fill(-1);
      let total = 0;
      for (const [n, i] of order.entries()) {
        const b = buffers[i]!;
        const clash = order.slice(0, n).filter((j) => buffers[j]!.start < b.end && b.start < buffers[j]!.end);
        let at = 0;
        for (let moved = true; moved; ) {
          moved = false;
          for (const j of clash) {
            if (at < offsets[j]! + buffers[j]!.bytes && offsets[j]! < at + b.bytes) {
              at = offsets[j]! + buffers[j]!.bytes;
              moved = true;
            }
          }
        }
        offsets[i] = at;
        total = Math.max(total, at + b.bytes);
      }
      if (total < best.total) best = { total, offsets };
      return;
    }
    for (const [x, i] of rest.entries()) permute([...rest.slice(0, x), ...rest.slice(x + 1)], [...order, i]);
  };
  permute(buffers.map((_, i) => i), []);
  return best;
}

describe("packBuffers", () => {
  it("lets buffers with disjoint lifetimes share addresses and reaches the lower bound", () => {
    const r = packBuffers([
      { bytes: 4096, start: 0, end: 2 },
      { bytes: 4096, start: 2, end: 4 },
      { bytes: 4096, start: 1, end: 3 },
    ]);
    expect(r.lowerBoundBytes).toBe(8192);
    expect(r.totalBytes).toBe(8192);
    expect(r.gapBytes).toBe(0);
    expect(r.offsets[0]).toBe(r.offsets[1]);
  });

  it("reports a real gap: every greedy order needs 384 B where the optimum (brute force) and the bound are 320 B", () => {
    // Sizes x64: 3 over [0,1), 2 over [1,4), 1 over [0,2), 1 over [1,3), 3 over [3,5). Max live is 5 x 64 at t = 3.
    // The optimum keeps the 128 B buffer at 0 and stacks [3,5) on it at 128, the 64 B ones at 128 and 192 (by hand:
    // offsets 0, 0, 192, 128, 128). Size order puts both 192 B buffers at 0 (they never meet), which pushes the 128 B
    // one to 192 and a 64 B one to 320; the other two orders also end at 384.
    const buffers = [
      { bytes: 192, start: 0, end: 1 },
      { bytes: 128, start: 1, end: 4 },
      { bytes: 64, start: 0, end: 2 },
      { bytes: 64, start: 1, end: 3 },
      { bytes: 192, start: 3, end: 5 },
    ];
    const r = packBuffers(buffers, { alignmentBytes: 64 });
    expect(r.lowerBoundBytes).toBe(320);
    expect(r.tried.map((t) => [t.strategy, t.totalBytes])).toEqual([["size", 384], ["lifetime", 384], ["conflict", 384]]);
    expect(r.totalBytes).toBe(384);
    expect(r.gapBytes).toBe(64);
    expect(validPacking(buffers, r.offsets, r.totalBytes)).toBe(true);
    const opt = bruteForceOptimum(buffers);
    expect(opt.total).toBe(320);
    expect(validPacking(buffers, opt.offsets, opt.total)).toBe(true);
    expect(r.totalBytes - opt.total).toBe(64);
  });

  it("random buffers: buffers that overlap in time never overlap in space; total >= max live; the best strategy is kept", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 5000 }), start: fc.nat(40), len: fc.integer({ min: 1, max: 20 }) }), { maxLength: 40 }),
        (raw) => {
          const buffers = raw.map((b) => ({ bytes: b.bytes, start: b.start, end: b.start + b.len }));
          const r = packBuffers(buffers, { alignmentBytes: 64 });
          const size = (i: number) => Math.ceil(buffers[i]!.bytes / 64) * 64;
          for (let i = 0; i < buffers.length; i++) {
            expect(r.offsets[i]! % 64).toBe(0);
            expect(r.offsets[i]! + size(i)).toBeLessThanOrEqual(r.totalBytes);
            for (let j = i + 1; j < buffers.length; j++) {
              const bi = buffers[i]!;
              const bj = buffers[j]!;
              if (bi.start < bj.end && bj.start < bi.end) {
                const disjoint = r.offsets[i]! + size(i) <= r.offsets[j]! || r.offsets[j]! + size(j) <= r.offsets[i]!;
                expect(disjoint).toBe(true);
              }
            }
          }
          expect(r.totalBytes).toBeGreaterThanOrEqual(r.lowerBoundBytes);
          expect(r.totalBytes).toBe(Math.min(...r.tried.map((t) => t.totalBytes)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
