import { singleLevelNest, type NestOrder, type TileShape } from "@kpu/ir";
import { simulateHierarchy } from "@kpu/scheduler";
import type { BlockTraffic, LevelFlow } from "./traffic.js";

/**
 * The hierarchy engine's count of the same block (the exact traffic, and what `kpu sim` moves): L1, L2 and L3 hold
 * `tile`, LRU, read-modify-write C. Multiplicities are averages (bytes over the tensor's bytes).
 */
export function engineBlockTraffic(block: TileShape, tile: TileShape, order: NestOrder, caps: readonly [number, number, number], elementBytes: number): BlockTraffic {
  const names = ["l1", "l2", "l3"] as const;
  const h = simulateHierarchy({
    nest: singleLevelNest(block, tile, order),
    elementBytes,
    cAccounting: "rmw",
    levels: names.map((name, x) => ({ name, capacityBytes: caps[x]!, tile, policy: "lru" as const })),
  });
  const sizes = [block.m * block.k, block.k * block.n, block.m * block.n].map((e) => e * elementBytes);
  const levels = h.levels.map((l): LevelFlow => ({ fill: [l.fillBytes[0], l.fillBytes[1], l.fillBytes[2]], writeBack: l.writeBackBytes[2] })) as unknown as BlockTraffic["levels"];
  const multiplicity = levels.map((l) => [l.fill[0] / sizes[0]!, l.fill[1] / sizes[1]!, l.fill[2] / sizes[2]!, l.writeBack / sizes[2]!] as const);
  return { levels, multiplicity, exact: true };
}
