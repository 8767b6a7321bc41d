// Conformance suite: every policy, placement, loop order, double buffering and forwarding passes the same invariants
// on random graphs, tile shapes and SRAM sizes (from the minimum working set up to 4x it).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POLICY_NAMES, PLACEMENTS, checkSchedule, minimumWorkingSet, scheduleProgram, type ScheduleOptions } from "@kpu/memory-planner";
import { LOOP_ORDERS } from "@kpu/ir";
import { compileSpec, compileSpecToProgram, graphSpec } from "./graphs.js";

const optionsArb = fc.record({
  policy: fc.constantFrom(...POLICY_NAMES),
  placement: fc.constantFrom(...PLACEMENTS),
  doubleBuffer: fc.boolean(),
  forward: fc.boolean(),
  alignmentBytes: fc.constantFrom(4, 64, 128),
  slack: fc.double({ min: 0, max: 3, noNaN: true }),
});

describe("scheduler invariants (property-based)", () => {
  it("allocations never overlap, stay aligned and in capacity; operands hold their tiles; accumulators get Kt EXECs untouched; loads add up; the peak recounts; nothing is live at the end; no LOAD hits a running EXEC's buffers", () => {
    fc.assert(
      fc.property(compileSpec, optionsArb, (spec, o) => {
        const program = compileSpecToProgram(spec);
        const min = minimumWorkingSet(program, { alignmentBytes: o.alignmentBytes, doubleBuffer: o.doubleBuffer }).bytes;
        const options: ScheduleOptions = { ...o, sramBytes: Math.floor(min * (1 + o.slack)), trace: true };
        const r = scheduleProgram(program, options);
        const check = checkSchedule(r.schedule, program, r.trace);
        expect(check.violations).toEqual([]);
        expect(r.schedule.stats.finalLiveBytes).toBe(0);
        expect(r.schedule.stats.peakSramBytes).toBeLessThanOrEqual(options.sramBytes);
        // Deterministic: the same input gives a byte-identical schedule.
        expect(JSON.stringify(scheduleProgram(program, options).schedule)).toBe(JSON.stringify(r.schedule));
      }),
      { numRuns: 250 },
    );
  });

  it("one byte below the minimum working set is refused", () => {
    fc.assert(
      fc.property(compileSpec, fc.boolean(), (spec, doubleBuffer) => {
        const program = compileSpecToProgram(spec);
        const min = minimumWorkingSet(program, { doubleBuffer }).bytes;
        expect(() => scheduleProgram(program, { sramBytes: min - 1, doubleBuffer })).toThrow(/minimum working set/);
      }),
      { numRuns: 40 },
    );
  });
});

describe("policies in the paging model (uniform tiles)", () => {
  it("MIN never loads more than LRU, and one more tile of SRAM never costs LRU or MIN a load", () => {
    fc.assert(
      fc.property(graphSpec, fc.integer({ min: 2, max: 8 }), fc.constantFrom(...LOOP_ORDERS), fc.integer({ min: 0, max: 30 }), (g, t, order, extraTiles) => {
        // Every dimension a multiple of t (1 to 6 tiles): all A, B and C tiles are t x t, as in paging with one page size.
        const tiles = (d: number) => (1 + (d % 6)) * t;
        const spec = { graph: { m: tiles(g.m), k: tiles(g.k), layers: g.layers.map((l) => ({ ...l, n: tiles(l.n) })) }, tile: { m: t, n: t, k: t }, fusion: true, order, block: { m: 2, n: 2 } };
        const program = compileSpecToProgram(spec);
        const tileBytes = Math.ceil((t * t * 4) / 64) * 64;
        const sram = minimumWorkingSet(program).bytes + extraTiles * tileBytes;
        const loads = (policy: "lru" | "min", bytes: number) => scheduleProgram(program, { sramBytes: bytes, policy }).schedule.stats.loadsEmitted;
        expect(loads("min", sram)).toBeLessThanOrEqual(loads("lru", sram));
        expect(loads("min", sram + tileBytes)).toBeLessThanOrEqual(loads("min", sram));
        expect(loads("lru", sram + tileBytes)).toBeLessThanOrEqual(loads("lru", sram));
      }),
      { numRuns: 150 },
    );
  });
});
