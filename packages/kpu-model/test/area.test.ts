import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HARDWARE_PRESETS, hardwareArea, hardwarePreset, hardwareToJson, validateHardware } from "../src/index.js";

// The README's coefficients, typed in again here (not imported): a change to the model must change this test too.
const BITCELL = { "7nm": 0.027, "16nm": 0.07, "28nm": 0.127 } as const;
const LOGIC = { "7nm": 3.33 / 91.2, "16nm": 3.33 / 28.88, "28nm": (28 * 28) / (45 * 45) } as const;
const FP32_MAC_45 = 7700 + 4184;
const FF_45 = 4.522;
const C = 219;

/** One bank by hand: macros of at most 64 KiB, bits x cell x (1 + 219 / sqrt(bits)). */
function bankUm2(bytes: number, cell: number): number {
  const macros = Math.ceil(bytes / 65536);
  const bits = (bytes * 8) / macros;
  return macros * bits * cell * (1 + C / Math.sqrt(bits));
}

describe("area model: closed form from the cited coefficients", () => {
  it("edge-ai at 16 nm, worked by hand", () => {
    const a = hardwareArea(hardwarePreset("edge-ai"));
    // L3: 2 banks of 128 KiB = 4 macros of 64 KiB (524288 bits, sqrt 724.077)
    const l3 = 4 * 524288 * 0.07 * (1 + 219 / 724.0773439350247);
    // L2: 16 banks of 64 KiB; L1: 8 banks of 48 KiB (393216 bits, sqrt 627.0694)
    const l2 = 16 * 524288 * 0.07 * (1 + 219 / 724.0773439350247);
    const l1 = 8 * 393216 * 0.07 * (1 + 219 / 627.0693741).valueOf();
    expect(a.sramMm2.l3).toBeCloseTo(l3 / 1e6, 9);
    expect(a.sramMm2.l2).toBeCloseTo(l2 / 1e6, 9);
    expect(a.sramMm2.l1).toBeCloseTo(l1 / 1e6, 6);
    // 2 tiles x 256 PEs, each an fp32 MAC and 96 register bits (A, B, 32-bit accumulator), scaled 45 -> 16 nm
    const pe = (FP32_MAC_45 + 96 * FF_45) * LOGIC["16nm"];
    expect(a.fabricMm2).toBeCloseTo((512 * pe) / 1e6, 9);
    // 2 tiles x 16 lanes, one fp32 MAC each
    expect(a.vectorMm2).toBeCloseTo((32 * FP32_MAC_45 * LOGIC["16nm"]) / 1e6, 9);
    expect(a.totalMm2).toBeCloseTo(a.sramMm2.l3 + a.sramMm2.l2 + a.sramMm2.l1 + a.fabricMm2 + a.vectorMm2, 12);
    // the order of magnitude a reader can check: about 2 mm²
    expect(a.totalMm2).toBeGreaterThan(1.9);
    expect(a.totalMm2).toBeLessThan(2.2);
  });

  it("per node, and overridden field by field in the hardware file", () => {
    const json = hardwareToJson(hardwarePreset("minimal"));
    for (const node of ["7nm", "16nm", "28nm"] as const) {
      const a = hardwareArea(validateHardware({ ...json, area: { node } }, "hw.json"));
      const l2 = 4 * bankUm2(32 * 1024, BITCELL[node]);
      expect(a.sramMm2.l2).toBeCloseTo(l2 / 1e6, 9);
      expect(a.fabricMm2).toBeCloseTo((64 * (FP32_MAC_45 + 96 * FF_45) * LOGIC[node]) / 1e6, 9);
    }
    const custom = hardwareArea(validateHardware({ ...json, area: { node: "7nm", macUm2: 1000, flipFlopUm2: 0, sramBitcellUm2: 0.1, sramPeripheryBits: 0 } }, "hw.json"));
    expect(custom.fabricMm2).toBeCloseTo((64 * 1000) / 1e6, 12);
    expect(custom.sramMm2.l3).toBeCloseTo((64 * 1024 * 8 * 0.1) / 1e6, 12);
  });

  it("version-2 files load without an area section; an unknown node names the field", () => {
    const v2 = { ...structuredClone(HARDWARE_PRESETS["edge-ai"]!), schemaVersion: 2 };
    expect(validateHardware(v2, "v2.json").schemaVersion).toBe(3);
    expect(() => validateHardware({ ...v2, area: { node: "7nm" } }, "v2.json")).toThrow(/unknown field \(area\)/);
    expect(() => validateHardware({ ...hardwareToJson(hardwarePreset("edge-ai")), area: { node: "5nm" } }, "hw.json")).toThrow(
      expect.objectContaining({ code: "KPU_SCHEMA", where: "hw.json:area.node" }),
    );
  });

  it("property: area grows with every capacity and array size, and SRAM per KiB falls with macro size up to the cap", () => {
    const json = hardwareToJson(hardwarePreset("edge-ai"));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), (r, c, k) => {
        const base = hardwareArea(json);
        const bigger = hardwareArea({ ...json, fabric: { ...json.fabric, rows: 16 + r, cols: 16 + c }, levels: { ...json.levels, l2: { ...json.levels.l2, bankBytes: json.levels.l2.bankBytes * (k + 1) } } });
        expect(bigger.totalMm2).toBeGreaterThan(base.totalMm2);
        return true;
      }),
    );
    // µm² per KiB: a 4 KiB macro pays more periphery per KiB than a 64 KiB one; beyond 64 KiB banks are whole 64 KiB macros
    const perKiB = (kib: number) => bankUm2(kib * 1024, 0.07) / kib;
    const model = (kib: number) => hardwareArea({ ...json, levels: { ...json.levels, l3: { ...json.levels.l3, bankBytes: kib * 1024 } } }).sramMm2.l3 / 2 / kib;
    expect(model(4)).toBeGreaterThan(model(64));
    expect(model(256)).toBeCloseTo(model(64), 12);
    expect(model(16) * 1e6).toBeCloseTo(perKiB(16), 6);
  });
});
