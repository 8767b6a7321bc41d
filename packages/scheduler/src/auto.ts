import { analyzeL3, type L3Options, type L3Result } from "./l3.js";
import type { MatmulProblem } from "./problem.js";
import { STRATEGIES, STRATEGY_INFO } from "./strategy.js";

/** The strategy `auto` picks for one L3 size, with the evidence. */
export interface StrategyPick {
  readonly l3Bytes: number;
  readonly best: L3Result;
  /** One sentence: why this strategy (its traffic against the others'). */
  readonly reason: string;
  /** Every strategy's result at this size, in STRATEGIES order. */
  readonly candidates: readonly L3Result[];
}

const trafficOf = (r: L3Result): number => r.dramReadBytes + r.dramWriteBytes;

/**
 * `auto`: per L3 size, the strategy with the least DRAM traffic (reads + writes) in the chosen model; ties go to the
 * first of WS, IS, OS. The reason quotes each strategy's traffic over compulsory.
 */
export function pickStrategies(problem: MatmulProblem, options: Omit<L3Options, "strategies">): StrategyPick[] {
  const all = analyzeL3(problem, { ...options, strategies: STRATEGIES });
  return options.l3Bytes.map((l3Bytes, x) => {
    const candidates = STRATEGIES.map((_, s) => all[s * options.l3Bytes.length + x]!);
    let best = candidates[0]!;
    for (const c of candidates) if (trafficOf(c) < trafficOf(best)) best = c;
    const ratio = (r: L3Result): string => `${(trafficOf(r) / r.compulsoryBytes).toFixed(3)}x`;
    const others = candidates.filter((c) => c !== best).map((c) => `${STRATEGY_INFO[c.strategy].label} ${ratio(c)}`);
    const reason =
      `${STRATEGY_INFO[best.strategy].label} moves the least DRAM traffic: ${ratio(best)} compulsory ` +
      `(${others.join(", ")})`;
    return { l3Bytes, best, reason, candidates };
  });
}
