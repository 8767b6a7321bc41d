import { VECTOR_OP_CLASSES, type Layer, type VectorOpCounts } from "@kpu/passes";
import type { Hardware } from "../hardware.js";

export const BOUNDS = ["fabric", "vector", "dram", "l3", "l2", "none"] as const;
export type Bound = (typeof BOUNDS)[number];

/**
 * A layer's busy time per engine, in fabric cycles, on each compute tile that runs it: the fabric, the vector unit,
 * and the movers out of DRAM (DMA engine), L3 (block mover) and L2 (streamer). The layer's cycles are the largest
 * of these, or more (a simulated GEMM's stalls and latency).
 */
export interface EngineCycles {
  readonly fabric: number;
  readonly vector: number;
  readonly dram: number;
  readonly l3: number;
  readonly l2: number;
}

export interface LevelBytes {
  readonly dram: number;
  readonly l3: number;
  readonly l2: number;
  readonly l1: number;
}

/** Fabric cycles the chip's vector units need for `ops` (the classes run one after another on the lanes). */
export function vectorCycles(hw: Hardware, ops: VectorOpCounts): number {
  let cycles = 0;
  for (const c of VECTOR_OP_CLASSES) cycles += ops[c] / hw.derived.vectorOpsPerFabricCycle[c];
  return cycles;
}

export function vectorEnergyPj(hw: Hardware, ops: VectorOpCounts): number {
  let pj = 0;
  for (const c of VECTOR_OP_CLASSES) pj += ops[c] * hw.vector.energyPjPerOp[c];
  return pj;
}

/** Whole-chip bytes per fabric cycle a level's read port moves. */
export function levelBytesPerCycle(hw: Hardware, level: "dram" | "l3" | "l2" | "l1"): number {
  return (hw.derived.levels[level].bandwidthGBps * 1000) / hw.clocks.fabricMhz;
}

export function levelEnergyPj(hw: Hardware, bytes: LevelBytes): number {
  return bytes.dram * hw.levels.dram.energyPjPerByte + bytes.l3 * hw.levels.l3.energyPjPerByte + bytes.l2 * hw.levels.l2.energyPjPerByte + bytes.l1 * hw.levels.l1.energyPjPerByte;
}

/** The candidates' largest, and its name (the first on ties, in the order given). */
export function boundOf(candidates: readonly (readonly [Bound, number])[]): { bound: Bound; cycles: number } {
  let best: readonly [Bound, number] = ["none", 0];
  for (const c of candidates) if (c[1] > best[1]) best = c;
  return { bound: best[0], cycles: best[1] };
}

/**
 * A layer that streams its operands from DRAM through L3 and L2 (the vector unit is fed from L2) and its result back:
 * vector layers and data movement. Bytes at DRAM, L3 and L2 are its reads plus writes; time is the largest of the
 * vector unit's and each level's time (they overlap), and that one bounds it.
 */
export function streamCost(hw: Hardware, layer: Exclude<Layer, { unit: "fabric" }>): { cycles: number; bound: Bound; bytes: LevelBytes; vectorCycles: number; engineCycles: EngineCycles; energyPj: number } {
  const moved = (layer.readElements + layer.writeElements) * hw.derived.elementBytes;
  const bytes = { dram: moved, l3: moved, l2: moved, l1: 0 };
  const vec = layer.unit === "vector" ? vectorCycles(hw, layer.vectorOps) : 0;
  const engineCycles = { fabric: 0, vector: vec, dram: moved / levelBytesPerCycle(hw, "dram"), l3: moved / levelBytesPerCycle(hw, "l3"), l2: moved / levelBytesPerCycle(hw, "l2") };
  const { bound, cycles } = boundOf([
    ["vector", vec],
    ["dram", engineCycles.dram],
    ["l3", engineCycles.l3],
    ["l2", engineCycles.l2],
  ]);
  const energyPj = levelEnergyPj(hw, bytes) + (layer.unit === "vector" ? vectorEnergyPj(hw, layer.vectorOps) : 0);
  return { cycles, bound, bytes, vectorCycles: vec, engineCycles, energyPj };
}
