import { describe, expect, it } from "vitest";
import { graphToJson, isKpuError, parseGraphJson, tensorMap } from "@kpu/ir";
import { EXAMPLE_NAMES, MODEL_EXAMPLES, buildExample } from "@kpu/models";
import { countMacs } from "./count.js";

describe("the example registry", () => {
  it("lists the seed examples and the workload library", () => {
    expect(EXAMPLE_NAMES).toEqual(["mlp", "bert-layer", "resnet50", "mobilenet_v2", "vit-b16", "bert-base", "gpt2", "llama3-8b"]);
    for (const name of EXAMPLE_NAMES) expect(MODEL_EXAMPLES[name]!.source.length).toBeGreaterThan(0);
  });

  it("an unknown name is KPU_BAD_FLAG at --example listing every name", () => {
    try {
      buildExample("resnet");
      expect.unreachable();
    } catch (e) {
      expect(isKpuError(e) && e.code).toBe("KPU_BAD_FLAG");
      expect((e as { hint: string }).hint).toBe(`Use one of: ${EXAMPLE_NAMES.join(", ")}.`);
    }
    expect(() => buildExample("constructor")).toThrow(/unknown example/);
  });

  it("every network round-trips through the kpu.graph JSON format", () => {
    for (const name of EXAMPLE_NAMES.filter((n) => n !== "llama3-8b")) {
      const g = buildExample(name);
      const back = parseGraphJson(JSON.stringify(graphToJson(g)), name);
      expect(countMacs(back), name).toBe(countMacs(g));
      expect(back.ops.length, name).toBe(g.ops.length);
    }
  });

  it("batch scales the CNNs' MACs and not their parameters", () => {
    const one = buildExample("resnet50");
    const four = buildExample("resnet50", { batch: 4 });
    expect(countMacs(four)).toBe(4 * countMacs(one));
    expect(tensorMap(four).get("pixels")!.shape).toEqual([4, 3, 224, 224]);
    expect(tensorMap(buildExample("vit-b16", { batch: 2 })).get("classifier.out")!.shape).toEqual([2, 1000]);
  });
});
