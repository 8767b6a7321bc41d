import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { Hardware, MappingRule } from "@kpu/kpu-model";
import type { ConvGemm } from "@kpu/passes";
import { checkOptions, mapWith, sliceRunner, type MapOptions, type MapResult, type MappedPoint } from "./mapper.js";
import type { Objective } from "./search.js";

/**
 * One fabric layer of a network as the mapper sees it: `batch` GEMMs of m x n x k; a conv as its implicit GEMM with
 * its geometry (`FabricLayer.conv`), whose A bytes the halo factor scales.
 */
export interface NetworkGemm {
  readonly id: string;
  readonly op: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  readonly conv?: ConvGemm;
}

/** A layer's answer: its shape's search, scaled by the layer's batch. */
export interface LayerMapResult extends MapResult {
  readonly id: string;
  readonly op: string;
  /** The first layer with the same m x n x k and conv geometry, whose search this layer shares (its counts are not added again). */
  readonly sameAs: string | null;
}

export interface NetworkMapResult {
  readonly hardware: string;
  readonly objective: Objective;
  readonly threads: number;
  readonly layers: readonly LayerMapResult[];
  /** Sums over the layers (they run one after another); the counts over distinct searches (shape and conv geometry). */
  readonly totals: {
    readonly cycles: number;
    readonly energyPj: number;
    readonly dramBytes: number;
    readonly lowerBoundDramBytes: number;
    readonly computeBoundCycles: number;
    readonly distinctShapes: number;
    readonly evaluated: number;
    readonly pruned: number;
    readonly engineRuns: number;
  };
  readonly seconds: number;
}

export interface NetworkMapOptions extends MapOptions {
  /** Called as each distinct shape finishes, with shapes done and their number. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** A search's identity: m x n x k and, for a conv, every field of its geometry (two geometries of one shape differ in halo). */
function searchKey(g: { readonly m: number; readonly n: number; readonly k: number; readonly conv?: ConvGemm | undefined }): string {
  const c = g.conv;
  if (c === undefined) return `${g.m}x${g.n}x${g.k}`;
  const geometry = [c.batch, c.channels, c.height, c.width, c.outChannels, c.kernelH, c.kernelW, c.outH, c.outW, c.groups, ...c.stride, ...c.padding, ...c.dilation];
  return `${g.m}x${g.n}x${g.k} conv ${geometry.join(",")}`;
}

function scalePoint(p: MappedPoint, batch: number, objective: Objective): MappedPoint {
  const cycles = p.cycles * batch;
  const energyPj = p.energyPj * batch;
  const dramBytes = p.dramBytes * batch;
  const cost = objective === "latency" ? cycles : objective === "energy" ? energyPj : objective === "dram" ? dramBytes : cycles * energyPj;
  return { ...p, cycles, energyPj, dramBytes, cost };
}

/** A single-GEMM answer for `batch` GEMMs of its shape: figures times the batch, gaps unchanged. */
function scaleResult(r: MapResult, batch: number): MapResult {
  if (batch === 1) return r;
  return {
    ...r,
    shape: { ...r.shape, batch },
    best: scalePoint(r.best, batch, r.objective),
    runnerUp: r.runnerUp === null ? null : scalePoint(r.runnerUp, batch, r.objective),
    lowerBoundDramBytes: r.lowerBoundDramBytes * batch,
    computeBoundCycles: r.computeBoundCycles * batch,
  };
}

/**
 * The best mapping of every fabric layer of a network: each distinct m x n x k (and conv geometry) searched once (exactly, as `mapGemm`),
 * largest first on one shared worker pool, then scaled by each layer's batch. Layers run one after another, so for
 * `latency`, `energy` and `dram` the per-layer optima add up to the network's optimum; for `edp` each layer minimises
 * its own energy-delay product, which bounds but need not equal the network's (EDP does not split over layers).
 */
export async function mapNetwork(gemms: readonly NetworkGemm[], hw: Hardware, options: NetworkMapOptions = {}): Promise<NetworkMapResult> {
  const start = performance.now();
  const { objective } = checkOptions(options);
  const threads = options.threads ?? availableParallelism();
  const distinct = new Map<string, NetworkGemm>();
  for (const g of gemms) if (!distinct.has(searchKey(g))) distinct.set(searchKey(g), g);
  const order = [...distinct.values()].sort((a, b) => b.m * b.n * b.k - a.m * a.n * a.k);
  const runner = sliceRunner(threads);
  const byShape = new Map<string, MapResult>();
  let done = 0;
  // with at least as many shapes as threads, each shape is searched whole by one worker (the shapes keep every
  // worker busy, and one search prunes with its own best so far: the counts are those of one thread); else split
  const whole = order.length >= threads;
  try {
    // shapes in flight together keep every worker busy while a small shape's few slices finish
    await Promise.all(
      order.map(async (g) => {
        const shape = { m: g.m, n: g.n, k: g.k, ...(g.conv === undefined ? {} : { conv: g.conv }) };
        byShape.set(searchKey(g), await mapWith(runner, shape, hw, { objective, threads }, whole));
        options.onProgress?.(++done, order.length);
      }),
    );
  } finally {
    await runner.destroy();
  }
  const first = new Map<string, string>();
  const layers = gemms.map((g): LayerMapResult => {
    const key = searchKey(g);
    const sameAs = first.get(key) ?? null;
    if (sameAs === null) first.set(key, g.id);
    return { ...scaleResult(byShape.get(key)!, g.batch), id: g.id, op: g.op, sameAs };
  });
  const sum = (f: (l: LayerMapResult) => number, own = false) => layers.reduce((s, l) => s + (own && l.sameAs !== null ? 0 : f(l)), 0);
  return {
    hardware: hw.name,
    objective,
    threads,
    layers,
    totals: {
      cycles: sum((l) => l.best.cycles),
      energyPj: sum((l) => l.best.energyPj),
      dramBytes: sum((l) => l.best.dramBytes),
      lowerBoundDramBytes: sum((l) => l.lowerBoundDramBytes),
      computeBoundCycles: sum((l) => l.computeBoundCycles),
      distinctShapes: distinct.size,
      evaluated: sum((l) => l.evaluated, true),
      pruned: sum((l) => l.pruned, true),
      engineRuns: sum((l) => l.engineRuns, true),
    },
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * `kpu analyze --mapper exact`: a mapping rule answering each GEMM with the mapper's choice for its shape and conv
 * geometry. A GEMM the network mapping does not hold (a slab of a GEMM too large for one event simulation) falls back
 * to `fallback`, and says so.
 */
export function exactMappingRule(result: NetworkMapResult, fallback: MappingRule): MappingRule {
  const byShape = new Map(result.layers.filter((l) => l.sameAs === null).map((l) => [searchKey(l.shape), l]));
  return (hw, gemm) => {
    const hit = byShape.get(searchKey(gemm));
    if (hit === undefined) {
      const rule = fallback(hw, gemm);
      return { ...rule, why: `${rule.why} (not in the exact mapping: a part of a larger GEMM)` };
    }
    const l1 = hit.best.mapping.levels.l1;
    const gap = (x: number) => `${(x * 100).toFixed(1)}%`;
    return {
      mapping: hit.best.mapping,
      source: "exact",
      why: `exact (${result.objective}): ${l1.tile.m}x${l1.tile.n}x${l1.tile.k} ${l1.order} ${hit.best.mapping.fabric.dataflow}, best of ${(hit.evaluated + hit.pruned).toLocaleString("en-US")}; ${gap(hit.gaps.dram)} above the DRAM bound, ${gap(hit.gaps.cycles)} above the compute bound`,
    };
  };
}
