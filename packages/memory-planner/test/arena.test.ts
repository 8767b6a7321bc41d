import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isKpuError } from "@kpu/ir";
import { SramArena } from "@kpu/memory-planner";

describe("SramArena", () => {
  it("aligns addresses and sizes, tracks live and peak bytes", () => {
    const arena = new SramArena({ capacityBytes: 1024, alignmentBytes: 64 });
    const a = arena.alloc(100, 1);
    const b = arena.alloc(64, 2);
    expect(a).toBe(0);
    expect(b).toBe(128);
    expect(arena.liveBytes).toBe(192);
    arena.free(a);
    expect(arena.liveBytes).toBe(64);
    expect(arena.peakBytes).toBe(192);
    expect(arena.alloc(10, 3)).toBe(0);
  });

  it("coalesces adjacent free blocks on free", () => {
    const arena = new SramArena({ capacityBytes: 256, alignmentBytes: 64 });
    const xs = [0, 1, 2, 3].map((t) => arena.alloc(64, t));
    arena.free(xs[1]!);
    arena.free(xs[3]!);
    arena.free(xs[2]!);
    expect(arena.freeBlocks()).toEqual([{ addr: 64, bytes: 192 }]);
    arena.free(xs[0]!);
    expect(arena.freeBlocks()).toEqual([{ addr: 0, bytes: 256 }]);
    expect(arena.largestFreeBlock()).toBe(256);
  });

  it("first-fit takes the lowest block, best-fit the smallest", () => {
    for (const placement of ["first-fit", "best-fit"] as const) {
      const arena = new SramArena({ capacityBytes: 640, alignmentBytes: 64, placement });
      const blocks = [128, 64, 64, 64, 128, 64].map((s, t) => arena.alloc(s, t));
      arena.free(blocks[0]!); // hole of 128 at 0
      arena.free(blocks[2]!); // hole of 64 at 192
      const at = arena.alloc(64, 9);
      expect(at).toBe(placement === "first-fit" ? 0 : 192);
    }
  });

  it("reports out-of-memory with capacity, live bytes, largest free block and live allocations by tag", () => {
    const arena = new SramArena({ capacityBytes: 256, alignmentBytes: 64, describeTag: (t) => `tile${t}` });
    arena.alloc(64, 1);
    const mid = arena.alloc(64, 2);
    arena.alloc(64, 3);
    arena.free(mid);
    try {
      arena.alloc(128, 4);
      expect.unreachable();
    } catch (e) {
      expect(isKpuError(e)).toBe(true);
      const err = e as Error & { code: string };
      expect(err.code).toBe("KPU_MEM_OOM");
      expect(err.message).toContain("capacity 256 B");
      expect(err.message).toContain("live 128 B");
      expect(err.message).toContain("largest free block 64 B");
      expect(err.message).toContain("tile1 64 B @0x0");
      expect(err.message).toContain("tile3 64 B @0x80");
    }
  });

  it("refuses bad sizes and double frees", () => {
    expect(() => new SramArena({ capacityBytes: 0 })).toThrow(/KPU|positive/);
    expect(() => new SramArena({ capacityBytes: 100, alignmentBytes: 48 })).toThrow(/power of two/);
    const arena = new SramArena({ capacityBytes: 128 });
    expect(() => arena.alloc(-1, 0)).toThrow(/positive/);
    const a = arena.alloc(8, 0);
    arena.free(a);
    expect(() => arena.free(a)).toThrow(/no live allocation/);
  });

  it("random alloc/free sequences: allocations never overlap, stay aligned and in capacity; free space is coalesced", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("first-fit" as const, "best-fit" as const),
        fc.constantFrom(16, 64, 128),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 700 }), fc.nat()), { maxLength: 120 }),
        (placement, align, actions) => {
          const arena = new SramArena({ capacityBytes: 4096, alignmentBytes: align, placement });
          const live: number[] = [];
          for (const [doAlloc, size, pick] of actions) {
            if (doAlloc || live.length === 0) {
              const addr = arena.tryAlloc(size, live.length);
              if (addr >= 0) live.push(addr);
              else expect(arena.largestFreeBlock()).toBeLessThan(Math.ceil(size / align) * align);
            } else {
              const [addr] = live.splice(pick % live.length, 1);
              arena.free(addr!);
            }
            const allocs = arena.allocations();
            let used = 0;
            for (let i = 0; i < allocs.length; i++) {
              const x = allocs[i]!;
              expect(x.addr % align).toBe(0);
              expect(x.addr + x.bytes).toBeLessThanOrEqual(4096);
              if (i > 0) expect(allocs[i - 1]!.addr + allocs[i - 1]!.bytes).toBeLessThanOrEqual(x.addr);
              used += x.bytes;
            }
            expect(arena.liveBytes).toBe(used);
            const free = arena.freeBlocks();
            for (let i = 1; i < free.length; i++) expect(free[i - 1]!.addr + free[i - 1]!.bytes).toBeLessThan(free[i]!.addr);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
