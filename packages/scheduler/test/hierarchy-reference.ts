/**
 * A brute-force multi-level reference for the hierarchy engine, written independently of it: plain Maps keyed by
 * strings, recency by Map order, Belady's MIN by a materialised future, the loop nest by plain recursion.
 */
export interface RefTile {
  m: number;
  n: number;
  k: number;
}
export interface RefLevel {
  cap: number;
  tile: RefTile;
  policy: "lru" | "fifo" | "min";
}
export interface RefCase {
  dims: RefTile;
  /** Nest levels outermost first: [tile, order]. */
  nest: { tile: RefTile; order: string }[];
  eb: number;
  levels: RefLevel[];
  rmw: boolean;
}
export interface RefLevelResult {
  fill: number[];
  writeBack: number[];
  requests: number[];
  hits: number[];
  evictions: number;
  peak: number;
}

type Tensor = 0 | 1 | 2;
interface Entry {
  size: number;
  dirty: boolean;
  tensor: Tensor;
  u: number;
  v: number;
}

function refSteps(c: RefCase): [number, number, number][] {
  const out: [number, number, number][] = [];
  const inner = c.nest[c.nest.length - 1]!.tile;
  const visit = (level: number, lo: RefTile, hi: RefTile): void => {
    const { tile, order } = c.nest[level]!;
    const ds = order.split("") as ("m" | "n" | "k")[];
    const cur: RefTile = { ...lo };
    const loop = (depth: number): void => {
      if (depth === 3) {
        if (level === c.nest.length - 1) out.push([cur.m / inner.m, cur.n / inner.n, cur.k / inner.k]);
        else visit(level + 1, { ...cur }, { m: Math.min(hi.m, cur.m + tile.m), n: Math.min(hi.n, cur.n + tile.n), k: Math.min(hi.k, cur.k + tile.k) });
        return;
      }
      const d = ds[depth]!;
      for (cur[d] = lo[d]; cur[d] < hi[d]; cur[d] += tile[d]) loop(depth + 1);
      cur[d] = lo[d];
    };
    loop(0);
  };
  visit(0, { m: 0, n: 0, k: 0 }, c.dims);
  return out;
}

export function referenceHierarchy(c: RefCase, futures: (string[] | null)[] = c.levels.map(() => null)): { levels: RefLevelResult[]; streams: string[][] } {
  const L = c.levels.length;
  const step = c.nest[c.nest.length - 1]!.tile;
  const caches = c.levels.map(() => new Map<string, Entry>());
  const writtenOut = c.levels.map(() => new Set<string>());
  const used = c.levels.map(() => 0);
  const res: RefLevelResult[] = c.levels.map(() => ({ fill: [0, 0, 0], writeBack: [0, 0, 0], requests: [0, 0, 0], hits: [0, 0, 0], evictions: 0, peak: 0 }));
  const streams: string[][] = c.levels.map(() => []);
  const counters = c.levels.map(() => 0);
  const nextUse = new Map<string, number>()
  const pinned = new Set<string>();
  const touchedC = new Set<string>();
  const ext = (dim: number, t: number, i: number) => Math.min(t, dim - i * t);

  // tile (tensor, u, v) at level x holding the element origin (om, on, ok)
  const tileAt = (x: number, t: Tensor, om: number, on: number, ok: number): [Tensor, number, number] => {
    const tl = c.levels[x]!.tile;
    if (t === 0) return [0, Math.floor(om / tl.m), Math.floor(ok / tl.k)];
    if (t === 1) return [1, Math.floor(ok / tl.k), Math.floor(on / tl.n)];
    return [2, Math.floor(om / tl.m), Math.floor(on / tl.n)];
  };
  const originOf = (x: number, t: Tensor, u: number, v: number): [number, number, number] => {
    const tl = c.levels[x]!.tile;
    if (t === 0) return [u * tl.m, 0, v * tl.k];
    if (t === 1) return [0, v * tl.n, u * tl.k];
    return [u * tl.m, v * tl.n, 0];
  };
  const sizeOf = (x: number, t: Tensor, u: number, v: number): number => {
    const tl = c.levels[x]!.tile;
    const d = c.dims;
    if (t === 0) return ext(d.m, tl.m, u) * ext(d.k, tl.k, v) * c.eb;
    if (t === 1) return ext(d.k, tl.k, u) * ext(d.n, tl.n, v) * c.eb;
    return ext(d.m, tl.m, u) * ext(d.n, tl.n, v) * c.eb;
  };
  const key = (t: Tensor, u: number, v: number) => `${t}:${u}:${v}`;
  const record = (x: number, k: string) => {
    streams[x]!.push(k);
    const f = futures[x];
    if (f) {
      const i = counters[x]!++;
      let j = i + 1;
      while (j < f.length && f[j] !== k) j++;
      nextUse.set(`${x}|${k}`, j < f.length ? j : Infinity);
    }
  };
  const pickVictim = (x: number): string => {
    const cache = caches[x]!;
    const cands = [...cache.keys()].filter((k) => x !== 0 || !pinned.has(k));
    if (c.levels[x]!.policy !== "min" || futures[x] === null) return cands[0]!;
    // farthest next use; among tiles never used again, the largest (tensor, u, v)
    const rank = (k: string): number[] => {
      const nu = nextUse.get(`${x}|${k}`) ?? Infinity;
      const [t, u, v] = k.split(":").map(Number) as [number, number, number];
      return nu === Infinity ? [1, t, u, v] : [0, nu, 0, 0];
    };
    return cands.reduce((best, k) => {
      const a = rank(k);
      const b = rank(best);
      for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? k : best;
      return best;
    });
  };
  const makeRoom = (x: number, size: number): void => {
    const cache = caches[x]!;
    while (used[x]! + size > c.levels[x]!.cap) {
      const victim = pickVictim(x);
      const e = cache.get(victim)!;
      cache.delete(victim);
      used[x]! -= e.size;
      res[x]!.evictions++;
      if (e.dirty) writeBack(x, e.tensor, e.u, e.v);
    }
  };
  const insert = (x: number, t: Tensor, u: number, v: number, size: number, dirty: boolean) => {
    caches[x]!.set(key(t, u, v), { size, dirty, tensor: t, u, v });
    used[x]! += size;
    res[x]!.peak = Math.max(res[x]!.peak, used[x]!);
  };
  const hit = (x: number, k: string): Entry | undefined => {
    const cache = caches[x]!;
    const e = cache.get(k);
    if (e && c.levels[x]!.policy === "lru") {
      cache.delete(k);
      cache.set(k, e);
    }
    return e;
  };
  const fetchAbove = (x: number, t: Tensor, u: number, v: number): void => {
    if (x + 1 >= L) return;
    const [om, on, ok] = originOf(x, t, u, v);
    const [t2, u2, v2] = tileAt(x + 1, t, om, on, ok);
    read(x + 1, t2, u2, v2);
  };
  function read(x: number, t: Tensor, u: number, v: number): void {
    const k = key(t, u, v);
    res[x]!.requests[t]!++;
    record(x, k);
    if (hit(x, k)) {
      res[x]!.hits[t]!++;
      return;
    }
    const size = sizeOf(x, t, u, v);
    if (size <= c.levels[x]!.cap) {
      makeRoom(x, size);
      insert(x, t, u, v, size, false);
    }
    fetchAbove(x, t, u, v);
    res[x]!.fill[t]! += size;
  }
  // A write-back of `bytes` of tile (t, u, v) of level x (the whole tile unless passing through from a smaller one).
  function writeBack(x: number, t: Tensor, u: number, v: number, bytes = sizeOf(x, t, u, v)): void {
    res[x]!.writeBack[t]! += bytes;
    writtenOut[x]!.add(key(t, u, v));
    if (x + 1 < L) writeInto(x + 1, x, t, u, v, bytes);
  }
  function writeInto(x: number, from: number, t: Tensor, fu: number, fv: number, bytes: number): void {
    const [om, on, ok] = originOf(from, t, fu, fv);
    const [, u, v] = tileAt(x, t, om, on, ok);
    const k = key(t, u, v);
    res[x]!.requests[t]!++;
    record(x, k);
    const e = hit(x, k);
    if (e) {
      res[x]!.hits[t]!++;
      e.dirty = true;
      return;
    }
    const size = sizeOf(x, t, u, v);
    // larger than the level, or part of a tile whose other parts went above: the data passes on
    if (size > c.levels[x]!.cap || (bytes < size && writtenOut[x]!.has(k))) {
      writeBack(x, t, u, v, bytes);
      return;
    }
    makeRoom(x, size);
    insert(x, t, u, v, size, true);
  }

  const l0 = c.levels[0]!;
  const sm = Math.min(step.m, c.dims.m);
  const sn = Math.min(step.n, c.dims.n);
  const sk = Math.min(step.k, c.dims.k);
  const pinAll = (sm * sk + sk * sn + sm * sn) * c.eb <= l0.cap;
  for (const [m, n, k] of refSteps(c)) {
    const om = m * step.m;
    const on = n * step.n;
    const ok = k * step.k;
    const touch = (t: Tensor) => {
      const [, u, v] = tileAt(0, t, om, on, ok);
      read(0, t, u, v);
      if (pinAll) pinned.add(key(t, u, v));
    };
    touch(0);
    touch(1);
    const [, cu, cv] = tileAt(0, 2, om, on, ok);
    const ck = key(2, cu, cv);
    const first = !touchedC.has(ck);
    touchedC.add(ck);
    if (first || c.rmw) {
      if (first) {
        res[0]!.requests[2]!++;
        record(0, ck);
        const size = sizeOf(0, 2, cu, cv);
        if (size <= l0.cap) {
          makeRoom(0, size);
          insert(0, 2, cu, cv, size, false);
        }
      } else read(0, 2, cu, cv);
      if (pinAll) pinned.add(ck);
      const e = caches[0]!.get(ck);
      if (e) e.dirty = true;
      else writeBack(0, 2, cu, cv);
    }
    pinned.clear();
  }
  for (let x = 0; x < L; x++) {
    const dirty = [...caches[x]!.values()].filter((e) => e.dirty).sort((a, b) => a.tensor - b.tensor || a.u - b.u || a.v - b.v);
    for (const e of dirty) {
      if (!caches[x]!.has(key(e.tensor, e.u, e.v)) || !e.dirty) continue;
      e.dirty = false;
      writeBack(x, e.tensor, e.u, e.v);
    }
  }
  return { levels: res, streams };
}

/** Runs the reference with exact MIN: streams recorded level by level, innermost first. */
export function referenceWithMin(c: RefCase): RefLevelResult[] {
  let futures: (string[] | null)[] = c.levels.map(() => null);
  c.levels.forEach((lv, x) => {
    if (lv.policy !== "min") return;
    const { streams } = referenceHierarchy(c, futures);
    futures = futures.map((f, y) => (y === x ? streams[x]! : f));
  });
  return referenceHierarchy(c, futures).levels;
}
