// A plain trace-driven L3 simulator: one capacity, a Map as the LRU (insertion order = recency), the trace generated
// step by step. Deliberately simple; the fast engine must equal it exactly.
import type { Strategy } from "@kpu/scheduler";

export interface RefInput {
  m: number;
  n: number;
  k: number;
  eb: number;
  ti: number;
  tj: number;
  tk: number;
  strategy: Strategy;
  model: "kpu" | "kpu-sim";
  cAccounting: "rmw" | "read-once";
  capBytes: number;
}

export interface RefResult {
  readBytes: [number, number, number];
  writeBytes: number;
  requests: [number, number, number];
  hits: [number, number, number];
  evictions: number;
  peakBytes: number;
}

export function referenceSim(p: RefInput): RefResult {
  const mt = Math.ceil(p.m / p.ti);
  const nt = Math.ceil(p.n / p.tj);
  const kt = Math.ceil(p.k / p.tk);
  const sim = p.model === "kpu-sim";
  const ext = (idx: number, t: number, dim: number): number => (sim ? t : Math.min(t, dim - idx * t));
  const cache = new Map<string, { size: number; dirty: boolean; tensor: number; lastK: boolean }>();
  let occ = 0;
  let peak = 0;
  let evictions = 0;
  const readBytes: [number, number, number] = [0, 0, 0];
  const requests: [number, number, number] = [0, 0, 0];
  const hits: [number, number, number] = [0, 0, 0];
  let writeBytes = 0;
  const touchedC = new Set<string>();

  const evictOne = (): void => {
    const [key, e] = cache.entries().next().value!;
    cache.delete(key);
    occ -= e.size;
    evictions++;
    if (e.dirty) writeBytes += e.size; // C: partial (before last k) or final write-back
  };
  // returns true on hit
  const request = (key: string, tensor: number, size: number, readOnMiss: boolean, dirty: boolean, lastK: boolean): void => {
    requests[tensor]!++;
    const e = cache.get(key);
    if (e !== undefined) {
      hits[tensor]!++;
      cache.delete(key);
      cache.set(key, { ...e, dirty: e.dirty || dirty, lastK });
      return;
    }
    if (readOnMiss) readBytes[tensor]! += size;
    if (sim) {
      while (occ + size > p.capBytes && cache.size > 0) evictOne();
      if (size <= p.capBytes) {
        cache.set(key, { size, dirty, tensor, lastK });
        occ += size;
      }
    } else if (size > p.capBytes) {
      if (dirty) writeBytes += size; // streamed C: written straight back
    } else {
      while (occ + size > p.capBytes) evictOne();
      cache.set(key, { size, dirty, tensor, lastK });
      occ += size;
    }
    peak = Math.max(peak, occ);
  };

  // The loop orders as the README documents them (outer -> inner), written out here rather than taken from the
  // implementation's STRATEGY_INFO, so that a wrong order there fails the comparison instead of being copied.
  const LOOPS: Record<Strategy, readonly ["i" | "j" | "k", "i" | "j" | "k", "i" | "j" | "k"]> = { ws: ["k", "i", "j"], is: ["k", "j", "i"], os: ["i", "j", "k"] };
  const [lo, lm, li] = LOOPS[p.strategy];
  const extent = { i: mt, j: nt, k: kt };
  const idx = { i: 0, j: 0, k: 0 };
  for (idx[lo] = 0; idx[lo] < extent[lo]; idx[lo]++) {
    for (idx[lm] = 0; idx[lm] < extent[lm]; idx[lm]++) {
      for (idx[li] = 0; idx[li] < extent[li]; idx[li]++) {
        const { i, j, k } = idx;
        const sa = ext(i, p.ti, p.m) * ext(k, p.tk, p.k) * p.eb;
        const sb = ext(k, p.tk, p.k) * ext(j, p.tj, p.n) * p.eb;
        const sc = ext(i, p.ti, p.m) * ext(j, p.tj, p.n) * p.eb;
        if (sim) {
          // kpu-sim: keyed by (tensor, byte offset, size), offsets that alias; C first, on its first touch only
          const ckey = `C${(i * p.ti * p.tj + j * p.tj) * p.eb}`;
          if (!touchedC.has(`${i},${j}`)) {
            touchedC.add(`${i},${j}`);
            request(ckey, 2, sc, true, false, false);
          }
          request(`A${(i * p.ti * p.tk + k * p.tk) * p.eb}`, 0, sa, true, false, false);
          request(`B${(k * p.tk * p.tj + j * p.tj) * p.eb}`, 1, sb, true, false, false);
        } else {
          request(`A${i},${k}`, 0, sa, true, false, false);
          request(`B${k},${j}`, 1, sb, true, false, false);
          const first = k === 0;
          if (p.cAccounting === "rmw") request(`C${i},${j}`, 2, sc, !first, true, k === kt - 1);
          else if (first) request(`C${i},${j}`, 2, sc, false, false, false);
        }
      }
    }
  }
  if (sim) writeBytes = p.m * p.n * p.eb;
  else {
    for (const e of cache.values()) if (e.dirty) writeBytes += e.size; // final write-back of what is left
    if (p.cAccounting === "read-once") writeBytes = p.m * p.n * p.eb;
  }
  return { readBytes, writeBytes, requests, hits, evictions, peakBytes: peak };
}
