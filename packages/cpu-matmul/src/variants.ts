import { KpuError } from "@kpu/ir";
import type { HostModel } from "./host.js";
import { hostRules } from "./rules.js";
import type { Schedule } from "./schedule.js";
import { MANUAL_VARIANTS, manualSchedule, seedRules } from "./seed.js";
import { PEERS } from "./peers.js";
import type { MatmulShape } from "./shapes.js";
import { tiledSchedule, type TiledParams } from "./template.js";

/**
 * Every variant `kpu cpu bench` knows: the seed's ten manual schedules, both rule sets, the tuner's best, and the peer
 * libraries (OpenBLAS, BLIS, oneDNN).
 */
export const VARIANTS = [...MANUAL_VARIANTS, "seed-rules", "host-rules", "tuned", ...PEERS] as const;
export type Variant = (typeof VARIANTS)[number];

export function isVariant(name: string): name is Variant {
  return (VARIANTS as readonly string[]).includes(name);
}

/** Parses `a,b,c` (or `all`, `manual`) into variants; unknown names are a user error. */
export function parseVariants(text: string, where = "--variants"): Variant[] {
  const out: Variant[] = [];
  for (const raw of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    if (raw === "all") out.push(...VARIANTS);
    else if (raw === "manual") out.push(...MANUAL_VARIANTS);
    else if (raw === "peers") out.push(...PEERS);
    else if (isVariant(raw)) out.push(raw);
    else throw new KpuError("KPU_CPU_UNKNOWN_VARIANT", `unknown variant "${raw}"`, { where, hint: `Use any of: ${VARIANTS.join(", ")} (or all, manual, peers).` });
  }
  if (out.length === 0) throw new KpuError("KPU_CPU_UNKNOWN_VARIANT", "no variant given", { where, hint: "Pass e.g. --variants host-rules,openblas." });
  return [...new Set(out)];
}

/**
 * The schedule of a variant for a shape (undefined for the peer libraries). `tuned` needs the tuner's best parameters for the
 * shape (from a tune log).
 */
export function variantSchedule(variant: Variant, shape: MatmulShape, host: HostModel, threads: number, tuned?: TiledParams): Schedule | undefined {
  switch (variant) {
    case "openblas":
    case "blis":
    case "onednn":
      return undefined;
    case "seed-rules":
      return seedRules(shape).schedule;
    case "host-rules":
      return hostRules(shape, host, threads).schedule;
    case "tuned":
      return tuned === undefined ? undefined : tiledSchedule("tuned", tuned);
    default:
      return manualSchedule(variant);
  }
}
