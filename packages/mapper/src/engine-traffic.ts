import { singleLevelNest, type NestOrder, type TileShape } from "@kpu/ir";
import { simulateHierarchy } from "@kpu/scheduler";
import type { BlockTraffic, LevelFlow } from "./traffic.js";

/**
 * The engine is a pure function of these inputs and the most expensive step of a search (80% of a DSE point's time,
 * profiled): its answers are kept per process (per worker thread), so hardware points that differ only in what the
 * engine does not see (DRAM bandwidth, clocks, energies) reuse them. The answer is the same object, never mutated.
 */
const MEMO_ENTRIES = 50_000;
const memo = new Map<string, BlockTraffic>();

/**
 * The hierarchy engine's count of the same block (the exact traffic, and what `kpu sim` moves): L1, L2 and L3 hold
 * `tile`, LRU, read-modify-write C. Multiplicities are averages (bytes over the tensor's bytes).
 */
export function engineBlockTraffic(block: TileShape, tile: TileShape, order: NestOrder, caps: readonly [number, number, number], elementBytes: number): BlockTraffic {
  const key = `${block.m},${block.n},${block.k}|${tile.m},${tile.n},${tile.k}|${order}|${caps[0]},${caps[1]},${caps[2]}|${elementBytes}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const t = runEngine(block, tile, order, caps, elementBytes);
  // a plain bound, not LRU: a DSE worker's points share most keys (DRAM bandwidth and clocks do not enter them)
  if (memo.size >= MEMO_ENTRIES) memo.clear();
  memo.set(key, t);
  return t;
}

function runEngine(block: TileShape, tile: TileShape, order: NestOrder, caps: readonly [number, number, number], elementBytes: number): BlockTraffic {
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
