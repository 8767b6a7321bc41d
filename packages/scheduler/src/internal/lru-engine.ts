/**
 * One pass of an LRU over whole tiles that answers several capacities at once (Mattson's inclusion property, with
 * tiles of different sizes): every cached node carries the index of the smallest capacity whose cache holds it, the
 * recency list is shared, and each capacity keeps a boundary pointer (its deepest cached node) and its occupancy.
 * Evictions and peak occupancy are exact per capacity. Allocation-free per access: one interleaved Int32Array
 * ([prev, next, level, size] per node, 16 bytes) so that an eviction touches one cache line.
 *
 * Two treatments of a tile larger than a capacity: `flush` (kpu-sim: the cache is emptied while it tries to make
 * room, and the tile is not kept) and `bypass` (the tile streams through; the cache is untouched). `bypass` breaks the
 * inclusion property, so the caller runs one capacity at a time when a tile exceeds a capacity.
 */
export class MultiLru {
  readonly levels: number;
  private readonly caps: Float64Array;
  private readonly occ: Float64Array;
  readonly peak: Float64Array;
  readonly evictions: Float64Array;
  private readonly bnd: Int32Array;
  /** Per node: [prev, next, level, size]; level = levels means "in no cache". */
  private readonly nd: Int32Array;
  private head = -1;
  private readonly bypass: boolean;
  /** Accesses per (tensor, level): level L means a miss in every cache. */
  readonly accessesAt: Float64Array;
  /** Bytes per (tensor, level) of accesses that would read DRAM on a miss. */
  readonly readBytesAt: Float64Array;

  constructor(nodeCount: number, capsBytes: readonly number[], mode: "flush" | "bypass", tensors = 3) {
    this.levels = capsBytes.length;
    this.caps = Float64Array.from(capsBytes);
    this.occ = new Float64Array(this.levels);
    this.peak = new Float64Array(this.levels);
    this.evictions = new Float64Array(this.levels);
    this.bnd = new Int32Array(this.levels).fill(-1);
    this.nd = new Int32Array(nodeCount * 4);
    for (let x = 0; x < nodeCount; x++) {
      this.nd[4 * x] = -1;
      this.nd[4 * x + 1] = -1;
      this.nd[4 * x + 2] = this.levels;
    }
    this.bypass = mode === "bypass";
    this.accessesAt = new Float64Array(tensors * (this.levels + 1));
    this.readBytesAt = new Float64Array(tensors * (this.levels + 1));
  }

  /** Sets a node's size in bytes (below 2^31: tiles are at most 2 GiB). */
  setSize(x: number, bytes: number): void {
    this.nd[4 * x + 3] = bytes;
  }

  /** Nodes still resident at the end in the cache of capacity index `c`. */
  residentCount(c: number): number {
    let count = 0;
    for (let x = this.head; x !== -1; x = this.nd[4 * x + 1]!) {
      if (this.nd[4 * x + 2]! <= c) count++;
      else break;
    }
    return count;
  }

  /** Requests node `x` of tensor `t`; `readable` says whether a miss reads DRAM (false for a first touch of C). */
  touch(x: number, t: number, readable: boolean): void {
    const L = this.levels;
    const nd = this.nd;
    const x4 = 4 * x;
    const lx = nd[x4 + 2]!;
    const s = nd[x4 + 3]!;
    const slot = t * (L + 1) + lx;
    this.accessesAt[slot]!++;
    if (readable) this.readBytesAt[slot]! += s;
    const head = this.head;
    if (x === head) return; // at the top already
    const bnd = this.bnd;
    if (lx === L && this.bypass && s > this.caps[0]!) return; // streams through (single-capacity bypass mode)
    if (lx < L) {
      // unlink x, moving any boundary that points at it up by one
      const p = nd[x4]!;
      const nx = nd[x4 + 1]!;
      for (let c = lx; c < L; c++) if (bnd[c] === x) bnd[c] = p;
      nd[4 * p + 1] = nx;
      if (nx !== -1) nd[4 * nx] = p;
    }
    nd[x4] = -1;
    nd[x4 + 1] = head;
    if (head !== -1) nd[4 * head] = x;
    this.head = x;
    if (lx === 0) return;
    const caps = this.caps;
    const occ = this.occ;
    const peak = this.peak;
    const evictions = this.evictions;
    let newLevel = 0;
    for (let c = 0; c < lx; c++) {
      const cap = caps[c]!;
      if (s > cap) {
        // kpu-sim: evict everything while trying to make room, then do not keep the tile
        this.flush(c, x);
        newLevel = c + 1;
        continue;
      }
      let o = occ[c]! + s;
      if (bnd[c] === -1) bnd[c] = x;
      if (o > cap) {
        let e = bnd[c]!;
        do {
          const e4 = 4 * e;
          o -= nd[e4 + 3]!;
          evictions[c]!++;
          nd[e4 + 2] = c + 1;
          const pe = nd[e4]!;
          if (c === L - 1) {
            const ne = nd[e4 + 1]!;
            nd[4 * pe + 1] = ne;
            if (ne !== -1) nd[4 * ne] = pe;
            nd[e4] = -1;
            nd[e4 + 1] = -1;
          }
          e = pe;
        } while (o > cap);
        bnd[c] = e;
      }
      occ[c] = o;
      if (o > peak[c]!) peak[c] = o;
    }
    nd[x4 + 2] = newLevel;
    if (newLevel === L) {
      // larger than every capacity: kept nowhere, so it leaves the list again
      const nx = nd[x4 + 1]!;
      this.head = nx;
      if (nx !== -1) nd[4 * nx] = -1;
      nd[x4 + 1] = -1;
    }
  }

  /** Counts `count` hits at every level for tensor `t` without touching the list (a pinned tile's repeats). */
  countHits(t: number, count: number): void {
    this.accessesAt[t * (this.levels + 1)]! += count;
  }

  /**
   * Takes the head node `x` (just touched, in every cache) out of the list while keeping its bytes in every cache's
   * occupancy. Valid while the smallest capacity holds x plus whatever is touched between two of its touches: then x
   * is never the LRU victim, and the other nodes keep their true order.
   */
  detachHead(x: number): void {
    const nd = this.nd;
    const nx = nd[4 * x + 1]!;
    for (let c = 0; c < this.levels; c++) if (this.bnd[c] === x) this.bnd[c] = -1;
    this.head = nx;
    if (nx !== -1) nd[4 * nx] = -1;
    nd[4 * x + 1] = -1;
  }

  /** Puts a detached node back at 1-based position `position` from the top (its true place), in every cache. */
  reattach(x: number, position: number): void {
    const nd = this.nd;
    let after = -1;
    for (let p = 1; p < position && (after === -1 ? this.head : nd[4 * after + 1]!) !== -1; p++) {
      after = after === -1 ? this.head : nd[4 * after + 1]!;
    }
    const bnd = this.bnd;
    if (after === -1) {
      const h = this.head;
      nd[4 * x + 1] = h;
      nd[4 * x] = -1;
      if (h !== -1) nd[4 * h] = x;
      this.head = x;
      for (let c = 0; c < this.levels; c++) if (bnd[c] === -1) bnd[c] = x;
    } else {
      const nx = nd[4 * after + 1]!;
      nd[4 * after + 1] = x;
      nd[4 * x] = after;
      nd[4 * x + 1] = nx;
      if (nx !== -1) nd[4 * nx] = x;
      for (let c = 0; c < this.levels; c++) if (bnd[c] === after || bnd[c] === -1) bnd[c] = x;
    }
    nd[4 * x + 2] = 0;
  }

  /** Nodes in the list (in the largest cache), most recent first, with their levels and sizes. */
  snapshot(): { ids: Int32Array; levels: Int32Array; sizes: Int32Array } {
    const nd = this.nd;
    let n = 0;
    for (let x = this.head; x !== -1; x = nd[4 * x + 1]!) n++;
    const ids = new Int32Array(n);
    const levels = new Int32Array(n);
    const sizes = new Int32Array(n);
    let p = 0;
    for (let x = this.head; x !== -1; x = nd[4 * x + 1]!) {
      ids[p] = x;
      levels[p] = nd[4 * x + 2]!;
      sizes[p++] = nd[4 * x + 3]!;
    }
    return { ids, levels, sizes };
  }

  /** Counters that an iteration adds to: accesses and read bytes per (tensor, level), evictions per level. */
  counters(): Float64Array {
    const out = new Float64Array(this.accessesAt.length * 2 + this.levels);
    out.set(this.accessesAt, 0);
    out.set(this.readBytesAt, this.accessesAt.length);
    out.set(this.evictions, this.accessesAt.length * 2);
    return out;
  }

  /** Adds `times` x (after - before) to the counters (the effect of `times` more identical iterations). */
  addCounters(before: Float64Array, after: Float64Array, times: number): void {
    const a = this.accessesAt.length;
    for (let i = 0; i < a; i++) {
      this.accessesAt[i]! += times * (after[i]! - before[i]!);
      this.readBytesAt[i]! += times * (after[a + i]! - before[a + i]!);
    }
    for (let c = 0; c < this.levels; c++) this.evictions[c]! += times * (after[2 * a + c]! - before[2 * a + c]!);
  }

  /**
   * Renames every listed node x to map(x), keeping the order and levels (the state of a later, identical iteration).
   * The caller guarantees map is injective on the listed nodes and preserves sizes.
   */
  relabel(map: (x: number) => number): void {
    const { ids, levels } = this.snapshot();
    const nd = this.nd;
    const L = this.levels;
    for (const x of ids) {
      nd[4 * x] = -1;
      nd[4 * x + 1] = -1;
      nd[4 * x + 2] = L;
    }
    let prev = -1;
    this.head = -1;
    this.bnd.fill(-1);
    for (let p = 0; p < ids.length; p++) {
      const y = map(ids[p]!);
      nd[4 * y] = prev;
      nd[4 * y + 1] = -1;
      nd[4 * y + 2] = levels[p]!;
      if (prev === -1) this.head = y;
      else nd[4 * prev + 1] = y;
      for (let c = levels[p]!; c < L; c++) this.bnd[c] = y;
      prev = y;
    }
  }

  private flush(c: number, x: number): void {
    const nd = this.nd;
    let y = nd[4 * x + 1]!;
    while (y !== -1 && nd[4 * y + 2]! <= c) {
      const ny = nd[4 * y + 1]!;
      nd[4 * y + 2] = c + 1;
      this.evictions[c]!++;
      if (c === this.levels - 1) {
        const py = nd[4 * y]!;
        nd[4 * py + 1] = ny;
        if (ny !== -1) nd[4 * ny] = py;
        nd[4 * y] = -1;
        nd[4 * y + 1] = -1;
      }
      y = ny;
    }
    this.occ[c] = 0;
    this.bnd[c] = -1;
  }
}
