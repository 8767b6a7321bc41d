/**
 * One pass of an LRU over whole tiles that answers several capacities at once (Mattson's inclusion property, with
 * tiles of different sizes): every cached node carries the index of the smallest capacity whose cache holds it, the
 * recency list is shared, and each capacity keeps a boundary pointer (its deepest cached node) and its occupancy.
 * Evictions and peak occupancy are exact per capacity. Allocation-free per access: typed arrays only.
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
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly level: Uint8Array;
  readonly size: Float64Array;
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
    this.prev = new Int32Array(nodeCount).fill(-1);
    this.next = new Int32Array(nodeCount).fill(-1);
    this.level = new Uint8Array(nodeCount).fill(this.levels);
    this.size = new Float64Array(nodeCount);
    this.bypass = mode === "bypass";
    this.accessesAt = new Float64Array(tensors * (this.levels + 1));
    this.readBytesAt = new Float64Array(tensors * (this.levels + 1));
  }

  /** Nodes of the final cache of capacity index `c`, i.e. those still resident at the end. */
  residentCount(c: number): number {
    let count = 0;
    for (let x = this.head; x !== -1; x = this.next[x]!) {
      if (this.level[x]! <= c) count++;
      else break;
    }
    return count;
  }

  /** Requests node `x` of tensor `t`; `readable` says whether a miss reads DRAM (false for a first touch of C). */
  touch(x: number, t: number, readable: boolean): void {
    const L = this.levels;
    const level = this.level;
    const lx = level[x]!;
    const slot = t * (L + 1) + lx;
    this.accessesAt[slot]!++;
    if (readable) this.readBytesAt[slot]! += this.size[x]!;
    if (x === this.head) return; // at the top already; a hit at every level it is in (or a lone oversize tile)
    const prev = this.prev;
    const next = this.next;
    const bnd = this.bnd;
    const s = this.size[x]!;
    if (lx === L && this.bypass && s > this.caps[0]!) return; // streams through (single-capacity bypass mode)
    if (lx < L) {
      // unlink x, moving any boundary that points at it up by one
      const p = prev[x]!;
      const nx = next[x]!;
      for (let c = lx; c < L; c++) if (bnd[c] === x) bnd[c] = p;
      next[p] = nx;
      if (nx !== -1) prev[nx] = p;
    }
    prev[x] = -1;
    next[x] = this.head;
    if (this.head !== -1) prev[this.head] = x;
    this.head = x;
    if (lx === 0) return;
    const caps = this.caps;
    const occ = this.occ;
    let newLevel = 0;
    for (let c = 0; c < lx; c++) {
      if (s > caps[c]!) {
        // kpu-sim: evict everything while trying to make room, then do not keep the tile
        this.flush(c, x);
        newLevel = c + 1;
        continue;
      }
      occ[c]! += s;
      if (bnd[c] === -1) bnd[c] = x;
      while (occ[c]! > caps[c]!) {
        const e = bnd[c]!;
        occ[c]! -= this.size[e]!;
        this.evictions[c]!++;
        level[e] = c + 1;
        bnd[c] = prev[e]!;
        if (c === L - 1) {
          const pe = prev[e]!;
          const ne = next[e]!;
          next[pe] = ne;
          if (ne !== -1) prev[ne] = pe;
          prev[e] = -1;
          next[e] = -1;
        }
      }
      if (occ[c]! > this.peak[c]!) this.peak[c] = occ[c]!;
    }
    level[x] = newLevel;
  }

  private flush(c: number, x: number): void {
    const level = this.level;
    let y = this.next[x]!;
    while (y !== -1 && level[y]! <= c) {
      const ny = this.next[y]!;
      level[y] = c + 1;
      this.evictions[c]!++;
      if (c === this.levels - 1) {
        const py = this.prev[y]!;
        this.next[py] = ny;
        if (ny !== -1) this.prev[ny] = py;
        this.prev[y] = -1;
        this.next[y] = -1;
      }
      y = ny;
    }
    this.occ[c] = 0;
    this.bnd[c] = -1;
  }
}
