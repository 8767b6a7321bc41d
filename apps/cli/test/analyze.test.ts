import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GraphBuilder, graphToJson, type Graph } from "@kpu/ir";
import { analysisLayers, hardwarePreset } from "@kpu/kpu-model";
import { costPoint, type NetworkMapResult } from "@kpu/mapper";
import { analyzeCommand } from "../src/commands/analyze/index.js";
import { kpu } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-analyze-"));

/** A small transformer block: attention (QK^T, softmax, AV) and a GELU FFN. */
function blockGraph(): Graph {
  const b = new GraphBuilder("block");
  const x = b.input("x", [16, 32]);
  const q = b.transpose(b.reshape(b.matmul(x, b.weight("wq", [32, 32])), [16, 4, 8]), [1, 0, 2]);
  const k = b.transpose(b.reshape(b.matmul(x, b.weight("wk", [32, 32])), [16, 4, 8]), [1, 2, 0]);
  const v = b.transpose(b.reshape(b.matmul(x, b.weight("wv", [32, 32])), [16, 4, 8]), [1, 0, 2]);
  const ctx = b.batchMatmul(b.softmax(b.batchMatmul(q, k), -1), v);
  const h = b.add(b.matmul(b.reshape(b.transpose(ctx, [1, 0, 2]), [16, 32]), b.weight("wo", [32, 32])), x);
  const n = b.layerNorm(h, b.weight("g", [32]), b.weight("beta", [32]));
  b.output(b.add(b.matmul(b.gelu(b.matmul(n, b.weight("w1", [32, 64]))), b.weight("w2", [64, 32])), n));
  return b.build();
}

/** The block in a kpu.graph file. */
function blockFile(): string {
  const file = join(dir, "block.json");
  writeFileSync(file, JSON.stringify(graphToJson(blockGraph())));
  return file;
}

describe("kpu analyze", () => {
  it("--json is a kpu.analysis document whose totals add up", async () => {
    const r = await kpu("analyze", blockFile(), "--hw", "edge-ai", "--json");
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as { kind: string; totals: { macs: number; params: number; cycles: number }; layers: { macs: number; cycles: number; unit: string; op: string }[] };
    expect(a.kind).toBe("kpu.analysis");
    // 4 projections 16x32x32, QK^T and AV 4 heads x 16x16x8, FFN 16x32x64 twice
    expect(a.totals.macs).toBe(4 * 16 * 32 * 32 + 2 * 4 * 16 * 16 * 8 + 2 * 16 * 32 * 64);
    expect(a.totals.params).toBe(4 * 32 * 32 + 2 * 32 + 2 * 32 * 64);
    expect(a.layers.reduce((s, l) => s + l.cycles, 0)).toBeCloseTo(a.totals.cycles, 6);
    expect(a.layers.filter((l) => l.op === "softmax" || l.op === "layer_norm").every((l) => l.unit === "vector")).toBe(true);
  });

  it("prints a table that fits an 80-column terminal, the totals and where the time goes", async () => {
    let out = "";
    await analyzeCommand(blockFile(), { hw: "edge-ai", mapper: "rule" }, { stdout: (t) => (out += t), stderr: () => undefined }, 80);
    for (const line of out.split("\n").filter((l) => l.startsWith("│") || l.startsWith("┌"))) expect(line.length).toBeLessThanOrEqual(80);
    expect(out).toMatch(/latency .* throughput .* inferences\/s/);
    expect(out).toMatch(/where the time goes: /);
  });

  it("--out writes the JSON, the layer CSV and the SVG plots", async () => {
    const out = join(dir, "out");
    const r = await kpu("analyze", "--example", "mlp", "--hw", "minimal", "--out", out);
    expect(r.code).toBe(0);
    for (const f of ["analysis.json", "layers.csv", "time-by-layer.svg", "roofline.svg"]) expect(existsSync(join(out, f)), f).toBe(true);
    const csv = readFileSync(join(out, "layers.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toMatch(/^id,op,unit,/);
    expect(csv).toHaveLength(1 + 3);
    expect(readFileSync(join(out, "roofline.svg"), "utf8")).toMatch(/^<svg/);
  });

  it("--trace writes the network's timeline: one process per compute tile, every layer in order", async () => {
    const trace = join(dir, "timeline.json");
    const r = await kpu("analyze", "--example", "mlp", "--hw", "edge-ai", "--json", "--trace", trace);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as { layers: { id: string }[]; totals: { latencyNs: number } };
    const doc = JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: { name: string; ph: string; pid: number; tid: number; dur?: number; args?: { name?: string } }[]; otherData: { kind: string } };
    expect(doc.otherData.kind).toBe("kpu.analysis.trace");
    expect(doc.traceEvents.filter((e) => e.name === "process_name").map((e) => e.args?.name)).toEqual(["compute tile 0", "compute tile 1"]);
    const layers = doc.traceEvents.filter((e) => e.ph === "X" && e.pid === 1 && e.tid === 1);
    expect(layers.map((e) => e.name)).toEqual(a.layers.map((l) => l.id));
    expect(layers.reduce((s, e) => s + e.dur!, 0)).toBeCloseTo(a.totals.latencyNs / 1000, 5);
    const human = await kpu("analyze", "--example", "mlp", "--hw", "edge-ai", "--trace", trace);
    expect(human.stdout).toMatch(/wrote the timeline of 3 layers on 2 compute tile\(s\) to .*timeline\.json/);
  });

  it("--mapper exact times every fabric layer with the exact mapper's mapping: its DRAM bytes plus the epilogue's tensors", async () => {
    const file = blockFile();
    const r = await kpu("analyze", file, "--hw", "minimal", "--mapper", "exact", "--objective", "dram", "--threads", "1", "--json");
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as { options: { mapper: string }; layers: { id: string; unit: string; mapping: { source: string; tiles: number[] }; bytes: { dram: number }; gemm?: { haloFactor: number } }[] };
    expect(a.options.mapper).toBe("exact");
    const m = await kpu("map", file, "--hw", "minimal", "--objective", "dram", "--threads", "1", "--json");
    const mapped = (JSON.parse(m.stdout) as { layers: { id: string; best: { dramBytes: number; mapping: { levels: { l1: { tile: { m: number; n: number; k: number } } } } } }[] }).layers;
    const fabric = a.layers.filter((l) => l.unit === "fabric");
    expect(fabric.map((l) => l.id)).toEqual(mapped.map((l) => l.id));
    // the epilogue's extra tensors (the residual adds) are streamed from DRAM beside the GEMM
    const extra = new Map(analysisLayers(blockGraph()).flatMap((l) => (l.unit === "fabric" ? [[l.id, l.epilogueElements * hardwarePreset("minimal").derived.elementBytes] as const] : [])));
    for (const [i, l] of fabric.entries()) {
      expect(l.mapping.source).toBe("exact");
      const t = mapped[i]!.best.mapping.levels.l1.tile;
      expect(l.mapping.tiles).toEqual([t.m, t.n, t.k]);
      expect(l.bytes.dram).toBe(mapped[i]!.best.dramBytes + extra.get(l.id)!);
    }
    expect([...extra.values()].some((x) => x > 0)).toBe(true);
  });

  it("--mapper exact on convs: every boundary's bytes are the mapper's (A scaled by the tile's halo) plus the epilogue's", async () => {
    // two convs of one GEMM shape (144 x 16 x 72) but different geometry (dilation 2 reads a wider halo), and the
    // residual add fused into the second as an extra tensor
    const b = new GraphBuilder("convs");
    const x = b.input("x", [1, 8, 12, 12]);
    const near = b.conv2d(x, b.weight("w1", [16, 8, 3, 3]), { padding: [1, 1, 1, 1], id: "near" });
    const far = b.conv2d(x, b.weight("w2", [16, 8, 3, 3]), { padding: [2, 2, 2, 2], dilation: [2, 2], id: "far" });
    b.output(b.add(far, near));
    const graph = b.build();
    const file = join(dir, "convs.json");
    writeFileSync(file, JSON.stringify(graphToJson(graph)));
    const hw = hardwarePreset("minimal");
    for (const objective of ["dram", "latency"]) {
      const r = await kpu("analyze", file, "--hw", "minimal", "--mapper", "exact", "--objective", objective, "--threads", "1", "--json");
      expect(r.code).toBe(0);
      type Bytes = { dram: number; l3: number; l2: number };
      const a = JSON.parse(r.stdout) as { layers: { id: string; unit: string; mapping: { source: string }; bytes: Bytes; gemm: { m: number; n: number; k: number; haloFactor: number } }[] };
      const m = await kpu("map", file, "--hw", "minimal", "--objective", objective, "--threads", "1", "--json");
      const mapped = JSON.parse(m.stdout) as NetworkMapResult;
      expect(mapped.totals.distinctShapes).toBe(2);
      const fabric = new Map(analysisLayers(graph).flatMap((l) => (l.unit === "fabric" ? [[l.id, l] as const] : [])));
      const layers = a.layers.filter((l) => l.unit === "fabric");
      expect(layers.map((l) => l.id).sort()).toEqual(["far", "near"]);
      for (const l of layers) {
        const mine = mapped.layers.find((x) => x.id === l.id)!;
        const layer = fabric.get(l.id)!;
        const extra = layer.epilogueElements * hw.derived.elementBytes;
        expect(l.mapping.source).toBe("exact");
        expect([l.gemm.m, l.gemm.n, l.gemm.k]).toEqual([144, 16, 72]);
        expect(l.gemm.haloFactor).toBeLessThan(1);
        // the mapper's DRAM bytes, and its cost model's L3 and L2 bytes for the chosen point, are what analyze times
        const mp = mine.best.mapping;
        const lv = mp.levels;
        const cost = costPoint(hw, { ...layer.gemm, conv: layer.conv! }, { grid: mp.grid, tile: lv.l1.tile, order: lv.l1.order, dataflow: mp.fabric.dataflow, buffers: [lv.l1.buffers, lv.l2.buffers, lv.l3.buffers] });
        expect(cost.haloFactor).toBe(l.gemm.haloFactor);
        expect(cost.dramBytes).toBe(mine.best.dramBytes);
        const close = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThan(1e-12);
        close(l.bytes.dram, mine.best.dramBytes + extra);
        close(l.bytes.l3, cost.levelBytes.l3 + extra);
        close(l.bytes.l2, cost.levelBytes.l2 + extra);
      }
      expect([...fabric.values()].some((l) => l.epilogueElements > 0)).toBe(true);
    }
  });

  it("warns of flags that do nothing, refuses decode without a context", async () => {
    const objective = await kpu("analyze", "--example", "mlp", "--objective", "energy", "--json");
    expect(objective.code).toBe(0);
    expect(objective.stderr).toMatch(/warning: --objective has no effect without --mapper exact/);
    const batch = await kpu("analyze", "--example", "mlp", "--batch", "4", "--json");
    expect(batch.code).toBe(0);
    expect(batch.stderr).toMatch(/warning: --batch has no effect on --example mlp/);
    const decode = await kpu("analyze", "--example", "gpt2", "--phase", "decode", "--json");
    expect(decode.code).toBe(2);
    expect(decode.stderr).toMatch(/--context/);
    const hw = await kpu("analyze", "--example", "mlp", "--hw", "nope");
    expect(hw.code).toBe(2);
    expect(hw.stderr).toMatch(/KPU_HW_UNKNOWN_PRESET/);
  });
  it("analyses the workload library: published parameter counts and MACs (ResNet-50, LLaMA-3-8B)", async () => {
    const totals = async (...args: string[]): Promise<{ params: number; macs: number; throughput: { unit: string } }> => {
      const r = await kpu("analyze", ...args, "--json");
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { totals: { params: number; macs: number; throughput: { unit: string } } }).totals;
    };
    // He et al. 2016 / torchvision: 25,557,032 parameters, 4.09 GMACs at 224x224
    const resnet = await totals("--example", "resnet50", "--hw", "edge-ai");
    expect(Math.abs(resnet.params / 25_557_032 - 1)).toBeLessThan(0.001);
    expect(Math.abs(resnet.macs / 4.09e9 - 1)).toBeLessThan(0.01);
    // Meta-Llama-3-8B: 8.03 B parameters; prefill MACs ~ params x tokens plus attention (QK^T and AV: 2 x L x S^2 x d)
    const llama = await totals("--example", "llama3-8b", "--seq", "64", "--hw", "datacenter");
    expect(Math.abs(llama.params / 8.03e9 - 1)).toBeLessThan(0.001);
    const attention = 2 * 32 * 64 * 64 * 4096;
    expect(Math.abs(llama.macs / (8_030_261_248 * 64 - 128256 * 4096 * 64 + attention) - 1)).toBeLessThan(0.01);
    expect(llama.throughput.unit).toBe("tokens/s");
  });
});
