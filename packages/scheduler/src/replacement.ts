import type { ReplacementPolicyName } from "@kpu/ir";

const NONE = -1;

/**
 * The one replacement-policy implementation of kpu: the set of resident tiles and the victim choice of one policy
 * (LRU, FIFO or Belady's MIN), on typed arrays indexed by tile id. The hierarchy engine runs one per level; the memory
 * planner runs one over its operand tiles.
 * LRU and FIFO keep a doubly linked list (LRU moves a tile to the tail on every hit, FIFO only on load); MIN keeps a
 * max-heap of (next use, tile) with lazy deletion. Pinned tiles are skipped.
 */
export class ReplacementSet {
  private readonly policy: 0 | 1 | 2; // lru, fifo, min
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly sentinel: number;
  readonly pinned: Uint8Array;
  private readonly inSet: Uint8Array;
  // MIN
  private readonly tileNext: Float64Array;
  private heapKey: Float64Array;
  private heapTile: Int32Array;
  private heapSize = 0;
  private readonly aside: number[] = [];

  constructor(policy: ReplacementPolicyName, tiles: number, accesses: number) {
    this.policy = policy === "lru" ? 0 : policy === "fifo" ? 1 : 2;
    this.sentinel = tiles;
    this.prev = new Int32Array(tiles + 1).fill(NONE);
    this.next = new Int32Array(tiles + 1).fill(NONE);
    this.prev[tiles] = tiles;
    this.next[tiles] = tiles;
    this.pinned = new Uint8Array(tiles);
    this.inSet = new Uint8Array(tiles);
    this.tileNext = new Float64Array(this.policy === 2 ? tiles : 0);
    const heapCap = this.policy === 2 ? accesses + 16 : 0;
    this.heapKey = new Float64Array(heapCap);
    this.heapTile = new Int32Array(heapCap);
  }

  /** A tile was just loaded; `nextUse` is the time of its next access (MIN only). */
  insert(tile: number, nextUse: number): void {
    this.inSet[tile] = 1;
    if (this.policy === 2) {
      this.tileNext[tile] = nextUse;
      this.push(nextUse, tile);
    } else {
      this.linkTail(tile);
    }
  }

  /** A resident tile was used again (a hit). */
  touch(tile: number, nextUse: number): void {
    if (this.policy === 0) {
      this.unlink(tile);
      this.linkTail(tile);
    } else if (this.policy === 2) {
      this.tileNext[tile] = nextUse;
      this.push(nextUse, tile);
    }
  }

  remove(tile: number): void {
    this.inSet[tile] = 0;
    if (this.policy !== 2) this.unlink(tile);
    // MIN: heap entries of a removed tile are dropped lazily.
  }

  /** The tile to evict, or -1 if every resident tile is pinned. Does not remove it. */
  victim(): number {
    if (this.policy !== 2) {
      let t = this.next[this.sentinel]!;
      while (t !== this.sentinel && this.pinned[t] !== 0) t = this.next[t]!;
      return t === this.sentinel ? NONE : t;
    }
    let found = NONE;
    while (this.heapSize > 0) {
      const key = this.heapKey[0]!;
      const t = this.heapTile[0]!;
      if (this.inSet[t] === 0 || this.tileNext[t] !== key) {
        this.pop();
        continue;
      }
      if (this.pinned[t] !== 0) {
        this.pop();
        this.aside.push(t);
        continue;
      }
      found = t;
      break;
    }
    for (const t of this.aside) this.push(this.tileNext[t]!, t);
    this.aside.length = 0;
    return found;
  }

  private linkTail(t: number): void {
    const s = this.sentinel;
    const last = this.prev[s]!;
    this.next[last] = t;
    this.prev[t] = last;
    this.next[t] = s;
    this.prev[s] = t;
  }

  private unlink(t: number): void {
    const p = this.prev[t]!;
    const n = this.next[t]!;
    if (p === NONE) return;
    this.next[p] = n;
    this.prev[n] = p;
    this.prev[t] = NONE;
    this.next[t] = NONE;
  }

  private push(key: number, tile: number): void {
    if (this.heapSize === this.heapKey.length) {
      const k = new Float64Array(this.heapKey.length * 2 + 16);
      k.set(this.heapKey);
      const t = new Int32Array(this.heapTile.length * 2 + 16);
      t.set(this.heapTile);
      this.heapKey = k;
      this.heapTile = t;
    }
    let i = this.heapSize++;
    const keys = this.heapKey;
    const tiles = this.heapTile;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! >= key) break;
      keys[i] = keys[parent]!;
      tiles[i] = tiles[parent]!;
      i = parent;
    }
    keys[i] = key;
    tiles[i] = tile;
  }

  private pop(): void {
    const keys = this.heapKey;
    const tiles = this.heapTile;
    const n = --this.heapSize;
    if (n === 0) return;
    const key = keys[n]!;
    const tile = tiles[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && keys[r]! > keys[l]! ? r : l;
      if (keys[c]! <= key) break;
      keys[i] = keys[c]!;
      tiles[i] = tiles[c]!;
      i = c;
    }
    keys[i] = key;
    tiles[i] = tile;
  }
}
