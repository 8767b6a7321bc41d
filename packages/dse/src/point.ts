import { createHash } from "node:crypto";
import stringify from "safe-stable-stringify";
import { graphToJson, isKpuError, parseGraphJson, type DseLayer, type DsePoint, type Graph } from "@kpu/ir";
import { analysisLayers, analyzeGraph, hardwareArea, ruleMapping, streamCost, validateHardware, type Hardware, type HardwareJson } from "@kpu/kpu-model";
import { exactMappingRule, mapNetwork, type NetworkGemm, type NetworkMapResult, type Objective } from "@kpu/mapper";
import pkg from "../package.json" with { type: "json" };

/**
 * How a point's network is timed once the mapper has chosen every fabric layer's mapping:
 * - `analysis`: `analyzeGraph` with `exactMappingRule` (each chosen mapping run through the hierarchy and event
 *   engines, the conv halo applied, epilogues overlapped; vector and data-movement layers from the analysis model),
 *   the figures `kpu analyze` reports;
 * - `analytic`: the mapper's own analytic cycles, energy and DRAM bytes for fabric layers and `streamCost` for the
 *   others: no event simulation.
 * The package README says which is the default and why (measured in bench/dse.bench.ts).
 */
export const TIMINGS = ["analysis", "analytic"] as const;
export type Timing = (typeof TIMINGS)[number];

/** The kpu version that computes the points (every published package shares it): part of every point's key. */
export function dseToolVersion(): string {
  return pkg.version;
}

/** Everything one point is computed from: what a worker thread or a queue job receives. */
export interface PointTask {
  readonly id: string;
  readonly params: Readonly<Record<string, number>>;
  /** The base hardware with the parameters applied, not yet validated (an invalid one is an infeasible point). */
  readonly hardware: HardwareJson;
  /** The network as `kpu.graph` JSON text. */
  readonly graph: string;
  readonly objective: Objective;
  readonly timing: Timing;
}

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The model's content hash (its `kpu.graph` JSON). */
export function modelHash(graph: Graph): string {
  return sha(stringify(graphToJson(graph)));
}

/** A point's key: SHA-256 of the model's hash, the point's hardware, the objective, the timing and the tool version. */
export function pointId(model: string, hardware: HardwareJson, objective: Objective, timing: Timing, version = dseToolVersion()): string {
  return sha(stringify({ model, hardware, objective, timing, version }) ?? "").slice(0, 32);
}

function infeasible(task: PointTask, e: unknown): DsePoint {
  if (!isKpuError(e)) throw e;
  return { id: task.id, params: task.params, feasible: false, reason: `${e.code}: ${e.message} (${e.where ?? "?"})`, pareto: false };
}

/** The fabric layers as the mapper sees them, in network order. */
function fabricGemms(graph: Graph): NetworkGemm[] {
  const out: NetworkGemm[] = [];
  for (const l of analysisLayers(graph)) if (l.unit === "fabric") out.push({ id: l.id, op: l.op, m: l.gemm.m, n: l.gemm.n, k: l.gemm.k, batch: l.gemm.batch, ...(l.conv === undefined ? {} : { conv: l.conv }) });
  return out;
}

function analysed(graph: Graph, hw: Hardware, mapped: NetworkMapResult): { totals: { cycles: number; latencyNs: number; energyPj: number; dramBytes: number }; byId: Map<string, { cycles: number; energyPj: number; dramBytes: number }> } {
  const a = analyzeGraph(graph, hw, { mapper: { name: `exact-${mapped.objective}`, rule: exactMappingRule(mapped, ruleMapping) } });
  const byId = new Map(a.layers.map((l) => [l.id, { cycles: l.cycles, energyPj: l.energyPj, dramBytes: l.bytes.dram }]));
  return { totals: a.totals, byId };
}

function analytic(graph: Graph, hw: Hardware, mapped: NetworkMapResult): ReturnType<typeof analysed> {
  const byId = new Map<string, { cycles: number; energyPj: number; dramBytes: number }>();
  for (const l of mapped.layers) byId.set(l.id, { cycles: l.best.cycles, energyPj: l.best.energyPj, dramBytes: l.best.dramBytes });
  for (const l of analysisLayers(graph)) {
    if (l.unit === "fabric") continue;
    const c = streamCost(hw, l);
    byId.set(l.id, { cycles: c.cycles, energyPj: c.energyPj, dramBytes: c.bytes.dram });
  }
  let cycles = 0;
  let energyPj = 0;
  let dramBytes = 0;
  for (const v of byId.values()) {
    cycles += v.cycles;
    energyPj += v.energyPj;
    dramBytes += v.dramBytes;
  }
  return { totals: { cycles, latencyNs: (cycles * 1000) / hw.clocks.fabricMhz, energyPj, dramBytes }, byId };
}

/**
 * Computes one point: validates its hardware, maps every fabric layer exactly (one thread: the points are what runs
 * in parallel), times the network (`task.timing`) and costs the area. Hardware the validator refuses, or a layer no
 * mapping fits, is an infeasible point with the reason; anything else that throws is a bug and propagates.
 */
export async function evaluatePoint(task: PointTask): Promise<DsePoint> {
  let hw: Hardware;
  try {
    hw = validateHardware(task.hardware, `point ${task.hardware.name}`);
  } catch (e) {
    return infeasible(task, e);
  }
  const graph = parseGraphJson(task.graph, "model");
  let mapped: NetworkMapResult;
  let timed: ReturnType<typeof analysed>;
  try {
    mapped = await mapNetwork(fabricGemms(graph), hw, { objective: task.objective, threads: 1 });
    timed = task.timing === "analysis" ? analysed(graph, hw, mapped) : analytic(graph, hw, mapped);
  } catch (e) {
    return infeasible(task, e);
  }
  const layers: DseLayer[] = mapped.layers.map((l) => {
    const t = timed.byId.get(l.id) ?? { cycles: l.best.cycles, energyPj: l.best.energyPj, dramBytes: l.best.dramBytes };
    return { id: l.id, op: l.op, gemm: { m: l.shape.m, n: l.shape.n, k: l.shape.k, batch: l.shape.batch }, mapping: l.best.mapping, cycles: t.cycles, energyPj: t.energyPj, dramBytes: t.dramBytes };
  });
  return {
    id: task.id,
    params: task.params,
    feasible: true,
    latencyNs: timed.totals.latencyNs,
    energyPj: timed.totals.energyPj,
    areaMm2: hardwareArea(hw).totalMm2,
    cycles: timed.totals.cycles,
    dramBytes: timed.totals.dramBytes,
    pareto: false,
    layers,
  };
}
