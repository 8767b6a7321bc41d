import { EXAMPLES, LOOP_ORDERS, bertLayerExample } from "@kpu/ir";
import { describe, expect, it } from "vitest";
import { estimateUops, fuseGraph, lowerProgram, tileGraph } from "../src/index.js";

describe("estimateUops", () => {
  it("equals the number of micro-ops lowering emits, for every order, with and without fusion", () => {
    for (const graph of [EXAMPLES.mlp(), bertLayerExample(96)]) {
      for (const fused of [graph, fuseGraph(graph)]) {
        for (const tile of [16, 32, 48]) {
          const tiled = tileGraph(fused, { tile });
          const estimate = estimateUops(tiled);
          expect(estimate).toBeGreaterThan(0);
          for (const order of LOOP_ORDERS) expect(lowerProgram(tiled, order, { block: { m: 3, n: 2 } }).uops.length).toBe(estimate);
        }
      }
    }
  });
});
