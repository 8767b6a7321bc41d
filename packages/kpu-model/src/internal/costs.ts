import { fabricTiming } from "../fabric.js";
import type { Dataflow, Hardware } from "../hardware.js";
import type { PlanOptions } from "./plan.js";

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b - 1e-12);
}

/** Durations in timebase ticks of moving bytes across each boundary and of computing a step on the fabric. */
export class Costs {
  private readonly transferCache = new Map<number, readonly [number, number]>();
  private readonly fabricCache = new Map<string, { occ: number; cycles: number; l1Read: number; l1Write: number }>();
  readonly l1Latency: number;
  private lastFabric: { tm: number; tn: number; tk: number; cost: { occ: number; cycles: number; l1Read: number; l1Write: number } } | null = null;

  constructor(
    private readonly hw: Hardware,
    private readonly fold: { readonly rows: number; readonly cols: number; readonly dataflow: Dataflow },
    private readonly opts: Pick<PlanOptions, "activeComputeTiles" | "unlimitedBandwidth" | "zeroLatency" | "zeroCompute">,
  ) {
    this.l1Latency = opts.zeroLatency ? 0 : Math.ceil(hw.levels.l1.latencyCycles * hw.derived.ticksPerCycle.fabric - 1e-9);
  }

  /** [occupancy, latency] of a transfer out of `level`; DRAM bandwidth is shared evenly by the active compute tiles. */
  transfer(level: "dram" | "l3" | "l2", bytes: number): readonly [number, number] {
    const key = bytes * 4 + (level === "dram" ? 0 : level === "l3" ? 1 : 2);
    let hit = this.transferCache.get(key);
    if (hit === undefined) {
      const spec = this.hw.levels[level];
      const ld = this.hw.derived.levels[level];
      const bw = level === "dram" ? (spec.bandwidthBytesPerCycle * spec.banks) / Math.max(1, this.opts.activeComputeTiles) : ld.perTileBandwidthBytesPerCycle;
      const beats = ceilDiv(bytes, spec.busWidthBytes) * spec.busWidthBytes;
      const occ = this.opts.unlimitedBandwidth.has(level) ? 0 : ceilDiv(beats, bw) * ld.ticksPerCycle;
      const lat = this.opts.zeroLatency ? 0 : Math.ceil(spec.latencyCycles * ld.ticksPerCycle - 1e-9);
      hit = [occ, lat];
      this.transferCache.set(key, hit);
    }
    return hit;
  }

  /** The fabric's time for one step: folds of the mapping's array fold, at least the L1 bytes over L1 bandwidth. */
  fabric(tm: number, tn: number, tk: number): { occ: number; cycles: number; l1Read: number; l1Write: number } {
    // most steps repeat the previous step's extents (full tiles): skip building the key
    const last = this.lastFabric;
    if (last !== null && last.tm === tm && last.tn === tn && last.tk === tk) return last.cost;
    const key = `${tm},${tn},${tk}`;
    let c = this.fabricCache.get(key);
    if (c === undefined) {
      const { rows, cols, dataflow } = this.fold;
      const f = fabricTiming({ rows, cols, dataflow, m: tm, n: tn, k: tk });
      const eb = this.hw.derived.elementBytes;
      const l1Read = (f.sramReadsA + f.sramReadsB + f.sramReadsC) * eb;
      const l1Write = f.sramWritesC * eb;
      c = { occ: this.occupancy(f.cycles, l1Read + l1Write), cycles: f.cycles, l1Read, l1Write };
      this.fabricCache.set(key, c);
    }
    this.lastFabric = { tm, tn, tk, cost: c };
    return c;
  }

  /** Fabric ticks for `cycles` of compute that move `l1Bytes` through L1: at least the L1 bytes over its bandwidth. */
  occupancy(cycles: number, l1Bytes: number): number {
    if (this.opts.zeroCompute) return 0;
    const l1Cycles = this.opts.unlimitedBandwidth.has("l1") ? 0 : ceilDiv(l1Bytes, this.hw.derived.levels.l1.perTileBandwidthBytesPerCycle);
    return Math.max(cycles, l1Cycles) * this.hw.derived.ticksPerCycle.fabric;
  }
}

