import { isKpuError, type Mapping } from "@kpu/ir";
import { convHalo, type ConvGemm, type FabricLayer } from "@kpu/passes";
import { chooseComputeGrid, gridBlocks, pickStrategies } from "@kpu/scheduler";
import type { Hardware } from "../hardware.js";
import { MAX_SIM_STEPS } from "../internal/plan.js";
import { DMA, FABRIC, KIND_LOAD, MOVER, STREAMER, TENSOR_A, TENSOR_B } from "../internal/program.js";
import { buildMapping, simulateMatmul } from "../sim.js";

/** A mapping for one GEMM and why it was chosen: the option point where a mapper's search plugs in. */
export interface MappingChoice {
  readonly mapping: Mapping;
  /** `rule` for kpu's rules; a mapper names itself. */
  readonly source: string;
  readonly why: string;
}
/** `gemm.conv`: the conv geometry when the GEMM is (a slab of) an implicit-GEMM conv, so a mapper can rank by its halo. */
export type MappingRule = (hw: Hardware, gemm: { readonly m: number; readonly n: number; readonly k: number; readonly conv?: ConvGemm }) => MappingChoice;

/**
 * kpu's rule: the scheduler's `auto` strategy (least DRAM traffic of WS, IS and OS for one compute tile's block of C
 * under its L3 share, tiles by the per-strategy rule) and `buildMapping`'s grid, fold and buffering for it.
 */
export const ruleMapping: MappingRule = (hw, gemm) => {
  const grid = chooseComputeGrid(gemm.m, gemm.n, hw.computeTiles);
  const block = gridBlocks(gemm.m, gemm.n, grid.rows, grid.cols)[0]!;
  const l3 = hw.derived.levels.l3.perTileCapacityBytes;
  const pick = pickStrategies({ m: block.m, n: block.n, k: gemm.k, elementBytes: hw.derived.elementBytes }, { l3Bytes: [l3], tileRule: "strategy" })[0]!;
  const mapping = buildMapping(hw, gemm, { strategy: pick.best.strategy, tileRule: "strategy" });
  return { mapping, source: "rule", why: `auto: ${pick.reason} on a ${block.m}x${block.n}x${gemm.k} block per compute tile` };
};

/** One GEMM of a layer as timed: whole-chip figures for a single batch element. */
export interface GemmTiming {
  readonly choice: MappingChoice;
  /** Fabric cycles of the whole GEMM, and the stall-free fabric cycles and busiest movers within it. */
  readonly cycles: number;
  readonly fabricCycles: number;
  readonly moverCycles: { readonly dram: number; readonly l3: number; readonly l2: number };
  readonly bytes: { readonly dram: number; readonly l3: number; readonly l2: number; readonly l1: number };
  readonly macs: number;
  /** The A operand's halo factor applied (1 for a matmul). */
  readonly haloFactor: number;
  /** Slabs the GEMM was timed as (1 unless it is too large for one event simulation). */
  readonly slabs: number;
}

const RESOURCE_LEVEL = [
  [DMA, "dram"],
  [MOVER, "l3"],
  [STREAMER, "l2"],
] as const;

/**
 * Times one GEMM through the mapping, the hierarchy engine and the event engine (simulateMatmul). For a conv, the A
 * operand holds the input halo, not rows x cols: the A loads' bytes and busy time at DRAM, L3 and L2 are scaled by the
 * tile grid's distinct-over-dense factor (`convHalo`), in the proportion A has in the simulated block, and the
 * movement bound falls by what that saves (the simulated overlap and latency beyond the bound are kept).
 */
export function timeGemm(hw: Hardware, layer: FabricLayer, rule: MappingRule): GemmTiming {
  return timeShape(hw, layer, rule, layer.gemm.m, layer.gemm.n, layer.gemm.k);
}

/** Two slabs of one GEMM, run one after the other: figures add, the first slab's mapping stands for both. */
function slabs(a: GemmTiming, b: GemmTiming, dim: "m" | "n"): GemmTiming {
  const count = a.slabs + b.slabs;
  const add = <T extends Record<string, number>>(x: T, y: T): T => Object.fromEntries(Object.keys(x).map((key) => [key, x[key]! + y[key]!])) as T;
  const why = a.choice.why.replace(/ \(timed as \d+ slabs of [mn]\b.*\)$/, "");
  return {
    choice: { ...a.choice, why: `${why} (timed as ${count} slabs of ${dim}: the event simulation keeps at most ${MAX_SIM_STEPS.toLocaleString("en-US")} steps)` },
    cycles: a.cycles + b.cycles,
    fabricCycles: a.fabricCycles + b.fabricCycles,
    moverCycles: add(a.moverCycles, b.moverCycles),
    bytes: add(a.bytes, b.bytes),
    macs: a.macs + b.macs,
    haloFactor: a.haloFactor,
    slabs: count,
  };
}

/**
 * A GEMM too large for one event simulation (KPU_TOO_LARGE) is cut in two along its larger output dimension, each half
 * timed (recursively) and the halves run back to back: what a scheduler streaming C in slabs would do.
 */
function timeShape(hw: Hardware, layer: FabricLayer, rule: MappingRule, m: number, n: number, k: number): GemmTiming {
  const choice = rule(hw, { m, n, k, ...(layer.conv === undefined ? {} : { conv: layer.conv }) });
  let run: ReturnType<typeof simulateMatmul>;
  try {
    run = simulateMatmul({ hardware: hw, m, n, k, mapping: choice.mapping });
  } catch (e) {
    const dim = n >= m ? "n" : "m";
    const size = dim === "n" ? n : m;
    if (!isKpuError(e) || e.code !== "KPU_TOO_LARGE" || size < 2) throw e;
    const half = Math.ceil(size / 2);
    const shape = (d: number): [number, number] => (dim === "n" ? [m, d] : [d, n]);
    const first = timeShape(hw, layer, rule, ...shape(half), k);
    const second = size - half === half ? first : timeShape(hw, layer, rule, ...shape(size - half), k);
    return slabs(first, second, dim);
  }
  const r = run.report;
  const tile = choice.mapping.levels.l1.tile;
  const factor = layer.conv === undefined ? 1 : convHalo(layer.conv, tile.m, tile.k).factor;
  const fabricTicks = hw.derived.ticksPerCycle.fabric;
  const p = run.plan.program;
  const shareA = choice.mapping.grid.multicast ? choice.mapping.grid.cols : 1;
  const shareB = choice.mapping.grid.multicast ? choice.mapping.grid.rows : 1;
  // per mover: busy ticks and bytes in total and of A loads (DRAM reads shared by multicast count once per chip)
  const busy = new Float64Array(3);
  const busyA = new Float64Array(3);
  const bytesAll = new Float64Array(3);
  const bytesA = new Float64Array(3);
  for (let t = 0; t < p.n; t++) {
    const res = p.res[t]!;
    if (res === FABRIC) continue;
    const share = res === DMA && p.kind[t] === KIND_LOAD ? (p.tensor[t] === TENSOR_A ? shareA : p.tensor[t] === TENSOR_B ? shareB : 1) : 1;
    busy[res]! += p.occTicks[t]!;
    bytesAll[res]! += p.bytes[t]! / share;
    if (p.kind[t] === KIND_LOAD && p.tensor[t] === TENSOR_A) {
      busyA[res]! += p.occTicks[t]!;
      bytesA[res]! += p.bytes[t]! / share;
    }
  }
  const level = (name: "dram" | "l3" | "l2" | "l1") => r.levels.find((l) => l.level === name)!.bytes;
  const bytes = { dram: level("dram"), l3: level("l3"), l2: level("l2"), l1: level("l1") };
  const movers = { dram: 0, l3: 0, l2: 0 };
  const fabricBusy = r.resources[FABRIC]!.busyCycles;
  const saved = 1 - factor;
  let before = fabricBusy;
  let after = fabricBusy;
  for (const [res, name] of RESOURCE_LEVEL) {
    before = Math.max(before, busy[res]! / fabricTicks);
    movers[name] = (busy[res]! - busyA[res]! * saved) / fabricTicks;
    after = Math.max(after, movers[name]);
    if (bytesAll[res]! > 0) bytes[name] *= 1 - (bytesA[res]! / bytesAll[res]!) * saved;
  }
  return {
    choice,
    cycles: Math.max(after, r.totalCycles - (before - after)),
    fabricCycles: fabricBusy,
    moverCycles: movers,
    bytes,
    macs: r.macs,
    haloFactor: factor,
    slabs: 1,
  };
}
