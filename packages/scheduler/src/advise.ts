import { KpuError } from "@kpu/ir";
import { analyzeDistributed } from "./distributed.js";
import { analyzeL3, type CAccounting, type L3Model } from "./l3.js";
import type { Workload } from "./presets.js";
import { STRATEGIES, type Strategy } from "./strategy.js";

export interface AdviseOptions {
  /** Allowed traffic over compulsory, e.g. 1.1 = within 10% of compulsory. */
  readonly within: number;
  /** Candidate L3 sizes per tile, bytes (default 256 KiB to 1 GiB, powers of two). */
  readonly candidatesBytes?: readonly number[];
  /** Strategies to choose from per workload (default all: the best one counts). */
  readonly strategies?: readonly Strategy[];
  readonly model?: L3Model;
  readonly cAccounting?: CAccounting;
  /** Optional KPU tile grid: the L3 size is per tile slice, traffic the grid's total (with multicast when set). */
  readonly gridRows?: number;
  readonly gridCols?: number;
  readonly multicast?: boolean;
}

export interface WorkloadAdvice {
  readonly workload: string;
  /** Smallest candidate meeting the target, or undefined when none does. */
  readonly l3Bytes: number | undefined;
  readonly strategy: Strategy | undefined;
  readonly ratio: number | undefined;
  /** Best ratio reached at the largest candidate. */
  readonly bestRatio: number;
}

export interface Advice {
  readonly within: number;
  /** Smallest size that meets the target for every workload (undefined when a workload never does). */
  readonly l3Bytes: number | undefined;
  readonly perWorkload: readonly WorkloadAdvice[];
}

export const DEFAULT_ADVISE_CANDIDATES: readonly number[] = Array.from({ length: 13 }, (_, i) => 2 ** (18 + i));

/**
 * "The smallest L3 per tile that keeps traffic within X of compulsory for this set of workloads": for each workload
 * and candidate size, the best strategy's (reads + writes) / compulsory; the answer is the smallest candidate where
 * every workload is within the target. One simulation pass per (workload, strategy) answers every candidate.
 */
export function adviseL3(workloads: readonly Workload[], options: AdviseOptions): Advice {
  if (!(options.within >= 1)) {
    throw new KpuError("KPU_BAD_FLAG", `--within ${String(options.within)} is below 1`, {
      where: "--within",
      hint: "Traffic can not go below compulsory: give a ratio such as 1.1 (within 10%).",
    });
  }
  const candidates = [...(options.candidatesBytes ?? DEFAULT_ADVISE_CANDIDATES)].sort((a, b) => a - b);
  const strategies = options.strategies ?? STRATEGIES;
  const model = options.model ?? "kpu";
  const cAccounting = options.cAccounting ?? "rmw";
  const perWorkload: WorkloadAdvice[] = workloads.map((w) => {
    // ratio[strategy][candidate]
    const ratios = strategies.map((strategy) => {
      if (options.gridRows !== undefined || options.gridCols !== undefined) {
        const d = analyzeDistributed(w, {
          gridRows: options.gridRows ?? 1,
          gridCols: options.gridCols ?? 1,
          sliceBytes: candidates,
          strategy,
          model,
          cAccounting,
        });
        return d.map((r) => ((options.multicast === true ? r.multicastReadBytes : r.dramReadBytes) + r.dramWriteBytes) / r.compulsoryBytes);
      }
      const rs = analyzeL3(w, { l3Bytes: candidates, strategies: [strategy], model, cAccounting });
      return rs.map((r) => (r.dramReadBytes + r.dramWriteBytes) / r.compulsoryBytes);
    });
    let found: WorkloadAdvice | undefined;
    let bestRatio = Infinity;
    for (let c = 0; c < candidates.length; c++) {
      let bestS = 0;
      for (let s = 1; s < strategies.length; s++) if (ratios[s]![c]! < ratios[bestS]![c]!) bestS = s;
      const ratio = ratios[bestS]![c]!;
      bestRatio = Math.min(bestRatio, ratio);
      if (found === undefined && ratio <= options.within) {
        found = { workload: w.name, l3Bytes: candidates[c], strategy: strategies[bestS], ratio, bestRatio: ratio };
      }
    }
    return found === undefined
      ? { workload: w.name, l3Bytes: undefined, strategy: undefined, ratio: undefined, bestRatio }
      : { ...found, bestRatio };
  });
  const sizes = perWorkload.map((p) => p.l3Bytes);
  const l3Bytes = sizes.some((s) => s === undefined) ? undefined : Math.max(...(sizes as number[]));
  return { within: options.within, l3Bytes, perWorkload };
}
