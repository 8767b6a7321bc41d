import { KpuError, formatByteSize } from "@kpu/ir";

/** How a free block is chosen: the lowest-addressed block that fits, or the smallest block that fits. */
export const PLACEMENTS = ["first-fit", "best-fit"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export interface ArenaOptions {
  /** Bytes of SRAM this arena manages, from `baseAddr` to `baseAddr + capacityBytes`. */
  readonly capacityBytes: number;
  /** Every allocation starts on a multiple of this and its size is rounded up to it (default 64 B). */
  readonly alignmentBytes?: number;
  readonly placement?: Placement;
  /** Address of the arena's first byte (default 0): lets an arena manage one region of a larger SRAM. */
  readonly baseAddr?: number;
  /** Names allocation tags in diagnostics (numbers are the scheduler's tile ids). */
  readonly describeTag?: (tag: number) => string;
}

/** One live allocation. `bytes` is the aligned size. */
export interface ArenaAllocation {
  readonly addr: number;
  readonly bytes: number;
  readonly tag: number;
}

export function alignUp(bytes: number, alignmentBytes: number): number {
  return Math.ceil(bytes / alignmentBytes) * alignmentBytes;
}

function checkPositiveInt(value: number, what: string, where: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KpuError("KPU_BAD_SIZE", `${what} is ${value}; it must be a positive whole number of bytes`, {
      where,
      hint: "Pass sizes such as 256KiB.",
    });
  }
}

/**
 * A simulated SRAM allocator: aligned first-fit or best-fit placement over a free list kept sorted by address,
 * coalescing adjacent free blocks on free, with live-byte and high-water tracking. Free blocks live in two typed
 * arrays (start, size), so allocating and freeing allocate no objects.
 */
export class SramArena {
  readonly capacityBytes: number;
  readonly alignmentBytes: number;
  readonly placement: Placement;
  readonly baseAddr: number;
  private readonly describeTag: (tag: number) => string;
  private freeStart: Float64Array;
  private freeSize: Float64Array;
  private freeCount = 0;
  /** Live allocations by address / alignment: size in bytes (0 = none) and tag. Typed arrays up to 4M granules. */
  private readonly sizeG: Float64Array | null;
  private readonly tagG: Int32Array | null;
  private readonly sizeOf = new Map<number, number>();
  private readonly tagOf = new Map<number, number>();
  private count = 0;
  private live = 0;
  private peak = 0;
  private highWater = 0;

  constructor(options: ArenaOptions) {
    checkPositiveInt(options.capacityBytes, "the arena capacity", "SRAM arena");
    const alignment = options.alignmentBytes ?? 64;
    checkPositiveInt(alignment, "the alignment", "SRAM arena");
    if ((alignment & (alignment - 1)) !== 0) {
      throw new KpuError("KPU_BAD_SIZE", `alignment ${alignment} B is not a power of two`, {
        where: "SRAM arena",
        hint: "Use an alignment such as 64.",
      });
    }
    this.capacityBytes = options.capacityBytes;
    this.alignmentBytes = alignment;
    this.placement = options.placement ?? "first-fit";
    this.baseAddr = options.baseAddr ?? 0;
    this.describeTag = options.describeTag ?? ((tag) => `#${tag}`);
    this.freeStart = new Float64Array(16);
    this.freeSize = new Float64Array(16);
    const granules = Math.ceil(this.capacityBytes / alignment);
    this.sizeG = granules <= 1 << 22 ? new Float64Array(granules) : null;
    this.tagG = granules <= 1 << 22 ? new Int32Array(granules) : null;
    this.reset();
  }

  /** Frees everything; keeps the peak unless `keepPeak` is false. */
  reset(keepPeak = false): void {
    // Only whole aligned units are usable.
    const usable = Math.floor(this.capacityBytes / this.alignmentBytes) * this.alignmentBytes;
    this.freeCount = usable > 0 ? 1 : 0;
    this.freeStart[0] = this.baseAddr;
    this.freeSize[0] = usable;
    this.sizeOf.clear();
    this.tagOf.clear();
    this.sizeG?.fill(0);
    this.count = 0;
    this.live = 0;
    if (!keepPeak) {
      this.peak = 0;
      this.highWater = 0;
    }
  }

  /** Bytes currently allocated (aligned sizes). */
  get liveBytes(): number {
    return this.live;
  }
  /** The most bytes ever live at once. */
  get peakBytes(): number {
    return this.peak;
  }
  /** The highest end address (relative to `baseAddr`) ever allocated. */
  get highWaterBytes(): number {
    return this.highWater;
  }
  get liveCount(): number {
    return this.count;
  }

  private record(addr: number, size: number, tag: number): void {
    if (this.sizeG !== null) {
      const g = (addr - this.baseAddr) / this.alignmentBytes;
      this.sizeG[g] = size;
      this.tagG![g] = tag;
    } else {
      this.sizeOf.set(addr, size);
      this.tagOf.set(addr, tag);
    }
    this.count++;
  }

  private removeBlock(i: number): void {
    const starts = this.freeStart;
    const sizes = this.freeSize;
    const n = --this.freeCount;
    for (let j = i; j < n; j++) {
      starts[j] = starts[j + 1]!;
      sizes[j] = sizes[j + 1]!;
    }
  }

  /** Size (aligned) of the live allocation at `addr`, or undefined. */
  sizeAt(addr: number): number | undefined {
    if (this.sizeG === null) return this.sizeOf.get(addr);
    const g = (addr - this.baseAddr) / this.alignmentBytes;
    const size = Number.isInteger(g) && g >= 0 && g < this.sizeG.length ? this.sizeG[g]! : 0;
    return size > 0 ? size : undefined;
  }

  largestFreeBlock(): number {
    let best = 0;
    for (let i = 0; i < this.freeCount; i++) best = Math.max(best, this.freeSize[i]!);
    return best;
  }

  /** True if an allocation of `bytes` would succeed now. */
  fits(bytes: number): boolean {
    return this.findBlock(alignUp(bytes, this.alignmentBytes)) >= 0;
  }

  private findBlock(size: number): number {
    if (this.placement === "first-fit") {
      for (let i = 0; i < this.freeCount; i++) if (this.freeSize[i]! >= size) return i;
      return -1;
    }
    let best = -1;
    let bestSize = Infinity;
    for (let i = 0; i < this.freeCount; i++) {
      const s = this.freeSize[i]!;
      if (s >= size && s < bestSize) {
        best = i;
        bestSize = s;
        if (s === size) break;
      }
    }
    return best;
  }

  /** Allocates `bytes` (rounded up to the alignment) and returns the address, or -1 if no free block fits. */
  tryAlloc(bytes: number, tag: number): number {
    const size = alignUp(bytes, this.alignmentBytes);
    if (size <= 0) return -1;
    const i = this.findBlock(size);
    if (i < 0) return -1;
    const addr = this.freeStart[i]!;
    const rest = this.freeSize[i]! - size;
    if (rest === 0) {
      this.removeBlock(i);
    } else {
      this.freeStart[i] = addr + size;
      this.freeSize[i] = rest;
    }
    this.record(addr, size, tag);
    this.live += size;
    if (this.live > this.peak) this.peak = this.live;
    const end = addr + size - this.baseAddr;
    if (end > this.highWater) this.highWater = end;
    return addr;
  }

  /** Allocates or throws KPU_MEM_OOM with the capacity, live bytes, largest free block and live allocations. */
  alloc(bytes: number, tag: number): number {
    checkPositiveInt(bytes, "the allocation size", "SRAM arena");
    const addr = this.tryAlloc(bytes, tag);
    if (addr < 0) throw this.outOfMemory(bytes, tag);
    return addr;
  }

  /** Frees the allocation at `addr`, merging it with adjacent free blocks. */
  free(addr: number): void {
    const size = this.sizeAt(addr);
    if (size === undefined) {
      throw new KpuError("KPU_MEM_BAD_FREE", `no live allocation starts at 0x${addr.toString(16)}`, {
        where: "SRAM arena",
        hint: "Free each address returned by alloc exactly once.",
      });
    }
    if (this.sizeG !== null) this.sizeG[(addr - this.baseAddr) / this.alignmentBytes] = 0;
    else {
      this.sizeOf.delete(addr);
      this.tagOf.delete(addr);
    }
    this.count--;
    this.live -= size;
    // Binary search for the first free block after addr.
    let lo = 0;
    let hi = this.freeCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeStart[mid]! < addr) lo = mid + 1;
      else hi = mid;
    }
    const mergePrev = lo > 0 && this.freeStart[lo - 1]! + this.freeSize[lo - 1]! === addr;
    const mergeNext = lo < this.freeCount && addr + size === this.freeStart[lo]!;
    if (mergePrev && mergeNext) {
      this.freeSize[lo - 1] = this.freeSize[lo - 1]! + size + this.freeSize[lo]!;
      this.removeBlock(lo);
    } else if (mergePrev) {
      this.freeSize[lo - 1] = this.freeSize[lo - 1]! + size;
    } else if (mergeNext) {
      this.freeStart[lo] = addr;
      this.freeSize[lo] = this.freeSize[lo]! + size;
    } else {
      if (this.freeCount === this.freeStart.length) {
        const grow = (a: Float64Array): Float64Array => {
          const b = new Float64Array(a.length * 2);
          b.set(a);
          return b;
        };
        this.freeStart = grow(this.freeStart);
        this.freeSize = grow(this.freeSize);
      }
      const starts = this.freeStart;
      const sizes = this.freeSize;
      for (let j = this.freeCount; j > lo; j--) {
        starts[j] = starts[j - 1]!;
        sizes[j] = sizes[j - 1]!;
      }
      starts[lo] = addr;
      sizes[lo] = size;
      this.freeCount++;
    }
  }

  /** Live allocations sorted by address. */
  allocations(): ArenaAllocation[] {
    if (this.sizeG === null) {
      return [...this.sizeOf].map(([addr, bytes]) => ({ addr, bytes, tag: this.tagOf.get(addr)! })).sort((a, b) => a.addr - b.addr);
    }
    const out: ArenaAllocation[] = [];
    for (let g = 0; g < this.sizeG.length; g++) {
      const bytes = this.sizeG[g]!;
      if (bytes > 0) out.push({ addr: this.baseAddr + g * this.alignmentBytes, bytes, tag: this.tagG![g]! });
    }
    return out;
  }

  /** Free blocks sorted by address. */
  freeBlocks(): { readonly addr: number; readonly bytes: number }[] {
    const out: { addr: number; bytes: number }[] = [];
    for (let i = 0; i < this.freeCount; i++) out.push({ addr: this.freeStart[i]!, bytes: this.freeSize[i]! });
    return out;
  }

  /** The out-of-memory error for a request of `bytes`: capacity, live bytes, largest free block, live allocations. */
  outOfMemory(bytes: number, tag: number, where = "SRAM arena"): KpuError {
    const live = this.allocations()
      .map((a) => `${this.describeTag(a.tag)} ${a.bytes} B @0x${a.addr.toString(16)}`)
      .join(", ");
    return new KpuError(
      "KPU_MEM_OOM",
      `cannot allocate ${alignUp(bytes, this.alignmentBytes)} B for ${this.describeTag(tag)}: capacity ${this.capacityBytes} B ` +
        `(${formatByteSize(this.capacityBytes)}), live ${this.live} B, largest free block ${this.largestFreeBlock()} B; ` +
        `live allocations: ${live === "" ? "none" : live}`,
      { where, hint: "Give the arena more SRAM, use smaller tiles, or free buffers earlier." },
    );
  }
}
