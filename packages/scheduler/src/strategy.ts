import { KpuError, type LoopOrder } from "@kpu/ir";

/** The three dataflows, as named loop orders over the tile indices (i along M, j along N, k along K). */
export const STRATEGIES = ["ws", "is", "os"] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** What a user may ask for: a strategy, `auto` (picked per workload and L3 size), or `all`. */
export const STRATEGY_CHOICES = ["ws", "is", "os", "auto", "all"] as const;
export type StrategyChoice = (typeof STRATEGY_CHOICES)[number];

export interface StrategyInfo {
  readonly name: Strategy;
  /** Upper-case label as kpu-sim prints it (WS, IS, OS). */
  readonly label: string;
  readonly title: string;
  /** Outer to inner loop, as tile-index letters: WS = k->i->j. */
  readonly loops: readonly ["i" | "j" | "k", "i" | "j" | "k", "i" | "j" | "k"];
  /** The same order in @kpu/ir's m/n/k loop-order names (i = m, j = n). */
  readonly loopOrder: LoopOrder;
  /** The tensor kept resident, as kpu-sim names it: WS keeps a row of B, IS a column of A, OS each C tile. */
  readonly stationary: "A" | "B" | "C";
  /** The tensor whose tile stays constant across the innermost loop (WS: A, IS: B, OS: C). */
  readonly innerConstant: "A" | "B" | "C";
}

/** Registry of strategies, looked up by name. */
export const STRATEGY_INFO: Readonly<Record<Strategy, StrategyInfo>> = {
  ws: { name: "ws", label: "WS", title: "weight-stationary", loops: ["k", "i", "j"], loopOrder: "kmn", stationary: "B", innerConstant: "A" },
  is: { name: "is", label: "IS", title: "input-stationary", loops: ["k", "j", "i"], loopOrder: "knm", stationary: "A", innerConstant: "B" },
  os: { name: "os", label: "OS", title: "output-stationary", loops: ["i", "j", "k"], loopOrder: "mnk", stationary: "C", innerConstant: "C" },
};

export function parseStrategy(text: string, where = "strategy"): Strategy {
  const s = text.toLowerCase();
  if ((STRATEGIES as readonly string[]).includes(s)) return s as Strategy;
  throw new KpuError("KPU_L3_BAD_STRATEGY", `unknown strategy "${text}"`, {
    where,
    hint: `Use one of: ${STRATEGY_CHOICES.join(", ")}.`,
  });
}
