import { elementCount, type Graph } from "@kpu/ir";
import { fuseGraph, lowerToLayers, type FabricLayer, type Layer } from "@kpu/passes";
import { hardwareToJson, type Hardware } from "../hardware.js";
import { ruleMapping, timeGemm, type GemmTiming, type MappingRule } from "./gemm.js";
import { BOUNDS, boundOf, levelBytesPerCycle, levelEnergyPj, streamCost, vectorCycles, vectorEnergyPj, type Bound, type EngineCycles, type LevelBytes } from "./layer-cost.js";

/** 2: layers carry `engineCycles` (version 1 had none). */
export const ANALYSIS_SCHEMA_VERSION = 2;

export interface AnalyzeOptions {
  /** The model's name and where it came from (a file, `example:NAME`). */
  readonly model?: { readonly name: string; readonly source: string };
  /** Echoed into the result's `options` and used for the throughput: tokens per step for an LLM phase. */
  readonly batch?: number;
  readonly seq?: number;
  readonly phase?: "prefill" | "decode";
  readonly context?: number;
  /** How GEMM layers get their mapping (default: kpu's rule, `ruleMapping`). */
  readonly mapper?: { readonly name: string; readonly rule: MappingRule };
  /** Timed GEMMs by content key (shape, conv halo, hardware): pass one map to share it between analyses. */
  readonly cache?: Map<string, GemmTiming>;
  readonly onProgress?: (fraction: number) => void;
}

export interface LayerAnalysis {
  readonly id: string;
  readonly op: string;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly macs: number;
  readonly unit: "fabric" | "vector" | "none";
  /** Fabric layers: the mapping's rule and why, its strategy, L1 tile and grid; others say what runs them. */
  readonly mapping: { readonly source: string; readonly why: string; readonly strategy?: string; readonly tiles?: readonly [number, number, number]; readonly grid?: readonly [number, number] };
  /** Fused epilogue steps (fabric layers), and the GEMM as lowered: batch of m x n x k. */
  readonly fused?: readonly string[];
  readonly gemm?: { readonly m: number; readonly n: number; readonly k: number; readonly batch: number; readonly aCount: number; readonly bCount: number; readonly haloFactor: number };
  readonly cycles: number;
  /** Busy fabric cycles per engine on each compute tile that runs the layer (fabric layers: the largest block's). */
  readonly engineCycles: EngineCycles;
  readonly latencyNs: number;
  readonly fabricUtilization: number;
  readonly vectorUtilization: number;
  readonly bytes: LevelBytes;
  readonly energyPj: number;
  readonly bound: Bound;
  readonly roofline: { readonly intensity: number; readonly attained: number; readonly peak: number };
}

export interface AnalysisTotals {
  readonly params: number;
  readonly macs: number;
  readonly cycles: number;
  readonly latencyNs: number;
  readonly energyPj: number;
  readonly dramBytes: number;
  readonly throughput: { readonly value: number; readonly unit: "inferences/s" | "tokens/s" };
  /** Energy per inference or per token (the throughput's unit). */
  readonly energyPerUnitPj: number;
  readonly fabricUtilization: number;
  readonly vectorUtilization: number;
  /** Cycles per bound, and the layers that take the most time (largest first, at most 5). */
  readonly cyclesByBound: Readonly<Record<Bound, number>>;
  readonly topLayers: readonly { readonly id: string; readonly op: string; readonly cycles: number; readonly share: number }[];
}

export interface Analysis {
  readonly kind: "kpu.analysis";
  readonly schemaVersion: typeof ANALYSIS_SCHEMA_VERSION;
  readonly model: { readonly name: string; readonly source: string };
  readonly hardware: string;
  readonly options: Readonly<Record<string, string | number>>;
  readonly totals: AnalysisTotals;
  readonly layers: readonly LayerAnalysis[];
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function roofline(hw: Hardware, macs: number, dram: number, cycles: number): LayerAnalysis["roofline"] {
  const intensity = ratio(macs, dram);
  const peakMacs = hw.derived.peakMacsPerCycle;
  return { intensity, attained: ratio(macs, cycles), peak: dram === 0 ? peakMacs : Math.min(peakMacs, intensity * levelBytesPerCycle(hw, "dram")) };
}

/** Fills in the figures every layer reports from its cycles, MACs, bytes and vector time. */
function finish(hw: Hardware, layer: Layer, rest: Pick<LayerAnalysis, "mapping" | "cycles" | "engineCycles" | "bytes" | "energyPj" | "bound"> & { vectorCycles: number } & Partial<Pick<LayerAnalysis, "fused" | "gemm">>): LayerAnalysis {
  const { vectorCycles: vec, ...own } = rest;
  return {
    id: layer.id,
    op: layer.op,
    inputShapes: layer.inputShapes,
    outputShape: layer.outputShape,
    macs: layer.macs,
    unit: layer.unit,
    ...own,
    latencyNs: (rest.cycles * 1000) / hw.clocks.fabricMhz,
    fabricUtilization: ratio(layer.macs, rest.cycles * hw.derived.peakMacsPerCycle),
    vectorUtilization: ratio(vec, rest.cycles),
    roofline: roofline(hw, layer.macs, rest.bytes.dram, rest.cycles),
  };
}

/**
 * A fabric layer: its GEMM timed once (one batch element; cached by content) and scaled by the batch, the fused
 * epilogue's vector work overlapped with it, and the epilogue's tensors (bias, residual) streamed in beside it.
 */
function fabricAnalysis(hw: Hardware, layer: FabricLayer, time: (l: FabricLayer) => GemmTiming): LayerAnalysis {
  const t = time(layer);
  const batch = layer.gemm.batch;
  const extra = layer.epilogueElements * hw.derived.elementBytes;
  const bytes = { dram: t.bytes.dram * batch + extra, l3: t.bytes.l3 * batch + extra, l2: t.bytes.l2 * batch + extra, l1: t.bytes.l1 * batch };
  const vec = vectorCycles(hw, layer.vectorOps);
  const level = (name: "dram" | "l3" | "l2") => t.moverCycles[name] * batch + extra / levelBytesPerCycle(hw, name);
  const engineCycles = { fabric: t.fabricCycles * batch, vector: vec, dram: level("dram"), l3: level("l3"), l2: level("l2") };
  const { bound } = boundOf([
    ["fabric", engineCycles.fabric],
    ["vector", vec],
    ["dram", engineCycles.dram],
    ["l3", engineCycles.l3],
    ["l2", engineCycles.l2],
  ]);
  const cycles = Math.max(t.cycles * batch, vec, level("dram"), level("l3"), level("l2"));
  const l1 = t.choice.mapping.levels.l1.tile;
  return finish(hw, layer, {
    mapping: { source: t.choice.source, why: t.choice.why, strategy: t.choice.mapping.strategy ?? t.choice.mapping.levels.l3.order, tiles: [l1.m, l1.n, l1.k], grid: [t.choice.mapping.grid.rows, t.choice.mapping.grid.cols] },
    fused: layer.epilogue,
    gemm: { ...layer.gemm, haloFactor: t.haloFactor },
    cycles,
    engineCycles,
    bytes,
    energyPj: layer.macs * hw.fabric.macEnergyPj + levelEnergyPj(hw, bytes) + vectorEnergyPj(hw, layer.vectorOps),
    bound,
    vectorCycles: vec,
  });
}

function streamAnalysis(hw: Hardware, layer: Exclude<Layer, FabricLayer>): LayerAnalysis {
  const c = streamCost(hw, layer);
  const free = layer.readElements + layer.writeElements === 0;
  const why =
    layer.unit === "vector"
      ? `vector unit: ${hw.computeTiles} x ${hw.vector.lanes} lanes at ${hw.vector.clockMhz} MHz, operands streamed from DRAM through L2`
      : free
        ? "free: the same elements under a new shape"
        : "data movement: read and written once through DRAM, L3 and L2";
  return finish(hw, layer, { mapping: { source: layer.unit === "vector" ? "vector" : "none", why }, cycles: c.cycles, engineCycles: c.engineCycles, bytes: c.bytes, energyPj: c.energyPj, bound: free ? "none" : c.bound, vectorCycles: c.vectorCycles });
}

function totalsOf(hw: Hardware, graph: Graph, layers: readonly LayerAnalysis[], options: AnalyzeOptions): AnalysisTotals {
  const sum = (f: (l: LayerAnalysis) => number) => layers.reduce((s, l) => s + f(l), 0);
  const cycles = sum((l) => l.cycles);
  const latencyNs = sum((l) => l.latencyNs);
  const energyPj = sum((l) => l.energyPj);
  const macs = sum((l) => l.macs);
  const batch = options.batch ?? 1;
  const tokens = options.phase === undefined ? undefined : options.phase === "decode" ? batch : batch * (options.seq ?? 1);
  const units = tokens ?? batch;
  const cyclesByBound = Object.fromEntries(BOUNDS.map((b) => [b, sum((l) => (l.bound === b ? l.cycles : 0))])) as Record<Bound, number>;
  const top = [...layers].sort((a, b) => b.cycles - a.cycles).slice(0, 5);
  return {
    params: graph.tensors.filter((t) => t.weight === true).reduce((s, t) => s + elementCount(t.shape), 0),
    macs,
    cycles,
    latencyNs,
    energyPj,
    dramBytes: sum((l) => l.bytes.dram),
    throughput: { value: ratio(units * 1e9, latencyNs), unit: tokens === undefined ? "inferences/s" : "tokens/s" },
    energyPerUnitPj: energyPj / units,
    fabricUtilization: ratio(macs, cycles * hw.derived.peakMacsPerCycle),
    vectorUtilization: ratio(sum((l) => l.vectorUtilization * l.cycles), cycles),
    cyclesByBound,
    topLayers: top.map((l) => ({ id: l.id, op: l.op, cycles: l.cycles, share: ratio(l.cycles, cycles) })),
  };
}

/**
 * The layers a network is analysed as: fusion (fabric epilogues and elementwise chains), then lowering into one
 * workload per op. A mapper maps the fabric layers of this list.
 */
export function analysisLayers(graph: Graph): Layer[] {
  return lowerToLayers(fuseGraph(graph, { elementwiseChains: true }));
}

/**
 * The per-layer account of a network on the hardware: fusion (fabric epilogues and elementwise chains), lowering
 * into layer workloads, each layer timed on the fabric (mapping + hierarchy engine + event engine) or streamed
 * through the vector unit, and the totals. Layers run one after another; each reads its inputs from DRAM and writes
 * its output there.
 */
export function analyzeGraph(graph: Graph, hw: Hardware, options: AnalyzeOptions = {}): Analysis {
  const layers = analysisLayers(graph);
  const mapper = options.mapper ?? { name: "rule", rule: ruleMapping };
  const cache = options.cache ?? new Map<string, GemmTiming>();
  const hwKey = JSON.stringify(hardwareToJson(hw));
  const time = (l: FabricLayer): GemmTiming => {
    const key = JSON.stringify([mapper.name, hwKey, l.gemm.m, l.gemm.n, l.gemm.k, l.conv ?? null]);
    let t = cache.get(key);
    if (t === undefined) {
      t = timeGemm(hw, l, mapper.rule);
      cache.set(key, t);
    }
    return t;
  };
  const out: LayerAnalysis[] = [];
  for (const [i, layer] of layers.entries()) {
    out.push(layer.unit === "fabric" ? fabricAnalysis(hw, layer, time) : streamAnalysis(hw, layer));
    options.onProgress?.((i + 1) / layers.length);
  }
  const opts: Record<string, string | number> = { mapper: mapper.name };
  for (const key of ["batch", "seq", "phase", "context"] as const) {
    const v = options[key];
    if (v !== undefined) opts[key] = v;
  }
  return {
    kind: "kpu.analysis",
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    model: options.model ?? { name: graph.name, source: "graph" },
    hardware: hw.name,
    options: opts,
    totals: totalsOf(hw, graph, out, options),
    layers: out,
  };
}
