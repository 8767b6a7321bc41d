import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatByteSize, parseByteSize } from "@kpu/ir";

describe("byte sizes", () => {
  it.each([
    ["256KiB", 262_144],
    ["16MiB", 16_777_216],
    ["1GiB", 1_073_741_824],
    ["256kB", 256_000],
    ["16MB", 16_000_000],
    ["64B", 64],
    ["1.5MiB", 1_572_864],
  ])("parses %s as %d bytes", (text, bytes) => {
    expect(parseByteSize(text, "--sram")).toBe(bytes);
  });

  it.each(["256", "0KiB", "-1KiB", "256KB", "12 parsecs", "", "0.3B"])("refuses %s with a typed error", (text) => {
    expect(() => parseByteSize(text, "--sram")).toThrow(expect.objectContaining({ code: "KPU_BAD_SIZE", where: "--sram" }));
  });

  it("says how to disambiguate KB", () => {
    expect(() => parseByteSize("256KB", "--sram")).toThrow(expect.objectContaining({ hint: expect.stringContaining("256KiB (262144 B)") }));
  });

  it("formatByteSize and parseByteSize round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bytes) => {
        expect(parseByteSize(formatByteSize(bytes), "x")).toBe(bytes);
      }),
    );
  });
});
