import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxLiveBytes, packBuffers } from "@kpu/memory-planner";

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

  it("reports the gap to max-live bytes when greedy placement cannot reach it", () => {
    // Sizes 2,1,1,2 (x64): size-descending leaves a hole that a later buffer cannot use.
    const r = packBuffers(
      [
        { bytes: 128, start: 0, end: 2 },
        { bytes: 64, start: 1, end: 4 },
        { bytes: 64, start: 0, end: 1 },
        { bytes: 128, start: 2, end: 5 },
      ],
      { alignmentBytes: 64 },
    );
    expect(r.lowerBoundBytes).toBe(maxLiveBytes([{ bytes: 128, start: 0, end: 2 }, { bytes: 64, start: 1, end: 4 }, { bytes: 64, start: 0, end: 1 }, { bytes: 128, start: 2, end: 5 }]));
    expect(r.totalBytes).toBeGreaterThanOrEqual(r.lowerBoundBytes);
    expect(r.gapBytes).toBe(r.totalBytes - r.lowerBoundBytes);
    expect(r.tried.length).toBeGreaterThan(0);
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
