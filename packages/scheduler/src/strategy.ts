import { KpuError, STRATEGIES, STRATEGY_ORDER, type NestOrder, type Strategy } from "@kpu/ir";

export { STRATEGIES } from "@kpu/ir";
export type { Strategy } from "@kpu/ir";
/** What a user may ask for: a strategy, `auto` (picked per workload and L3 size), or `all`. */
export const STRATEGY_CHOICES = [...STRATEGIES, "auto", "all"] as const;
export type StrategyChoice = (typeof STRATEGY_CHOICES)[number];

export interface StrategyInfo {
  readonly name: Strategy;
  /** Upper-case label as kpu-sim prints it (WS, IS, OS). */
  readonly label: string;
  readonly title: string;
  /** The strategy's loop order over the tile indices, outermost first (@kpu/ir's vocabulary: WS = kmn). */
  readonly loopOrder: NestOrder;
  /** The tensor kept resident, as kpu-sim names it: WS keeps a row of B, IS a column of A, OS each C tile. */
  readonly stationary: "A" | "B" | "C";
  /** The tensor whose tile stays constant across the innermost loop (WS: A, IS: B, OS: C). */
  readonly innerConstant: "A" | "B" | "C";
}

/** Registry of strategies, looked up by name; the loop orders are @kpu/ir's STRATEGY_ORDER. */
export const STRATEGY_INFO: Readonly<Record<Strategy, StrategyInfo>> = {
  ws: { name: "ws", label: "WS", title: "weight-stationary", loopOrder: STRATEGY_ORDER.ws, stationary: "B", innerConstant: "A" },
  is: { name: "is", label: "IS", title: "input-stationary", loopOrder: STRATEGY_ORDER.is, stationary: "A", innerConstant: "B" },
  os: { name: "os", label: "OS", title: "output-stationary", loopOrder: STRATEGY_ORDER.os, stationary: "C", innerConstant: "C" },
};

export function parseStrategy(text: string, where = "strategy"): Strategy {
  const s = text.toLowerCase();
  if ((STRATEGIES as readonly string[]).includes(s)) return s as Strategy;
  throw new KpuError("KPU_BAD_STRATEGY", `unknown strategy "${text}"`, {
    where,
    hint: `Use one of: ${STRATEGY_CHOICES.join(", ")}.`,
  });
}
