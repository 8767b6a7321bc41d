import type { HardwareJson, LevelSpec } from "@kpu/kpu-model";

/**
 * The hardware parameters a space may vary, by name. Each is applied to the base hardware's JSON form; the result is
 * validated by the hardware validator, so an impossible combination (banks that do not split, a level too small for
 * the array, clocks without a common timebase) is an infeasible point, not an error. On-chip levels are described per
 * compute tile: changing `computeTiles` keeps every tile's memory, banks and vector unit and scales the chip with it.
 */
export interface Parameter {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** Whole numbers only (counts); the others may be fractional. */
  readonly integer: boolean;
}

export const PARAMETERS: readonly Parameter[] = [
  { name: "rows", unit: "PEs", description: "rows of each compute tile's systolic array", integer: true },
  { name: "cols", unit: "PEs", description: "columns of each compute tile's systolic array", integer: true },
  { name: "computeTiles", unit: "", description: "compute tiles (each with its array, vector unit and share of L1/L2/L3)", integer: true },
  { name: "l1KiB", unit: "KiB", description: "L1 capacity per compute tile", integer: false },
  { name: "l2KiB", unit: "KiB", description: "L2 capacity per compute tile", integer: false },
  { name: "l3KiB", unit: "KiB", description: "L3 capacity per compute tile", integer: false },
  { name: "l1Banks", unit: "", description: "L1 banks per compute tile (capacity per tile kept)", integer: true },
  { name: "l2Banks", unit: "", description: "L2 banks per compute tile (capacity per tile kept)", integer: true },
  { name: "l3Banks", unit: "", description: "L3 banks per compute tile (capacity per tile kept)", integer: true },
  { name: "dramGBps", unit: "GB/s", description: "DRAM bandwidth of the chip (channels kept, bytes per DMA cycle per channel set)", integer: false },
  { name: "dmaMhz", unit: "MHz", description: "DMA engine clock (DRAM bandwidth in GB/s kept when dramGBps is not varied)", integer: false },
  { name: "blockMoverMhz", unit: "MHz", description: "block mover clock (reads L3)", integer: false },
  { name: "streamerMhz", unit: "MHz", description: "streamer clock (reads L2)", integer: false },
  { name: "fabricMhz", unit: "MHz", description: "fabric clock (the vector unit follows it when it ran at the base fabric clock)", integer: false },
];

export const PARAMETER_NAMES: readonly string[] = PARAMETERS.map((p) => p.name);

type OnChip = "l1" | "l2" | "l3";
const ON_CHIP: readonly OnChip[] = ["l1", "l2", "l3"];

/**
 * The base hardware with `params` applied (JSON form, not yet validated). Per tile first: each on-chip level's banks
 * and capacity per tile (the base's unless a parameter sets them), then the chip: banks x tiles, bank bytes = capacity
 * per tile / banks per tile (rounded down to whole bytes). DRAM bandwidth is the chip's: bytes per DMA cycle per channel
 * = GB/s x 1000 / (channels x DMA MHz).
 */
export function applyParameters(base: HardwareJson, params: Readonly<Record<string, number>>): HardwareJson {
  const tilesBase = base.computeTiles;
  const tiles = params.computeTiles ?? tilesBase;
  const levels = { ...base.levels };
  for (const name of ON_CHIP) {
    const level: LevelSpec = base.levels[name];
    const banksPerTileBase = level.banks / tilesBase;
    const banksPerTile = params[`${name}Banks`] ?? banksPerTileBase;
    const kibPerTile = params[`${name}KiB`] ?? (level.banks * level.bankBytes) / tilesBase / 1024;
    levels[name] = { ...level, banks: Math.round(banksPerTile * tiles), bankBytes: Math.floor((kibPerTile * 1024) / banksPerTile) };
  }
  const clocks = { ...base.clocks };
  for (const c of ["dmaMhz", "blockMoverMhz", "streamerMhz", "fabricMhz"] as const) {
    const v = params[c];
    if (v !== undefined) clocks[c] = v;
  }
  const dram = base.levels.dram;
  const baseGBps = (dram.banks * dram.bandwidthBytesPerCycle * base.clocks.dmaMhz) / 1000;
  const gbps = params.dramGBps ?? baseGBps;
  levels.dram = { ...dram, bandwidthBytesPerCycle: (gbps * 1000) / (dram.banks * clocks.dmaMhz) };
  const vectorFollows = base.vector.clockMhz === base.clocks.fabricMhz;
  return {
    ...base,
    name: pointName(base.name, params),
    computeTiles: tiles,
    clocks,
    fabric: { ...base.fabric, rows: params.rows ?? base.fabric.rows, cols: params.cols ?? base.fabric.cols },
    levels,
    vector: vectorFollows ? { ...base.vector, clockMhz: clocks.fabricMhz } : base.vector,
  };
}

/** `edge-ai[rows=32,l2KiB=256]`: the base's name with the point's parameters. */
export function pointName(base: string, params: Readonly<Record<string, number>>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? base : `${base}[${parts.join(",")}]`;
}
