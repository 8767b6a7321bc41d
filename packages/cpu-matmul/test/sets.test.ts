import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classSummary,
  llmShapes,
  namedShapeSets,
  oddShapes,
  parseShapesText,
  rooflineOf,
  rooflineRows,
  streamLevel,
  validateShape,
  type BenchResult,
  type ResultsDoc,
} from "../src/index.js";
import { TEST_HOST } from "./helpers.js";

/** The models' published config.json numbers, from which the test derives each projection itself. */
const CONFIGS = [
  { name: "llama3_8b", hidden: 4096, intermediate: 14336, heads: 32, kvHeads: 8 },
  { name: "qwen2_7b", hidden: 3584, intermediate: 18944, heads: 28, kvHeads: 4 },
];

describe("workload sets", () => {
  it("llm: every projection of each config at prefill (128, 512), batched decode (16) and GEMV (1, 4) sizes", () => {
    const shapes = llmShapes();
    expect(shapes).toHaveLength(40);
    const key = (s: { m: number; n: number; k: number }): string => `${s.m}x${s.n}x${s.k}`;
    const have = new Map(shapes.map((s) => [key(s), s.shapeClass]));
    for (const c of CONFIGS) {
      const kv = (c.hidden / c.heads) * c.kvHeads;
      const projections: [number, number][] = [[c.hidden, c.hidden], [kv, c.hidden], [c.intermediate, c.hidden], [c.hidden, c.intermediate]];
      for (const [n, k] of projections) {
        for (const [m, cls] of [[128, "llm-prefill"], [512, "llm-prefill"], [16, "llm-decode"], [1, "gemv"], [4, "gemv"]] as const) {
          expect(have.get(key({ m, n, k }))).toBe(cls);
        }
      }
    }
    for (const s of shapes) expect(validateShape(s)).toBe(s);
  });

  it("odd: sizes with edge tiles in at least two axes for any power-of-two tile from 16 up, all valid", () => {
    const shapes = oddShapes();
    expect(shapes.length).toBeGreaterThanOrEqual(12);
    for (const s of shapes) {
      expect(validateShape(s)).toBe(s);
      expect([s.m, s.n, s.k].filter((x) => x % 16 !== 0).length).toBeGreaterThanOrEqual(2);
      expect(s.shapeClass).toBe("odd");
    }
  });

  it("named sets combine with commas; anything else is taken as a file", () => {
    expect(namedShapeSets("bert")).toHaveLength(24);
    expect(namedShapeSets("bert,odd,bert")).toHaveLength(24 + oddShapes().length);
    expect(namedShapeSets("llm, odd")).toHaveLength(40 + oddShapes().length);
    expect(namedShapeSets("shapes.json")).toBeUndefined();
    expect(namedShapeSets("bert,shapes.json")).toBeUndefined();
  });

  it("a shapes file may name each shape's class; a bad class name is a typed error", () => {
    expect(parseShapesText('[{"m": 7, "n": 13, "k": 29, "shapeClass": "mine"}]', "f.json")).toEqual([{ m: 7, n: 13, k: 29, shapeClass: "mine" }]);
    expect(() => parseShapesText('[{"m": 7, "n": 13, "k": 29, "shapeClass": "a b"}]', "f.json")).toThrow(expect.objectContaining({ code: "KPU_BAD_NAME", where: "f.json:0" }));
  });
});

const bw = { l2: 300, l3: 150, dram: 25 };

describe("roofline per level", () => {
  it("takes the level the operands stream from: L2 while B's share fits it, L3 while A + B + C fit half of it, else DRAM", () => {
    // 2 threads, L2 2 MiB, L3 32 MiB. 64 x 768 x 768: B's share 768 x 384 x 4 B = 1.18 MB <= 2 MiB.
    expect(streamLevel({ m: 64, n: 768, k: 768 }, TEST_HOST, 2)).toBe("l2");
    // 16 x 3072 x 768: B's share 4.7 MB > 2 MiB; A + B + C = 4 x (12288 + 2359296 + 49152) B = 9.7 MB <= 16 MiB.
    expect(streamLevel({ m: 16, n: 3072, k: 768 }, TEST_HOST, 2)).toBe("l3");
    // A decode GEMV on LLaMA-3-8B's q projection: 67 MB of B.
    expect(streamLevel({ m: 1, n: 4096, k: 4096 }, TEST_HOST, 2)).toBe("dram");
  });

  it("matches closed forms: compute-bound from L2, bandwidth-bound GEMV from DRAM, L3 bound at a low L3 bandwidth", () => {
    const l2 = rooflineOf({ m: 64, n: 768, k: 768 }, TEST_HOST, 2, 400, bw);
    expect(l2).toMatchObject({ level: "l2", bound: "compute" });
    expect(l2.gflops).toBeCloseTo(400, 9);
    // GEMV: every word of B read once (A and C are 4096 words each): 2 flops per 4 bytes of B.
    const gemv = rooflineOf({ m: 1, n: 4096, k: 4096 }, TEST_HOST, 2, 400, bw);
    const bytes = (4096 * 4096 + 4096 + 4096) * 4;
    expect(gemv).toMatchObject({ level: "dram", bound: "bandwidth", bytes });
    expect(gemv.gflops).toBeCloseTo((2 * 4096 * 4096) / (bytes / 25e9) / 1e9, 6);
    // 16 x 3072 x 768 from L3 at 20 GB/s: A, B and C once (the Hong-Kung term 2MNK / sqrt(S) is far smaller here).
    const l3 = rooflineOf({ m: 16, n: 3072, k: 768 }, TEST_HOST, 2, 400, { ...bw, l3: 20 });
    const l3Bytes = 4 * (16 * 768 + 768 * 3072 + 16 * 3072);
    expect(l3).toMatchObject({ level: "l3", bound: "bandwidth", bytes: l3Bytes });
    expect(l3.gflops).toBeCloseTo((2 * 16 * 3072 * 768) / (l3Bytes / 20e9) / 1e9, 6);
  });

  it("property: the bound never exceeds the ceiling nor flops / (compulsory bytes / bandwidth of its level)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 8192 }), fc.integer({ min: 1, max: 8192 }), fc.integer({ min: 1, max: 4 }), (m, n, k, threads) => {
        const r = rooflineOf({ m, n, k }, TEST_HOST, threads, 400, bw);
        const compulsory = 4 * (m * k + k * n + m * n);
        expect(r.gflops).toBeLessThanOrEqual(400 * (1 + 1e-9));
        expect(r.bytes).toBeGreaterThanOrEqual(compulsory);
        expect(r.gflops).toBeLessThanOrEqual(((2 * m * n * k) / (compulsory / (bw[r.level] * 1e9)) / 1e9) * (1 + 1e-9));
      }),
    );
  });
});

function result(variant: BenchResult["variant"], shapeClass: string, m: number, gflops: number): BenchResult {
  const n = 4096;
  const k = 4096;
  const medianUs = (2 * m * n * k) / (gflops * 1e3);
  return { variant, shapeClass, m, n, k, threads: 2, medianUs, p10Us: medianUs, gflops, runs: 30, attempts: 1, stolenFraction: 0, noisy: false };
}

describe("per-class summary", () => {
  const doc = {
    schemaVersion: 4,
    kind: "kpu.cpu.results",
    host: TEST_HOST,
    compiler: { command: "cc", version: "x", flags: [] },
    threads: 2,
    openblas: { available: true, note: "x" },
    kernelCeilingGflops: 400,
    bandwidthGBps: bw,
    results: [
      result("host-rules", "gemv", 1, 12),
      result("host-rules", "gemv", 4, 40),
      result("openblas", "gemv", 1, 6),
      result("openblas", "gemv", 4, 40),
      result("onednn", "gemv", 1, 12),
      result("onednn", "gemv", 4, 80),
      result("host-rules", "llm-prefill", 512, 300),
      result("openblas", "llm-prefill", 512, 200),
    ],
    failures: [],
  } as unknown as ResultsDoc;

  it("gives geomeans per class, the ratio to each peer (and the worst shape), and the best peer", () => {
    const [gemv, prefill] = classSummary(doc);
    expect(gemv).toMatchObject({ shapeClass: "gemv", shapes: 2 });
    expect(gemv!.hostRulesGflops).toBeCloseTo(Math.sqrt(12 * 40), 9);
    const ob = gemv!.peers.find((p) => p.peer === "openblas")!;
    expect(ob.ratio).toBeCloseTo(Math.sqrt(2 * 1), 9);
    expect(ob.worst).toBeCloseTo(1, 9);
    const dn = gemv!.peers.find((p) => p.peer === "onednn")!;
    expect(dn.gflops).toBeCloseTo(Math.sqrt(12 * 80), 9);
    expect(gemv!.vsBestPeer?.peer).toBe("onednn");
    expect(gemv!.vsBestPeer?.ratio).toBeCloseTo(Math.sqrt(1 * 0.5), 9);
    expect(prefill).toMatchObject({ shapeClass: "llm-prefill", shapes: 1, vsBestPeer: { peer: "openblas" } });
    expect(prefill!.vsBestPeer!.ratio).toBeCloseTo(1.5, 9);
  });

  it("lists the roofline of every host-rules shape with the fastest peer beside it", () => {
    const rows = rooflineRows(doc);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ shapeClass: "gemv", m: 1, level: "dram", bound: "bandwidth", bestPeer: { peer: "onednn", gflops: 12 } });
    expect(rows[2]).toMatchObject({ shapeClass: "llm-prefill", m: 512, level: "dram", bound: "compute", boundGflops: 400 });
  });
});
