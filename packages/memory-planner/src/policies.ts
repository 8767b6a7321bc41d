import { KpuError } from "@kpu/ir";

/** An eviction policy as a registry record: looked up by name, listed by the CLI. */
export interface EvictionPolicy {
  readonly name: string;
  readonly description: string;
}

/**
 * The eviction policies. Only operand tiles are ever evicted (accumulators and forwarded tiles live in their own
 * region); tiles the current step (or, with double buffering, the running and the next step) reads are pinned.
 */
export const EVICTION_POLICIES = [
  {
    name: "lru",
    description: "least recently used: evicts the tile whose last load or hit is oldest (every hit refreshes)",
  },
  {
    name: "fifo",
    description: "first in, first out: evicts the tile loaded earliest; hits do not refresh (the seed's \"LRU\")",
  },
  {
    name: "min",
    description: "Belady's MIN: evicts the tile whose next use is farthest in the future (optimal for a known future)",
  },
] as const satisfies readonly EvictionPolicy[];

export type PolicyName = (typeof EVICTION_POLICIES)[number]["name"];
export const POLICY_NAMES: readonly PolicyName[] = EVICTION_POLICIES.map((p) => p.name);

export function isPolicyName(value: string): value is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(value);
}

/** Checks a policy name; throws KPU_MEM_BAD_POLICY naming the value and the accepted names. */
export function parsePolicy(text: string, where = "--policy"): PolicyName {
  if (isPolicyName(text)) return text;
  throw new KpuError("KPU_MEM_BAD_POLICY", `unknown eviction policy "${text}"`, {
    where,
    hint: `Use one of: ${POLICY_NAMES.join(", ")}.`,
  });
}
