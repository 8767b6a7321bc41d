import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isKpuError, tensorMap, type Conv2dOp } from "@kpu/ir";
import { fromScaleSimTopology, networkFileKind, networkFromText } from "@kpu/models";
import { countMacs, countParams } from "./count.js";

const CONV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";

describe("SCALE-Sim topologies as graphs", () => {
  it("a conv row is an unpadded batch-1 conv2d on its own input; a DP row is depthwise (groups = channels)", () => {
    const csv = `${CONV_HEADER}\nConv1, 224, 224, 3, 3, 3, 32, 2,\nConv2 DP, 112, 112, 3, 3, 32, 1, 1,\nFC, 1, 1, 1, 1, 1024, 1000, 1,\n`;
    const g = fromScaleSimTopology(csv, "nets/mobilenet.csv");
    expect(g.name).toBe("mobilenet");
    const t = tensorMap(g);
    // (224 - 3) / 2 + 1 = 111 (floor): no padding.
    expect(t.get("Conv1.ofmap")!.shape).toEqual([1, 32, 111, 111]);
    expect(t.get("Conv1.ifmap")!.weight).toBeUndefined();
    expect(t.get("Conv1.filter")).toMatchObject({ shape: [32, 3, 3, 3], weight: true });
    const dp = g.ops.find((o) => o.id === "Conv2 DP.ofmap") as Conv2dOp;
    expect(dp.groups).toBe(32);
    expect(dp.padding).toEqual([0, 0, 0, 0]);
    expect(t.get("Conv2 DP.ofmap")!.shape).toEqual([1, 32, 110, 110]);
    // Every layer is independent: every output is a graph output, no op reads another's output.
    expect(g.outputs).toEqual(["Conv1.ofmap", "Conv2 DP.ofmap", "FC.ofmap"]);
    expect(countParams(g)).toBe(32 * 27 + 32 * 9 + 1024 * 1000);
  });

  it("has the MACs SCALE-Sim runs: per layer OH*OW x filters x FH*FW*C, summed over a DP layer's channels", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ h: fc.integer({ min: 3, max: 40 }), w: fc.integer({ min: 3, max: 40 }), f: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 6 }), s: fc.integer({ min: 1, max: 3 }), dp: fc.boolean() }),
          { minLength: 1, maxLength: 4 },
        ),
        (layers) => {
          const rows = layers.map((l, i) => `L${i}${l.dp ? " DP" : ""}, ${l.h}, ${l.w}, ${l.f}, ${l.f}, ${l.c}, ${l.n}, ${l.s},`);
          const g = fromScaleSimTopology([CONV_HEADER, ...rows].join("\n"), "p.csv");
          let expected = 0;
          for (const l of layers) {
            const pixels = (Math.floor((l.h - l.f) / l.s) + 1) * (Math.floor((l.w - l.f) / l.s) + 1);
            // SCALE-Sim runs a DP layer as one layer per channel, each with one channel and all n filters.
            expected += l.dp ? l.c * pixels * l.n * l.f * l.f : pixels * l.n * l.f * l.f * l.c;
          }
          expect(countMacs(g)).toBe(expected);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a GEMM row (M, N, K) is A[M, K] x B[K, N]; repeated names get their line", () => {
    const g = fromScaleSimTopology("Layer, M, N, K,\nQKT, 1024, 1024, 64,\nQKT, 8, 16, 32,\n", "attn.csv");
    const t = tensorMap(g);
    expect(t.get("QKT.a")!.shape).toEqual([1024, 64]);
    expect(t.get("QKT.b")!.shape).toEqual([64, 1024]);
    expect(t.get("QKT@3.out")!.shape).toEqual([8, 16]);
    expect(countMacs(g)).toBe(1024 * 1024 * 64 + 8 * 16 * 32);
  });

  it("bad rows are the parser's errors, naming the file and line", () => {
    try {
      fromScaleSimTopology(`${CONV_HEADER}\nC1, 4, 4, 5, 5, 1, 1, 1,\n`, "bad.csv");
      expect.unreachable();
    } catch (e) {
      expect(isKpuError(e) && e.code).toBe("KPU_SCALESIM_TOPOLOGY");
      expect((e as { where: string }).where).toBe("bad.csv:2");
    }
  });
});

describe("networkFromText: one entry for every text model format", () => {
  it("tells graphs, Hugging Face configs and topologies apart", () => {
    expect(networkFileKind("a.onnx", "")).toBe("onnx");
    expect(networkFileKind("t.CSV", "")).toBe("topology");
    expect(networkFileKind("g.json", '{"kind":"kpu.graph"}')).toBe("graph");
    expect(networkFileKind("config.json", '{"model_type":"gpt2"}')).toBe("hf-config");
    const gpt = JSON.stringify({ model_type: "gpt2", n_embd: 8, n_layer: 1, n_head: 2, n_positions: 16, vocab_size: 10 });
    expect(networkFromText(gpt, "config.json", { seq: 4 }).name).toBe("gpt2-s4-b1");
    expect(networkFromText("Layer, M, N, K,\nA, 2, 3, 4,\n", "t.csv").ops).toHaveLength(1);
  });

  it("refuses JSON that is neither, and malformed JSON, naming the file", () => {
    for (const [text, code] of [
      ['{"layers": 3}', "KPU_MODEL_FORMAT"],
      ["[1, 2]", "KPU_MODEL_FORMAT"],
      ["{", "KPU_BAD_SYNTAX"],
    ] as const) {
      try {
        networkFromText(text, "m.json");
        expect.unreachable();
      } catch (e) {
        expect(isKpuError(e) && e.code).toBe(code);
        expect((e as { where: string }).where).toBe("m.json");
      }
    }
  });
});
