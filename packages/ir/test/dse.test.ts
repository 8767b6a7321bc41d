import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DSE_SCHEMA_VERSION, paretoFront, parseDseResult, type DsePoint } from "@kpu/ir";

const point = (id: string, latencyNs: number, energyPj: number, areaMm2: number): DsePoint => ({ id, params: { x: 1 }, feasible: true, latencyNs, energyPj, areaMm2, pareto: false });

describe("paretoFront", () => {
  it("keeps exactly the points nothing dominates (checked pairwise by the test)", () => {
    const arb = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.boolean()), { maxLength: 30 });
    fc.assert(
      fc.property(arb, (rows) => {
        const pts = rows.map(([a, b, c, ok], i) => (ok ? point(`p${i}`, a, b, c) : { id: `p${i}`, params: {}, feasible: false, reason: "does not fit", pareto: false }));
        const front = paretoFront(pts);
        rows.forEach(([a, b, c, ok], i) => {
          // dominated: another feasible row no worse on all three and strictly better on one
          const dominated = rows.some(([x, y, z, ok2], j) => j !== i && ok2 && x <= a && y <= b && z <= c && (x < a || y < b || z < c));
          expect(front[i]).toBe(ok && !dominated);
        });
      }),
    );
  });

  it("keeps ties on every axis", () => {
    expect(paretoFront([point("a", 1, 1, 1), point("b", 1, 1, 1), point("c", 2, 1, 1)])).toEqual([true, true, false]);
  });
});

describe("parseDseResult", () => {
  const doc = {
    kind: "kpu.dse",
    schemaVersion: DSE_SCHEMA_VERSION,
    model: { name: "m", source: "example:m" },
    baseHardware: "edge-ai",
    objective: "latency",
    tool: { name: "kpu", version: "0.0.0" },
    parameters: [{ name: "l2Kib", values: [64, 128] }],
    points: [point("a", 1, 2, 3), { id: "b", params: { l2Kib: 64 }, feasible: false, reason: "KPU_MAPPING_DOES_NOT_FIT: no tile fits", pareto: false }],
  };

  it("reads a valid document", () => {
    expect(parseDseResult(JSON.stringify(doc), "d.json").points).toHaveLength(2);
  });

  it("names the field that breaks the format", () => {
    const bad = { ...doc, points: [{ ...point("a", 1, 2, 3), latencyNs: undefined }] };
    expect(() => parseDseResult(JSON.stringify(bad), "d.json")).toThrow(/latencyNs is required/);
    const noReason = { ...doc, points: [{ id: "b", params: {}, feasible: false, pareto: false }] };
    expect(() => parseDseResult(JSON.stringify(noReason), "d.json")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA", where: "d.json:points[0].reason" }));
  });

  it("refuses other schema versions by number", () => {
    expect(() => parseDseResult(JSON.stringify({ ...doc, schemaVersion: 2 }), "d.json")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA_VERSION" }));
  });
});
