/**
 * What ranking convs by their halo traffic changes on ResNet-50 (edge-ai), per objective: the mapper run twice, once
 * with every conv as its dense GEMM (the mapper before the halo was in its space) and once with its geometry; the
 * convs whose chosen mapping changes; the mapper's own totals; and both choices timed by `kpu analyze`'s model
 * (`analyzeGraph`, which scales A by the halo either way): the fabric layers' DRAM bytes, cycles and energy.
 * `pnpm --filter @kpu/mapper bench:halo` (sources) or `bench:halo:built`.
 */
import { analysisLayers, analyzeGraph, hardwarePreset, ruleMapping, type MappingRule } from "@kpu/kpu-model";
import { buildExample } from "@kpu/models";
import { OBJECTIVES, exactMappingRule, mapNetwork, type NetworkGemm, type NetworkMapResult } from "@kpu/mapper";

const hw = hardwarePreset("edge-ai");
const graph = buildExample("resnet50", {});
const fabric = analysisLayers(graph).flatMap((l) => (l.unit === "fabric" ? [l] : []));
const withConv: NetworkGemm[] = fabric.map((l) => ({ id: l.id, op: l.op, ...l.gemm, ...(l.conv === undefined ? {} : { conv: l.conv }) }));
const dense: NetworkGemm[] = fabric.map((l) => ({ id: l.id, op: l.op, ...l.gemm }));
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(2)}%`;

/** The fabric layers' totals as kpu analyze times them under a network mapping (a dense one answers by shape alone). */
function analyzed(net: NetworkMapResult, byShapeOnly: boolean): { dram: number; cycles: number; energy: number; worst: number } {
  const exact = exactMappingRule(net, ruleMapping);
  const rule: MappingRule = byShapeOnly ? (h, g) => exact(h, { m: g.m, n: g.n, k: g.k }) : exact;
  const a = analyzeGraph(graph, hw, { mapper: { name: "exact", rule } });
  const layers = a.layers.filter((l) => l.unit === "fabric");
  // the layer's DRAM bytes against the mapper's plus the epilogue's extra tensors: the largest relative difference
  const worst = Math.max(...layers.map((l, i) => Math.abs(l.bytes.dram - (net.layers[i]!.best.dramBytes + fabric[i]!.epilogueElements * hw.derived.elementBytes)) / l.bytes.dram));
  return { dram: layers.reduce((s, l) => s + l.bytes.dram, 0), cycles: layers.reduce((s, l) => s + l.cycles, 0), energy: layers.reduce((s, l) => s + l.energyPj, 0), worst };
}

console.log(`ResNet-50 on edge-ai: ${fabric.length} fabric layers, ${fabric.filter((l) => l.conv !== undefined).length} convs`);
for (const objective of OBJECTIVES) {
  const before = await mapNetwork(dense, hw, { objective, threads: 1 });
  const after = await mapNetwork(withConv, hw, { objective, threads: 1 });
  const changed = after.layers.filter((l, i) => l.op === "conv2d" && JSON.stringify(l.best.mapping) !== JSON.stringify(before.layers[i]!.best.mapping));
  const a0 = analyzed(before, true);
  const a1 = analyzed(after, false);
  console.log(
    `${objective}: ${changed.length} convs change their mapping (${changed.map((l) => l.id).join(", ") || "none"}); ` +
      `kpu map totals: DRAM ${fmt(before.totals.dramBytes)} dense -> ${fmt(after.totals.dramBytes)} with the halo, cycles ${fmt(before.totals.cycles)} -> ${fmt(after.totals.cycles)}, ` +
      `${before.totals.distinctShapes} -> ${after.totals.distinctShapes} searches; kpu analyze, fabric layers: DRAM ${fmt(a0.dram)} -> ${fmt(a1.dram)} (${pct(a0.dram, a1.dram)}), ` +
      `cycles ${fmt(a0.cycles)} -> ${fmt(a1.cycles)} (${pct(a0.cycles, a1.cycles)}), energy ${fmt(a0.energy / 1e6)} -> ${fmt(a1.energy / 1e6)} uJ (${pct(a0.energy, a1.energy)}); ` +
      `analyze's layer DRAM against the mapper's plus extras: largest difference ${a0.worst.toExponential(1)} dense (the halo unranked), ${a1.worst.toExponential(1)} with it`,
  );
}
