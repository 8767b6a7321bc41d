import { describe, expect, it } from "vitest";
import { analyzeL3, l3Traffic } from "@kpu/scheduler";

const KiB = 1024;

describe("the README's worked example", () => {
  it("64x64x64 fp32, 32x32x32 tiles, OS, L3 of three tiles: every A and B request misses", () => {
    const r = l3Traffic({ m: 64, n: 64, k: 64 }, { strategy: "os", tiles: { m: 32, n: 32, k: 32 }, l3Bytes: 12 * KiB });
    expect(r.tensors.a.readBytes).toBe(32 * KiB);
    expect(r.tensors.b.readBytes).toBe(32 * KiB);
    expect(r.tensors.c.readBytes).toBe(0);
    expect(r.tensors.c.writeBytes).toBe(16 * KiB);
    expect(r.dramReadBytes + r.dramWriteBytes).toBe(80 * KiB);
    expect(r.compulsoryBytes).toBe(48 * KiB);
    expect(r.overfetchTotal).toBeCloseTo(80 / 48, 12);
    expect(r.overfetchA).toBe(2);
    expect(r.overfetchC).toBe(1);
    expect(r.kpuSimOverfetchTotal).toBeCloseTo(64 / 48, 12);
    expect(r.tensors.c.hits).toBe(4); // the second k of each C tile
  });

  it("the same at 16 KiB for WS spills C partial sums: read once more and written twice", () => {
    const [ws] = analyzeL3({ m: 64, n: 64, k: 64 }, { strategies: ["ws"], tiles: { m: 32, n: 32, k: 32 }, l3Bytes: [16 * KiB] });
    // C tiles are revisited once per k; a 4-tile L3 cannot hold 4 C tiles plus the operands
    expect(ws!.tensors.c.readBytes).toBe(16 * KiB);
    expect(ws!.tensors.c.writeBytes).toBe(32 * KiB);
    expect(ws!.tensors.a.readBytes).toBe(16 * KiB);
    expect(ws!.tensors.b.readBytes).toBe(32 * KiB); // and C crowds B out: the B row of each k is read twice
  });
});
