import { describe, expect, it } from "vitest";
import { GraphBuilder, type Graph } from "@kpu/ir";
import { lowerToLayers, type FabricLayer } from "@kpu/passes";
import { analyzeGraph, buildMapping, hardwarePreset, ruleMapping, timeGemm, validateHardware, HARDWARE_PRESETS, type Analysis, type MappingRule } from "../src/index.js";
import { decoder, resnet50, type DecoderConfig } from "./networks.js";

const edge = hardwarePreset("edge-ai");

/** A small CNN: conv + bias + relu, a depthwise conv, a strided pointwise conv, pooling and a classifier. */
function smallCnn(): Graph {
  const b = new GraphBuilder("small-cnn");
  const x = b.input("x", [2, 3, 32, 32]);
  let y = b.relu(b.add(b.conv2d(x, b.weight("c1.w", [16, 3, 3, 3]), { padding: [1, 1, 1, 1], id: "c1" }), b.weight("c1.b", [1, 16, 1, 1])));
  y = b.conv2d(y, b.weight("dw.w", [16, 1, 3, 3]), { groups: 16, stride: [2, 2], padding: [1, 1, 1, 1], id: "dw" });
  y = b.clip(y, 0, 6, { id: "relu6" });
  y = b.conv2d(y, b.weight("pw.w", [32, 16, 1, 1]), { stride: [2, 2], id: "pw" });
  y = b.maxPool(y, [2, 2], { stride: [2, 2], id: "pool" });
  const f = b.flatten(b.globalAvgPool(y, { id: "gap" }), 1, { id: "flat" });
  b.output(b.biasAdd(b.matmul(f, b.weight("fc.w", [32, 10]), { id: "fc" }), b.weight("fc.b", [10])));
  return b.build();
}

const tiny: DecoderConfig = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, vocab: 100 };

const byId = (a: Analysis, id: string) => a.layers.find((l) => l.id === id)!;

describe("kpu analyze: the per-layer account", () => {
  it("counts each layer's MACs by the closed forms and the parameters as the weights' elements", () => {
    const a = analyzeGraph(smallCnn(), edge);
    // c1: 2 images x 16 channels x 32 x 32 outputs x 3 x 3 x 3 taps
    expect(byId(a, "c1").macs).toBe(2 * 16 * 32 * 32 * 27);
    // dw: depthwise, stride 2 -> 16 x 16 outputs, 9 taps of one channel each
    expect(byId(a, "dw").macs).toBe(2 * 16 * 16 * 16 * 9);
    // pw: 1x1 stride 2 on 16x16 -> 8x8, 16 input channels
    expect(byId(a, "pw").macs).toBe(2 * 32 * 8 * 8 * 16);
    expect(byId(a, "fc").macs).toBe(2 * 32 * 10);
    expect(a.totals.params).toBe(16 * 27 + 16 + 16 * 9 + 32 * 16 + 32 * 10 + 10);
    // the epilogues: bias + relu into c1, the clip into dw, the bias into fc
    expect(byId(a, "c1").fused).toEqual(["add", "relu"]);
    expect(byId(a, "dw").fused).toEqual(["clip"]);
    expect(byId(a, "fc").op).toBe("fused_matmul");
  });

  it("counts attention's QK^T and AV with grouped-query heads", () => {
    const seq = 16;
    const a = analyzeGraph(decoder(tiny, seq, "tiny"), edge, { phase: "prefill", seq });
    const d = tiny.hidden / tiny.heads;
    const perBlock = seq * tiny.hidden * (tiny.hidden * 2 + 2 * tiny.kvHeads * d) + 3 * seq * tiny.hidden * tiny.ffn + 2 * tiny.heads * seq * seq * d;
    expect(a.totals.macs).toBe(tiny.layers * perBlock + seq * tiny.hidden * tiny.vocab);
    const qk = a.layers.filter((l) => l.op === "batch_matmul");
    expect(qk).toHaveLength(2 * tiny.layers);
    expect(qk[0]!.gemm).toMatchObject({ m: (tiny.heads / tiny.kvHeads) * seq, n: seq, k: d, batch: tiny.kvHeads });
    expect(a.totals.throughput.unit).toBe("tokens/s");
    expect(a.totals.throughput.value).toBeCloseTo((seq * 1e9) / a.totals.latencyNs, 6);
  });

  it("times a vector layer as its ops over the lanes, or its bytes over the slowest level (hand calculation)", () => {
    const b = new GraphBuilder("v");
    const s = b.softmax(b.input("x", [4, 64]), -1, { id: "softmax" });
    b.output(b.relu(b.input("big", [1024, 1024]), { id: "relu" }));
    b.output(s);
    const a = analyzeGraph(b.build(), edge);
    // edge-ai: 2 tiles x 16 lanes at the fabric clock: 32 add/mul or reduce, 8 transcendentals per cycle.
    // softmax [4, 64]: 512 alu / 32 + 260 exp and reciprocals / 8 + 512 reduce / 32 = 64.5 cycles; its 2 KiB move
    // at 64 B per fabric cycle (DRAM 128 GB/s at 2 GHz) in 32 cycles, so the vector unit bounds it
    const soft = byId(a, "softmax");
    expect(soft.cycles).toBeCloseTo(64.5, 9);
    expect(soft.bound).toBe("vector");
    expect(soft.vectorUtilization).toBe(1);
    // relu on 1 Mi elements: 32,768 vector cycles, but 8 MiB through DRAM at 64 B per cycle is 131,072
    const relu = byId(a, "relu");
    expect(relu.cycles).toBe(131072);
    expect(relu.bound).toBe("dram");
    expect(relu.bytes).toEqual({ dram: 8 * 2 ** 20, l3: 8 * 2 ** 20, l2: 8 * 2 ** 20, l1: 0 });
    // energy: bytes x pJ/B per level + ops x pJ/op
    expect(relu.energyPj).toBeCloseTo(8 * 2 ** 20 * (200 + 10 + 5) + 2 ** 20 * 0.1, 3);
  });

  it("totals are the sums of the layers", () => {
    const a = analyzeGraph(smallCnn(), edge);
    const sum = (f: (l: Analysis["layers"][number]) => number) => a.layers.reduce((s, l) => s + f(l), 0);
    expect(a.totals.cycles).toBeCloseTo(sum((l) => l.cycles), 6);
    expect(a.totals.latencyNs).toBeCloseTo(sum((l) => l.latencyNs), 6);
    expect(a.totals.energyPj).toBeCloseTo(sum((l) => l.energyPj), 3);
    expect(a.totals.dramBytes).toBeCloseTo(sum((l) => l.bytes.dram), 3);
    expect(a.totals.macs).toBe(sum((l) => l.macs));
    const byBound = Object.values(a.totals.cyclesByBound).reduce((s, c) => s + c, 0);
    expect(byBound).toBeCloseTo(a.totals.cycles, 6);
    expect(a.totals.fabricUtilization).toBeCloseTo(a.totals.macs / (a.totals.cycles * edge.derived.peakMacsPerCycle), 12);
  });

  it("never moves fewer DRAM bytes than the compulsory ones: each input element the layer needs once, the output once", () => {
    for (const hw of ["minimal", "edge-ai", "datacenter"].map((n) => hardwarePreset(n))) {
      const a = analyzeGraph(smallCnn(), hw);
      const eb = 4;
      // conv inputs read: c1 all of x; dw all of its input (3x3 pad 1 stride 2 touches every element); pw (1x1,
      // stride 2) only the even rows and columns: 2 x 16 x 8 x 8
      const compulsory: Record<string, number> = {
        c1: (2 * 3 * 32 * 32 + 16 * 27 + 16 + 2 * 16 * 32 * 32) * eb,
        dw: (2 * 16 * 32 * 32 + 16 * 9 + 2 * 16 * 16 * 16) * eb,
        pw: (2 * 16 * 8 * 8 + 32 * 16 + 2 * 32 * 8 * 8) * eb,
        fc: (2 * 32 + 32 * 10 + 10 + 2 * 10) * eb,
      };
      for (const [id, bytes] of Object.entries(compulsory)) expect(byId(a, id).bytes.dram, `${hw.name} ${id}`).toBeGreaterThanOrEqual(bytes * (1 - 1e-9));
      for (const l of a.layers) expect(l.cycles).toBeGreaterThanOrEqual(l.macs / hw.derived.peakMacsPerCycle - 1e-9);
    }
  });

  it("times identical layers once: two decoder blocks cost what one does, twice", () => {
    const cache = new Map();
    const one = analyzeGraph(decoder({ ...tiny, layers: 1 }, 16), edge, { cache });
    const entries = cache.size;
    const two = analyzeGraph(decoder(tiny, 16), edge, { cache });
    expect(cache.size).toBe(entries);
    // one = embedding + block + final norm + head; two has one block more
    const outside = one.layers[0]!.cycles + one.layers.at(-2)!.cycles + one.layers.at(-1)!.cycles;
    expect(two.totals.cycles - one.totals.cycles).toBeCloseTo(one.totals.cycles - outside, 6);
    expect(two.layers.length - one.layers.length).toBe(one.layers.length - 3);
  });

  it("ResNet-50 (the README's benchmark network) fuses to 57 layers with torchvision's MACs and BN-folded parameters", () => {
    const a = analyzeGraph(resnet50(), edge);
    expect(a.layers).toHaveLength(57);
    // torchvision: 4.09 GMACs, 25,557,032 parameters of which 26,560 are batch-norm channels beyond the folded bias
    expect(a.totals.macs).toBe(4_089_184_256);
    expect(a.totals.params).toBe(25_557_032 - 26_560);
  });

  it("times a GEMM too large for one event simulation as slabs of N that add up", () => {
    const hw = hardwarePreset("minimal");
    // a rule that asks for 1x1x1 tiles above 64 columns: 128^3 such steps are more than the simulation keeps
    const rule: MappingRule = (h, g) => (g.n > 64 ? { mapping: buildMapping(h, g, { tiles: { m: 1, n: 1, k: 1 } }), source: "test", why: "tiny tiles" } : ruleMapping(h, g));
    const b = new GraphBuilder("g");
    b.output(b.matmul(b.input("x", [128, 128]), b.weight("w", [128, 128])));
    const [layer] = lowerToLayers(b.build()) as [FabricLayer];
    const t = timeGemm(hw, layer, rule);
    expect(t.slabs).toBe(2);
    expect(t.macs).toBe(128 ** 3);
    expect(t.choice.why).toMatch(/timed as 2 slabs of n/);
    // each slab is the 128x64x128 GEMM timed on its own
    const half = timeGemm(hw, { ...layer, gemm: { ...layer.gemm, n: 64 } }, rule);
    expect(t.cycles).toBeCloseTo(2 * half.cycles, 6);
    expect(t.bytes.dram).toBeCloseTo(2 * half.bytes.dram, 6);
  });

  it("analyses on a version-1 hardware file with the default vector unit", () => {
    const { vector: _v, ...rest } = structuredClone(HARDWARE_PRESETS["edge-ai"]!);
    const v1 = validateHardware({ ...rest, schemaVersion: 1 }, "v1.json");
    const a = analyzeGraph(smallCnn(), v1);
    expect(a.totals.cycles).toBeGreaterThan(0);
    expect(a.hardware).toBe("edge-ai");
  });

  it("has the kpu.analysis shape the HTML report reads", () => {
    const a = analyzeGraph(smallCnn(), edge, { model: { name: "small-cnn", source: "test" } });
    expect(Object.keys(a)).toEqual(["kind", "schemaVersion", "model", "hardware", "options", "totals", "layers"]);
    expect(a).toMatchObject({ kind: "kpu.analysis", schemaVersion: 2, model: { name: "small-cnn", source: "test" }, hardware: "edge-ai", options: { mapper: "rule" } });
    for (const key of ["params", "macs", "cycles", "latencyNs", "energyPj", "dramBytes", "throughput", "fabricUtilization", "vectorUtilization"]) expect(a.totals).toHaveProperty(key);
    for (const l of a.layers) {
      for (const key of ["id", "op", "inputShapes", "outputShape", "macs", "unit", "mapping", "cycles", "engineCycles", "latencyNs", "fabricUtilization", "vectorUtilization", "bytes", "energyPj", "bound", "roofline"]) expect(l).toHaveProperty(key);
      expect(["fabric", "vector", "none"]).toContain(l.unit);
      expect(["fabric", "vector", "dram", "l3", "l2", "none"]).toContain(l.bound);
      expect(Object.keys(l.bytes)).toEqual(["dram", "l3", "l2", "l1"]);
      expect(l.roofline.attained).toBeLessThanOrEqual(l.roofline.peak * (1 + 1e-9) + (l.bytes.dram === 0 ? Infinity : 0));
    }
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });
});
