import { describe, expect, it } from "vitest";
import { isKpuError, type KpuError } from "@kpu/ir";
import { HARDWARE_PRESETS, validateHardware } from "@kpu/kpu-model";
import { applyParameters, parseSpace, spacePoints } from "../src/index.js";

function errorOf(fn: () => unknown): KpuError {
  try {
    fn();
  } catch (e) {
    if (isKpuError(e)) return e;
    throw e;
  }
  throw new Error("expected a KpuError");
}

const space = (parameters: string, objective = "latency", hw = "edge-ai") => `hw: ${hw}\nobjective: ${objective}\nparameters:\n${parameters}\n`;

describe("space files", () => {
  it("lists, arithmetic and geometric ranges, in the file's order, the last parameter fastest", () => {
    const s = parseSpace(space("  rows: [8, 16]\n  l2KiB: {from: 64, to: 256, step: 64}\n  dramGBps: {from: 32, to: 256, times: 2}"), "s.yaml");
    expect(s.parameters).toEqual([
      { name: "rows", values: [8, 16] },
      { name: "l2KiB", values: [64, 128, 192, 256] },
      { name: "dramGBps", values: [32, 64, 128, 256] },
    ]);
    expect(s.objective).toBe("latency");
    const points = spacePoints(s);
    expect(points).toHaveLength(2 * 4 * 4);
    expect(points[0]).toEqual({ rows: 8, l2KiB: 64, dramGBps: 32 });
    expect(points[1]).toEqual({ rows: 8, l2KiB: 64, dramGBps: 64 });
    expect(points.at(-1)).toEqual({ rows: 16, l2KiB: 256, dramGBps: 256 });
    // a step that does not land on `to` stops below it
    expect(parseSpace(space("  l1KiB: {from: 16, to: 40, step: 16}"), "s.yaml").parameters[0]!.values).toEqual([16, 32]);
  });

  const cases: [string, string, RegExp, RegExp][] = [
    ["empty list", space("  rows: []"), /^s\.yaml:parameters\.rows$/, /no values/],
    ["inverted range", space("  l2KiB: {from: 256, to: 64, step: 64}"), /^s\.yaml:parameters\.l2KiB$/, /inverted/],
    ["zero step", space("  l2KiB: {from: 64, to: 256, step: 0}"), /^s\.yaml:parameters\.l2KiB\.step$/, /greater than 0/],
    ["factor 1", space("  dramGBps: {from: 64, to: 256, times: 1}"), /^s\.yaml:parameters\.dramGBps\.times$/, /greater than 1/],
    ["a parameter we do not model", space("  voltage: [0.8, 0.9]"), /^s\.yaml:parameters\.voltage$/, /not a parameter kpu models/],
    ["an unknown objective", space("  rows: [8]", "speed"), /^s\.yaml:objective$/, /not an objective/],
    ["a fractional count", space("  rows: [8, 12.5]"), /^s\.yaml:parameters\.rows\.1$/, /whole number/],
    ["a negative value", space("  l1KiB: [-4]"), /^s\.yaml:parameters\.l1KiB\.0$/, /greater than 0/],
    ["a range with both step and times", space("  l2KiB: {from: 64, to: 256, step: 64, times: 2}"), /^s\.yaml:parameters\.l2KiB$/, /list of numbers or a range/],
    ["no parameters", "hw: edge-ai\n", /^s\.yaml:parameters$/, /is missing/],
    ["an unknown field", space("  rows: [8]") + "seed: 3\n", /^s\.yaml/, /unknown field \(seed\)/],
  ];
  it.each(cases)("%s: KPU_DSE_SPACE naming file:field", (_name, text, where, message) => {
    const e = errorOf(() => parseSpace(text, "s.yaml"));
    expect(e.code).toBe("KPU_DSE_SPACE");
    expect(e.where).toMatch(where);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it("an unknown base hardware, a syntax error, and a space too large", () => {
    expect(errorOf(() => parseSpace(space("  rows: [8]", "latency", "tpu-v9"), "s.yaml"))).toMatchObject({ code: "KPU_NO_SUCH_FILE", where: "s.yaml:hw" });
    expect(errorOf(() => parseSpace("hw: [", "s.yaml")).code).toBe("KPU_BAD_SYNTAX");
    expect(errorOf(() => parseSpace(space("  rows: {from: 1, to: 400, step: 1}\n  cols: {from: 1, to: 400, step: 1}"), "s.yaml")).code).toBe("KPU_TOO_LARGE");
  });
});

describe("parameters applied to the base hardware (per compute tile)", () => {
  const edge = structuredClone(HARDWARE_PRESETS["edge-ai"]!);

  it("computeTiles keeps every tile's memory and banks; capacity per tile sets the bank size", () => {
    // edge-ai: 2 tiles, L2 16 banks x 64 KiB (8 banks, 512 KiB per tile), L3 2 x 128 KiB, DRAM 8 ch x 64 B at 250 MHz
    const hw = applyParameters(edge, { computeTiles: 4, l2KiB: 256, l3Banks: 2 });
    expect(hw.computeTiles).toBe(4);
    expect(hw.levels.l2).toMatchObject({ banks: 32, bankBytes: (256 * 1024) / 8 });
    expect(hw.levels.l3).toMatchObject({ banks: 8, bankBytes: (128 * 1024) / 2 });
    expect(hw.levels.l1).toMatchObject({ banks: 16, bankBytes: 48 * 1024 });
    expect(hw.name).toBe("edge-ai[computeTiles=4,l2KiB=256,l3Banks=2]");
    expect(validateHardware(hw).derived.levels.l2.perTileCapacityBytes).toBe(256 * 1024);
  });

  it("DRAM bandwidth in GB/s over the channels at the DMA clock; clocks; the vector unit follows the fabric clock", () => {
    const hw = applyParameters(edge, { dramGBps: 64, fabricMhz: 1000 });
    // 64 GB/s = 8 channels x B x 250 MHz -> B = 32 bytes per DMA cycle per channel
    expect(hw.levels.dram.bandwidthBytesPerCycle).toBe(32);
    expect(validateHardware(hw).derived.levels.dram.bandwidthGBps).toBe(64);
    expect(hw.clocks.fabricMhz).toBe(1000);
    expect(hw.vector.clockMhz).toBe(1000);
    // no parameters: the base unchanged
    expect(applyParameters(edge, {})).toEqual(edge);
  });
});
