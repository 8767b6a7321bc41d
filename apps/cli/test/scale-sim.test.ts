import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu, kpuProcess } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-scalesim-"));

const cfg = (dataflow: string, rows = 32, cols = 32, mode = "CALC") => `[general]
run_name = cli_test

[architecture_presets]
ArrayHeight:    ${rows}
ArrayWidth:     ${cols}
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : ${dataflow}
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: ${mode}
`;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Counts {
  cycles: number;
  sramReadsA: number;
  sramReadsB: number;
  sramWritesC: number;
}

describe("kpu fabric --model scale-sim", () => {
  it("reproduces SCALE-Sim v2 for 64x64x64 on 8x8 OS: 4,991 cycles, 32,768 + 32,768 reads, 5,120 writes", async () => {
    const r = await kpu("fabric", "--model", "scale-sim", "--rows", "8", "--cols", "8", "--dataflow", "os", "--m", "64", "--n", "64", "--k", "64", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ model: "scale-sim", cycles: 4991, sramReadsA: 32_768, sramReadsB: 32_768, sramWritesC: 5120 });
  });

  it("reproduces SCALE-Sim v2 for M=128 N=64 K=256 on 32x32 WS: 3,551 cycles", async () => {
    const r = await kpu("fabric", "--model", "scale-sim", "--rows", "32", "--cols", "32", "--dataflow", "ws", "--m", "128", "--n", "64", "--k", "256");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3,551 total cycles");
    expect(r.stdout).toContain("reads A (IFMAP)");
  });

  it("keeps our own model as the default", async () => {
    const args = ["fabric", "--rows", "8", "--cols", "8", "--m", "64", "--n", "64", "--k", "64", "--json"];
    const ours = JSON.parse((await kpu(...args)).stdout) as Counts;
    const explicit = JSON.parse((await kpu(...args, "--model", "kpu")).stdout) as Counts;
    expect(ours.cycles).toBe(64 * (2 * 8 + 8 + 64 - 2));
    expect(explicit).toEqual(ours);
  });

  it("refuses --trace with the scale-sim model and missing sizes, with exit code 2", async () => {
    const trace = await kpu("fabric", "--model", "scale-sim", "--rows", "4", "--cols", "4", "--m", "4", "--n", "4", "--k", "4", "--trace");
    expect(trace.code).toBe(2);
    expect(trace.stderr).toMatch(/^error KPU_USAGE at --trace: /);
    const missing = await kpu("fabric", "--model", "scale-sim", "--rows", "4", "--cols", "4", "--m", "4", "--n", "4");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error KPU_USAGE at --k: --k is required/);
  });
});

describe("kpu fabric --scale-sim-config a.cfg --topology t.csv", () => {
  const gemmCsv = write("gemm.csv", "Layer, M, N, K,\nTest 1, 128, 64, 256,\nOdd, 100, 45, 77,\n");

  it("runs every layer with the cfg's array and dataflow and totals them (JSON)", async () => {
    const r = await kpu("fabric", "--scale-sim-config", write("ws.cfg", cfg("ws")), "--topology", gemmCsv, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { layers: (Counts & { name: string })[]; totals: Counts & { layers: number } };
    // SCALE-Sim v2 on 32x32 WS: 3,551 and 1,163 cycles.
    expect(doc.layers).toEqual([
      expect.objectContaining({ name: "Test 1", cycles: 3551, sramReadsA: 65_536, sramReadsB: 16_384, sramWritesC: 65_536 }),
      expect.objectContaining({ name: "Odd", cycles: 1163, sramReadsA: 15_400, sramReadsB: 3465, sramWritesC: 13_500 }),
    ]);
    expect(doc.totals).toMatchObject({ layers: 2, cycles: 3551 + 1163, sramReadsA: 65_536 + 15_400, sramReadsB: 16_384 + 3465, sramWritesC: 65_536 + 13_500 });
  });

  it("prints a per-layer table with a totals row", async () => {
    const r = await kpu("fabric", "--scale-sim-config", write("os.cfg", cfg("os")), "--topology", gemmCsv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/32x32 OS array, 2 layer\(s\)/);
    expect(r.stdout).toMatch(/Test 1.*128x64x256.*2,543/);
    expect(r.stdout).toMatch(/Odd.*100x45x77.*1,111/);
    expect(r.stdout).toMatch(/total.*3,654/);
  });

  it("reads SCALE-Sim's convolution format, splitting a depthwise layer per channel", async () => {
    const conv = write(
      "conv.csv",
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv1, 10, 10, 3, 3, 4, 6, 1,\nDPConv, 6, 6, 3, 3, 3, 1, 1,\n",
    );
    const r = await kpu("fabric", "--scale-sim-config", write("is8.cfg", cfg("is", 8, 8)), "--topology", conv, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { layers: (Counts & { name: string })[]; totals: Counts };
    expect(doc.layers.map((l) => [l.name, l.cycles])).toEqual([
      ["Conv1", 1119],
      ["DPConvChannel_0", 91],
      ["DPConvChannel_1", 91],
      ["DPConvChannel_2", 91],
    ]);
    expect(doc.totals.cycles).toBe(1119 + 3 * 91);
  });

  it("refuses InterfaceBandwidth USER with one line naming file:line and a hint (exit 2)", async () => {
    const file = write("user.cfg", cfg("ws", 32, 32, "USER"));
    const r = await kpu("fabric", "--scale-sim-config", file, "--topology", gemmCsv);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `error KPU_SCALESIM_USER_BANDWIDTH at ${file}:18 [run_presets] InterfaceBandwidth: InterfaceBandwidth USER (a given DRAM bandwidth, with stalls) is not modelled; only stall-free CALC is`,
    );
    expect(r.stderr).toMatch(/hint: .*CALC/);
  });

  it("names the topology line and column of a bad value", async () => {
    const bad = write("bad.csv", "Layer, M, N, K,\nL1, 64, 64, 64,\nL2, 64, sixty, 64,\n");
    const r = await kpu("fabric", "--scale-sim-config", write("ws2.cfg", cfg("ws")), "--topology", bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error KPU_SCALESIM_TOPOLOGY at ${bad}:3 N: "sixty" is not a whole number >= 1`);
  });

  it("needs both files and no per-GEMM flags", async () => {
    const config = write("ws3.cfg", cfg("ws"));
    const noTopology = await kpu("fabric", "--scale-sim-config", config);
    expect(noTopology.code).toBe(2);
    expect(noTopology.stderr).toMatch(/--scale-sim-config needs --topology/);
    const extra = await kpu("fabric", "--scale-sim-config", config, "--topology", gemmCsv, "--dataflow", "os");
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^error KPU_USAGE at --dataflow: /);
    const kpuModel = await kpu("fabric", "--scale-sim-config", config, "--topology", gemmCsv, "--model", "kpu");
    expect(kpuModel.code).toBe(2);
  });

  it("exits 2 from a real process on a bad cfg", () => {
    const file = write("bad.cfg", cfg("ws").replace("ArrayHeight:    32", "ArrayHeight: 32 # rows"));
    const r = kpuProcess("fabric", "--scale-sim-config", file, "--topology", gemmCsv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error KPU_SCALESIM_CFG_VALUE at ${file}:5 [architecture_presets] ArrayHeight`);
  });
});
