import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DATAFLOWS, fabricTiming, fabricTrace, foldCycles } from "../src/index.js";
import { naiveMatmul, referenceSystolic } from "./systolic-reference.js";

const matrix = (rows: number, cols: number, seed: number) =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => ((i * 7 + j * 13 + seed) % 11) - 5));

describe("fabric timing", () => {
  it("states one fold as 2r + c + t - 2", () => {
    expect(foldCycles(16, 16, 112)).toBe(158);
  });

  it("matches the README's worked example (48x64x112 on 16x16)", () => {
    const os = fabricTiming({ rows: 16, cols: 16, dataflow: "os", m: 48, n: 64, k: 112 });
    expect(os).toMatchObject({ folds: 12, cycles: 1896, sramReadsA: 48 * 112 * 4, sramReadsB: 112 * 64 * 3, sramWritesC: 48 * 64 });
    const ws = fabricTiming({ rows: 16, cols: 16, dataflow: "ws", m: 48, n: 64, k: 112 });
    expect(ws).toMatchObject({ folds: 28, cycles: 28 * (32 + 16 + 48 - 2), sramReadsB: 112 * 64, sramWritesC: 48 * 64 * 7 });
    const is = fabricTiming({ rows: 16, cols: 16, dataflow: "is", m: 48, n: 64, k: 112 });
    expect(is).toMatchObject({ folds: 21, cycles: 21 * (32 + 16 + 64 - 2), sramReadsA: 48 * 112 });
  });

  it.each(DATAFLOWS)("%s equals a brute-force register-level simulation on small cases (property)", (dataflow) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 11 }),
        (R, C, m, n, k) => {
          const a = matrix(m, k, 1);
          const b = matrix(k, n, 2);
          const ref = referenceSystolic(R, C, dataflow, a, b);
          const model = fabricTiming({ rows: R, cols: C, dataflow, m, n, k });
          expect(ref.c).toEqual(naiveMatmul(a, b));
          expect(model.cycles).toBe(ref.cycles);
          expect(model.folds).toBe(ref.folds);
          expect(model.sramReadsA).toBe(ref.sramReadsA);
          expect(model.sramReadsB).toBe(ref.sramReadsB);
          expect(model.sramReadsC).toBe(ref.sramReadsC);
          expect(model.sramWritesC).toBe(ref.sramWritesC);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("never beats the ideal MAC count and approaches it for long temporal dimensions", () => {
    const t = fabricTiming({ rows: 16, cols: 16, dataflow: "os", m: 16, n: 16, k: 100_000 });
    expect(t.utilisation).toBeLessThanOrEqual(1);
    expect(t.utilisation).toBeGreaterThan(0.999);
  });

  it("rejects non-positive sizes", () => {
    expect(() => fabricTiming({ rows: 0, cols: 4, dataflow: "os", m: 4, n: 4, k: 4 })).toThrow(/rows = 0/);
  });
});

describe("fabric trace (skewed injection)", () => {
  it("injects A[i][k] into row i at cycle i + k and B[k][j] into column j at cycle j + k (OS)", () => {
    const events = fabricTrace({ rows: 4, cols: 4, dataflow: "os", m: 4, n: 4, k: 3 });
    expect(events).toHaveLength(24);
    for (const e of events) {
      if (e.operand === "A") expect(e.cycle).toBe(e.row + e.col);
      else expect(e.cycle).toBe(e.col + e.row);
    }
    expect(events[0]).toMatchObject({ cycle: 0, operand: "A", row: 0, col: 0, port: "row", portIndex: 0 });
  });

  it.each(DATAFLOWS)("%s: one event per SRAM read, within the fold's cycles", (dataflow) => {
    const g = { rows: 3, cols: 2, dataflow, m: 5, n: 4, k: 7 } as const;
    const t = fabricTiming(g);
    const events = fabricTrace(g);
    expect(events.filter((e) => e.operand === "A")).toHaveLength(t.sramReadsA);
    expect(events.filter((e) => e.operand === "B")).toHaveLength(t.sramReadsB);
    expect(Math.max(...events.map((e) => e.cycle))).toBeLessThan(t.cycles);
    const cycles = events.map((e) => e.cycle);
    expect(cycles).toEqual([...cycles].sort((x, y) => x - y));
  });

  it("refuses traces that are too big", () => {
    expect(() => fabricTrace({ rows: 16, cols: 16, dataflow: "os", m: 1024, n: 1024, k: 1024 })).toThrow(/limit/);
  });
});
