import { describe, expect, it } from "vitest";
import { applyHostConfig, bertShapes, describeHost, detectHost, parseShapesText, validateShape } from "../src/index.js";

describe("host model", () => {
  it("detects something sane on this machine", () => {
    const h = detectHost();
    expect(h.cores).toBeGreaterThan(0);
    expect(h.l1d.bytes).toBeGreaterThan(0);
    expect(["avx512", "avx2", "neon", "sse", "scalar"]).toContain(h.isa);
    expect(describeHost(h)).toContain("L1d");
  });

  it("applies overrides and rejects impossible values", () => {
    const base = detectHost();
    const h = applyHostConfig(base, { isa: "avx2", l2: { bytes: 1048576 } }, "cfg");
    expect(h.vectorBits).toBe(256);
    expect(h.vectorRegisters).toBe(16);
    expect(h.l2.bytes).toBe(1048576);
    expect(() => applyHostConfig(base, { l2: { bytes: 16384 }, l1d: { bytes: 32768, ways: 8 } }, "cfg")).toThrow(/smaller than L1d/);
    expect(() => applyHostConfig(base, { isa: "avx512", vectorBits: 256 }, "cfg")).toThrow(/vectorBits 512/);
    expect(applyHostConfig(base, { prefetchStreams: 16 }, "cfg").prefetchStreams).toBe(16);
    expect(() => applyHostConfig(base, { prefetchStreams: 0 }, "cfg")).toThrow(expect.objectContaining({ where: "cfg:prefetchStreams" }));
    expect(() => applyHostConfig(base, { cores: -1 }, "cfg")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA" }));
    expect(() => applyHostConfig(base, { l1d: { bytes: 49152, ways: 7 } }, "cfg")).toThrow(/not divisible into 7 ways/);
    expect(() => applyHostConfig(base, { frequency: 3 }, "cfg")).toThrow(expect.objectContaining({ code: "KPU_SCHEMA" }));
  });
});

describe("shapes", () => {
  it("lists the 24 BERT shapes", () => {
    const s = bertShapes();
    expect(s).toHaveLength(24);
    expect(s[0]).toEqual({ m: 16, n: 768, k: 768, kernel: "qkv", shapeClass: "bert" });
    expect(s.find((x) => x.kernel === "mlp_reduce" && x.m === 384)).toEqual({ m: 384, n: 768, k: 3072, kernel: "mlp_reduce", shapeClass: "bert" });
  });

  it("rejects non-positive and huge shapes, parses shape files", () => {
    expect(() => validateShape({ m: 0, n: 1, k: 1 })).toThrow(expect.objectContaining({ code: "KPU_BAD_DIM" }));
    expect(() => validateShape({ m: 1.5, n: 1, k: 1 })).toThrow(/not an integer/);
    expect(() => validateShape({ m: 65536, n: 65536, k: 65536 })).toThrow(/multiply-adds/);
    expect(parseShapesText('[{"m": 7, "n": 13, "k": 29}]', "f.json")).toEqual([{ m: 7, n: 13, k: 29 }]);
    expect(parseShapesText("shapes:\n  - {m: 3, n: 5, k: 7, kernel: tiny}\n", "f.yaml")).toEqual([{ m: 3, n: 5, k: 7, kernel: "tiny" }]);
    expect(() => parseShapesText('[{"m": -1, "n": 1, "k": 1}]', "f.json")).toThrow(expect.objectContaining({ where: "f.json:0" }));
    expect(() => parseShapesText("{", "f.json")).toThrow(expect.objectContaining({ code: "KPU_BAD_SYNTAX" }));
  });
});
