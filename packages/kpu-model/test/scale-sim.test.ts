import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { convAsGemm, fabricTiming, gemmAsConv, parseScaleSimConfig, parseScaleSimTopology, scaleSimGemm, scaleSimTopology } from "../src/index.js";
import { referenceScaleSim } from "./scale-sim-reference.js";

type Df = "os" | "ws" | "is";

/**
 * SCALE-Sim v2 reports (commit 22f88b1, `InterfaceBandwidth: CALC`, GEMM topology): array rows, cols, dataflow, M, N,
 * K, then COMPUTE_REPORT Total Cycles, DETAILED_ACCESS_REPORT SRAM IFMAP reads, Filter reads, OFMAP writes, and
 * COMPUTE_REPORT Overall Util %, Mapping Efficiency %, Compute Util %. The first two rows are the results we were
 * given; the others came from running SCALE-Sim v2 itself on the same kind of cfg.
 */
const SCALE_SIM_REPORTS: readonly (readonly [number, number, Df, number, number, number, number, number, number, number, number, number, number])[] = [
  [8, 8, "os", 64, 64, 64, 4991, 32768, 32768, 5120, 82.06772189941896, 100.0, 82.05128205128196],
  [32, 32, "ws", 128, 64, 256, 3551, 65536, 16384, 65536, 57.673894677555616, 100.0, 50.592885375494056],
  [8, 8, "ws", 64, 64, 64, 5503, 32768, 4096, 32768, 74.43212793021988, 100.0, 68.81720430107524],
  [8, 8, "is", 64, 64, 64, 5503, 4096, 32768, 32768, 74.43212793021988, 100.0, 68.81720430107524],
  [8, 8, "os", 50, 30, 70, 2351, 14000, 14700, 1948, 69.78413441088898, 83.70535714285714, 69.7544642857143],
  [8, 8, "ws", 50, 30, 70, 2591, 14000, 2100, 13500, 63.320146661520646, 91.14583333333334, 57.68723628691982],
  [8, 8, "is", 50, 30, 70, 3275, 3500, 14700, 13500, 50.095419847328245, 86.80555555555556, 44.13841807909606],
  [32, 32, "os", 128, 64, 256, 2543, 65536, 65536, 8704, 80.5348014156508, 100.0, 80.50314465408805],
  [32, 32, "is", 128, 64, 256, 5055, 32768, 65536, 65536, 40.51434223541048, 100.0, 33.86243386243386],
  [32, 32, "os", 100, 45, 77, 1111, 15400, 13860, 5012, 30.457147277227723, 54.931640625, 30.429757756294958],
  [32, 32, "ws", 100, 45, 77, 1163, 15400, 3465, 13500, 29.09534877472055, 56.396484375, 25.065104166666668],
  [32, 32, "is", 100, 45, 77, 1667, 7700, 13860, 13500, 20.298674640071987, 62.662760416666664, 16.587201286764707],
  [12, 14, "ws", 33, 17, 29, 413, 1914, 493, 1683, 23.44776893808371, 48.908730158730165, 19.682781649245065],
  [4, 16, "os", 9, 40, 5, 206, 135, 600, 540, 13.652912621359222, 62.5, 13.586956521739129],
  [16, 4, "is", 40, 9, 21, 859, 840, 1890, 720, 13.751455180442376, 65.625, 12.839673913043478],
];

describe("scaleSimGemm reproduces SCALE-Sim v2's reports", () => {
  it("8x8 OS, 64x64x64: 4,991 cycles, reads A 32,768 and B 32,768, writes C 5,120 (given)", () => {
    expect(scaleSimGemm({ rows: 8, cols: 8, dataflow: "os", m: 64, n: 64, k: 64 })).toMatchObject({
      folds: 64,
      cyclesPerFold: 78,
      cycles: 4991,
      sramReadsA: 32_768,
      sramReadsB: 32_768,
      sramWritesC: 5120,
    });
  });

  it("32x32 WS, M=128 N=64 K=256: 3,551 cycles (given)", () => {
    const r = scaleSimGemm({ rows: 32, cols: 32, dataflow: "ws", m: 128, n: 64, k: 256 });
    expect(r).toMatchObject({ rowFolds: 8, colFolds: 2, cyclesPerFold: 2 * 32 + 32 + 128 - 2, cycles: 3551 });
  });

  for (const [rows, cols, dataflow, m, n, k, cycles, a, b, c, util, mapEff, compUtil] of SCALE_SIM_REPORTS) {
    it(`${rows}x${cols} ${dataflow}, ${m}x${n}x${k}: ${cycles} cycles`, () => {
      const r = scaleSimGemm({ rows, cols, dataflow, m, n, k });
      expect([r.cycles, r.sramReadsA, r.sramReadsB, r.sramWritesC, r.stallCycles]).toEqual([cycles, a, b, c, 0]);
      expect(r.overallUtilPercent).toBeCloseTo(util, 9);
      expect(r.mappingEfficiencyPercent).toBeCloseTo(mapEff, 9);
      expect(r.computeUtilPercent).toBeCloseTo(compUtil, 9);
    });
  }

  it("is a different model from fabricTiming (folds over the full array, its own fill and drain)", () => {
    const ours = fabricTiming({ rows: 8, cols: 8, dataflow: "os", m: 64, n: 64, k: 64 });
    expect(ours.cycles).toBe(64 * (2 * 8 + 8 + 64 - 2));
    expect(scaleSimGemm({ rows: 8, cols: 8, dataflow: "os", m: 64, n: 64, k: 64 }).cycles).toBe(4991);
  });

  it("rejects non-positive sizes with a typed error", () => {
    expect(() => scaleSimGemm({ rows: 8, cols: 0, dataflow: "os", m: 4, n: 4, k: 4 })).toThrow(/cols = 0/);
  });

  it("reports 0 % utilisation where SCALE-Sim would divide by zero (one 1-long fold on a 1x1 OS array)", () => {
    expect(scaleSimGemm({ rows: 1, cols: 1, dataflow: "os", m: 1, n: 1, k: 1 })).toMatchObject({ cycles: 0, overallUtilPercent: 0 });
  });
});

describe("the closed form equals a brute-force build of SCALE-Sim's demand matrices", () => {
  it.each(["os", "ws", "is"] as const)("%s on random small shapes and arrays (property)", (dataflow) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        (R, C, m, n, k) => {
          const ref = referenceScaleSim(R, C, dataflow, m, n, k);
          const model = scaleSimGemm({ rows: R, cols: C, dataflow, m, n, k });
          // The three demand matrices advance together, one row per cycle.
          expect(ref.filterDemandRows).toBe(ref.ifmapDemandRows);
          expect(ref.ofmapDemandRows).toBe(ref.ifmapDemandRows);
          expect(ref.demandWithinPrefetch).toBe(true);
          expect(ref.prefetchCoversOperands).toBe(true);
          expect(model.folds).toBe(ref.rowFolds * ref.colFolds);
          expect(model.cyclesPerFold * model.folds).toBe(ref.ofmapDemandRows);
          expect(model.cycles).toBe(ref.totalCycles);
          expect(model.sramReadsA).toBe(ref.ifmapReads);
          expect(model.sramReadsB).toBe(ref.filterReads);
          expect(model.sramWritesC).toBe(ref.ofmapWrites);
          // A GEMM has no holes in its operands, so the words counted are the words demanded (plus OS's extra writes).
          expect(ref.ifmapDemanded).toBe(model.sramReadsA);
          expect(ref.filterDemanded).toBe(model.sramReadsB);
          expect(ref.ofmapDemanded).toBe(model.sramWritesC - (dataflow === "os" ? model.folds * (R + C) : 0));
          expect(model.mappingEfficiencyPercent).toBeCloseTo(ref.mappingEfficiencyPercent, 9);
          expect(model.computeUtilPercent).toBeCloseTo(ref.computeUtilPercent, 9);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("agrees on the two given results too", () => {
    expect(referenceScaleSim(8, 8, "os", 64, 64, 64)).toMatchObject({ totalCycles: 4991, ifmapReads: 32_768, filterReads: 32_768, ofmapWrites: 5120 });
    expect(referenceScaleSim(32, 32, "ws", 128, 64, 256).totalCycles).toBe(3551);
  });
});

describe("SCALE-Sim topologies", () => {
  it("maps a GEMM row the way topology_utils does (M x K input, N filters of 1 x K)", () => {
    expect(gemmAsConv(128, 64, 256)).toEqual({ ifmapHeight: 128, ifmapWidth: 256, filterHeight: 1, filterWidth: 256, channels: 1, numFilters: 64, strideHeight: 1, strideWidth: 1 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (m, n, k) => {
      expect(convAsGemm(gemmAsConv(m, n, k))).toEqual({ m, n, k });
    }));
  });

  it("reads a GEMM topology with CRLF line ends, trailing commas and a blank line", () => {
    const t = parseScaleSimTopology("Layer, M, N, K,\r\nTest 1, 128, 64, 256,\r\n\r\nQKT,1024,1024,64,\r\n", "t.csv");
    expect(t.format).toBe("gemm");
    expect(t.layers.map((l) => [l.name, l.m, l.n, l.k, l.line])).toEqual([
      ["Test 1", 128, 64, 256, 2],
      ["QKT", 1024, 1024, 64, 4],
    ]);
  });

  it("reproduces SCALE-Sim v2 on a conv topology with a single stride, two strides and a depthwise layer", () => {
    const csv = [
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,",
      "Conv1, 10, 10, 3, 3, 4, 6, 1,",
      "Conv2, 9, 11, 2, 3, 3, 5, 2, 3,",
      "DPConv, 6, 6, 3, 3, 3, 1, 1,",
    ].join("\n");
    const t = parseScaleSimTopology(csv, "conv.csv");
    expect(t.format).toBe("conv");
    expect(t.layers.map((l) => [l.name, l.m, l.n, l.k])).toEqual([
      ["Conv1", 64, 6, 36],
      ["Conv2", 20, 5, 18],
      ["DPConvChannel_0", 16, 1, 9],
      ["DPConvChannel_1", 16, 1, 9],
      ["DPConvChannel_2", 16, 1, 9],
    ]);
    // SCALE-Sim v2 on an 8x8 array: [cycles, IFMAP reads, Filter reads, OFMAP writes] per layer.
    const expected: Record<Df, number[][]> = {
      os: [[399, 2304, 1728, 512], [95, 360, 270, 148], [45, 144, 18, 48], [45, 144, 18, 48], [45, 144, 18, 48]],
      ws: [[429, 2304, 216, 1920], [125, 360, 90, 300], [75, 144, 9, 32], [75, 144, 9, 32], [75, 144, 9, 32]],
      is: [[1119, 2304, 1728, 1920], [242, 360, 270, 300], [91, 144, 18, 32], [91, 144, 18, 32], [91, 144, 18, 32]],
    };
    for (const dataflow of ["os", "ws", "is"] as const) {
      const run = scaleSimTopology({ rows: 8, cols: 8, dataflow }, t.layers);
      expect(run.layers.map((l) => [l.cycles, l.sramReadsA, l.sramReadsB, l.sramWritesC])).toEqual(expected[dataflow]);
      const col = (i: number) => expected[dataflow].reduce((s, row) => s + row[i]!, 0);
      expect(run.totals).toMatchObject({ layers: 5, cycles: col(0), sramReadsA: col(1), sramReadsB: col(2), sramWritesC: col(3) });
    }
  });

  it.each([
    ["Layer, M, N, K,\nL1, 64, 64, 64\n", /t\.csv:2.*does not end with a comma/],
    ["Layer, M, N, K,\nL1, 64, x, 64,\n", /t\.csv:2 N.*"x" is not a whole number/],
    ["Layer, M, N, K,\nL1, 64, 0, 64,\n", /t\.csv:2 N/],
    ["Layer, M, N, K,\nL1, 64, 64,\n", /t\.csv:2.*found 3 field/],
    ["Layer, M, N, K,\n\n", /no layers/],
    ["a;b;c\n", /t\.csv:1.*cannot tell/],
    ["Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nC, 3, 3, 5, 5, 1, 1, 1,\n", /t\.csv:2.*filter is larger/],
  ])("refuses a bad topology with file:line and a hint (%#)", (text, message) => {
    let caught: { code?: string; where?: string; message?: string; hint?: string } | undefined;
    try {
      parseScaleSimTopology(text, "t.csv");
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe("KPU_SCALESIM_TOPOLOGY");
    expect(`${caught?.where} ${caught?.message}`).toMatch(message);
    expect(caught?.hint).toEqual(expect.any(String));
  });
});

const CFG = `[general]
run_name = scale_example_run_32x32_ws

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : ws
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: CALC
`;

describe("SCALE-Sim .cfg files", () => {
  it("reads the architecture and the run mode, case-insensitively for keys as configparser does", () => {
    const cfg = parseScaleSimConfig(CFG.replace("ArrayHeight", "arrayheight"), "a.cfg");
    expect(cfg).toEqual({
      runName: "scale_example_run_32x32_ws",
      rows: 32,
      cols: 32,
      dataflow: "ws",
      ifmapSramKb: 64,
      filterSramKb: 64,
      ofmapSramKb: 64,
      ifmapOffset: 0,
      filterOffset: 10_000_000,
      ofmapOffset: 20_000_000,
      bandwidth: [10],
      interfaceBandwidth: "CALC",
    });
  });

  it("accepts comments, `=` or `:` and continuation-free values, and reads TopologyCsvLoc without quotes", () => {
    const text = `# a comment\n${CFG}\n; another\n[network_presets]\nTopologyCsvLoc: "../topologies/t.csv"\n`;
    expect(parseScaleSimConfig(text, "a.cfg").topologyCsvLoc).toBe("../topologies/t.csv");
  });

  const bad: readonly (readonly [string, string, RegExp])[] = [
    [CFG.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER"), "KPU_SCALESIM_USER_BANDWIDTH", /a\.cfg:18 \[run_presets\] InterfaceBandwidth/],
    [CFG.replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: FAST"), "KPU_SCALESIM_CFG_VALUE", /a\.cfg:18 /],
    [CFG.replace("ArrayWidth:     32", "ArrayWidth: 32 # columns"), "KPU_SCALESIM_CFG_VALUE", /a\.cfg:6 \[architecture_presets\] ArrayWidth/],
    [CFG.replace("ArrayHeight:    32", "ArrayHeight: 0"), "KPU_SCALESIM_CFG_VALUE", /a\.cfg:5 .*ArrayHeight/],
    [CFG.replace("Dataflow : ws", "Dataflow : WS"), "KPU_SCALESIM_CFG_VALUE", /a\.cfg:14 .*Dataflow/],
    [CFG.replace("OfmapSramSzkB:   64\n", ""), "KPU_SCALESIM_CFG_MISSING", /a\.cfg:4 \[architecture_presets\] OfmapSramSzkB/],
    [CFG.replace("[run_presets]\nInterfaceBandwidth: CALC\n", ""), "KPU_SCALESIM_CFG_MISSING", /^a\.cfg$/],
    [CFG.replace("MemoryBanks:   1", "MemoryBanks:   1\nDataflow: os"), "KPU_BAD_SYNTAX", /a\.cfg:16/],
    [`ArrayHeight: 8\n${CFG}`, "KPU_BAD_SYNTAX", /a\.cfg:1/],
    [CFG.replace("MemoryBanks:   1", "MemoryBanks"), "KPU_BAD_SYNTAX", /a\.cfg:15/],
    [CFG.replace("Bandwidth : 10", "Bandwidth : ten"), "KPU_SCALESIM_CFG_VALUE", /a\.cfg:13 .*Bandwidth/],
  ];
  it.each(bad)("refuses a bad cfg with a typed error naming file:line and the key (%#)", (text, code, where) => {
    let caught: { code?: string; where?: string; hint?: string } | undefined;
    try {
      parseScaleSimConfig(text, "a.cfg");
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe(code);
    expect(caught?.where).toMatch(where);
    expect(caught?.hint).toEqual(expect.any(String));
  });
});
