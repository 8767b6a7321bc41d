import { KpuError, REPLACEMENT_POLICIES, type ReplacementPolicyName } from "@kpu/ir";

/**
 * The planner's name for a replacement policy: @kpu/ir's `ReplacementPolicyName`, the one vocabulary that the
 * `kpu.mapping` contract and `ReplacementSet` (@kpu/scheduler) use too.
 */
export type PolicyName = ReplacementPolicyName;

/** An eviction policy as a registry record: looked up by name, listed by the CLI. */
export interface EvictionPolicy {
  readonly name: PolicyName;
  readonly description: string;
}

// A record keyed by ir's names, so a policy added to REPLACEMENT_POLICIES fails to compile here until it is described.
const DESCRIPTIONS: Readonly<Record<PolicyName, string>> = {
  lru: "least recently used: evicts the tile whose last load or hit is oldest (every hit refreshes)",
  fifo: "first in, first out: evicts the tile loaded earliest; hits do not refresh (the seed's \"LRU\")",
  min: "Belady's MIN: evicts the tile whose next use is farthest in the future (optimal for a known future)",
};

/**
 * The eviction policies, in @kpu/ir's order. Only operand tiles are ever evicted (accumulators and forwarded tiles
 * live in their own region); tiles the current step (or, with double buffering, the running and the next step) reads
 * are pinned.
 */
export const EVICTION_POLICIES: readonly EvictionPolicy[] = REPLACEMENT_POLICIES.map((name) => ({ name, description: DESCRIPTIONS[name] }));

export const POLICY_NAMES: readonly PolicyName[] = REPLACEMENT_POLICIES;

export function isPolicyName(value: string): value is PolicyName {
  return (REPLACEMENT_POLICIES as readonly string[]).includes(value);
}

/** Checks a policy name; throws KPU_BAD_POLICY naming the value and the accepted names. */
export function parsePolicy(text: string, where = "--policy"): PolicyName {
  if (isPolicyName(text)) return text;
  throw new KpuError("KPU_BAD_POLICY", `unknown eviction policy "${text}"`, {
    where,
    hint: `Use one of: ${POLICY_NAMES.join(", ")}.`,
  });
}
