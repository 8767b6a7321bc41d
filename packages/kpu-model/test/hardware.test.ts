import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { isKpuError, type KpuError } from "@kpu/ir";
import { HARDWARE_PRESETS, PRESET_NAMES, hardwarePreset, hardwareToJson, parseHardware, validateHardware } from "../src/index.js";

function errorOf(fn: () => unknown): KpuError {
  try {
    fn();
  } catch (e) {
    if (isKpuError(e)) return e;
    throw e;
  }
  throw new Error("expected a KpuError");
}

interface Doc {
  vector?: unknown;
  schemaVersion: number;
  clocks: Record<string, number>;
  levels: Record<string, Record<string, number>>;
}
const edge = () => structuredClone(HARDWARE_PRESETS["edge-ai"]!) as unknown as Doc;

describe("hardware presets", () => {
  it("has the issue's presets", () => {
    expect(PRESET_NAMES).toEqual(["minimal", "edge-ai", "datacenter"]);
    const m = hardwarePreset("minimal");
    expect(m).toMatchObject({ computeTiles: 1, fabric: { rows: 8, cols: 8 } });
    expect(m.derived.levels.l3.capacityBytes).toBe(64 * 1024);
    expect(m.derived.levels.l2.capacityBytes).toBe(4 * 32 * 1024);
    const e = hardwarePreset("edge-ai");
    expect(e).toMatchObject({ computeTiles: 2, fabric: { rows: 16, cols: 16 }, levels: { l3: { banks: 2, bankBytes: 131072 }, l2: { banks: 16, bankBytes: 65536 } } });
    const d = hardwarePreset("datacenter");
    expect(d).toMatchObject({ computeTiles: 256, fabric: { rows: 32, cols: 32 }, levels: { l3: { banks: 256, bankBytes: 524288 }, l2: { banks: 4096, bankBytes: 131072 } } });
    expect(d.derived.levels.dram.bandwidthGBps).toBe(800);
  });

  it("uses kpu-sim's clocks and the issue's energies", () => {
    for (const name of PRESET_NAMES) {
      const hw = hardwarePreset(name);
      expect(hw.clocks).toEqual({ dmaMhz: 250, blockMoverMhz: 500, streamerMhz: 500, fabricMhz: 2000 });
      expect(hw.derived.ticksPerCycle).toEqual({ dma: 8, blockMover: 4, streamer: 4, fabric: 1 });
      expect([hw.levels.dram, hw.levels.l3, hw.levels.l2, hw.levels.l1].map((l) => l.energyPjPerByte)).toEqual([200, 10, 5, 1]);
      expect(hw.fabric.macEnergyPj).toBe(0.2);
      expect(hw.levels.l2.busWidthBytes).toBe(64);
    }
  });

  it("round-trips through JSON and YAML", () => {
    const hw = hardwarePreset("edge-ai");
    const json = hardwareToJson(hw);
    expect(parseHardware(JSON.stringify(json), "hw.json")).toEqual(hw);
    expect(parseHardware(stringify(json), "hw.yaml")).toEqual(hw);
  });
});

describe("bad hardware descriptions: the field and the rule", () => {
  const cases: [string, (d: Doc) => void, RegExp, RegExp][] = [
    ["missing field", (d) => delete d.levels.l2!.latencyCycles, /f\.json:levels\.l2\.latencyCycles/, /is missing/],
    ["negative field", (d) => (d.levels.l3!.latencyCycles = -5), /levels\.l3\.latencyCycles/, /must be at least 0/],
    ["zero bandwidth", (d) => (d.levels.dram!.bandwidthBytesPerCycle = 0), /levels\.dram\.bandwidthBytesPerCycle/, /must be greater than 0/],
    ["unknown field", (d) => (d.levels.l1!.speed = 3), /levels\.l1/, /unknown field \(speed\)/],
    ["buffer smaller than one tile", (d) => (d.levels.l1!.bankBytes = 256), /levels\.l1\.bankBytes/, /smaller than one A, B and C tile/],
    ["no common timebase", (d) => (d.clocks.dmaMhz = 300), /clocks\.dmaMhz/, /no common timebase/],
    ["banks not split over tiles", (d) => (d.levels.l2!.banks = 15), /levels\.l2\.banks/, /split evenly/],
    ["wrong version", (d) => (d.schemaVersion = 4), /^f\.json$/, /schemaVersion 4/],
    ["zero vector lanes", (d) => ((d.vector as { lanes: number }).lanes = 0), /vector\.lanes/, /must be greater than 0/],
  ];
  it.each(cases)("%s", (_name, mutate, where, message) => {
    const doc = edge();
    mutate(doc);
    const e = errorOf(() => validateHardware(doc, "f.json"));
    expect(e.code).toMatch(/^KPU_(HW_[A-Z_]+|SCHEMA|SCHEMA_VERSION)$/);
    expect(e.where).toMatch(where);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it("accepts clocks that divide an explicit timebase", () => {
    const doc = edge();
    doc.clocks.dmaMhz = 300;
    doc.clocks.timebaseMhz = 6000;
    expect(validateHardware(doc).derived.ticksPerCycle).toEqual({ dma: 20, blockMover: 12, streamer: 12, fabric: 3 });
  });

  it("names an unknown preset and lists the known ones", () => {
    const e = errorOf(() => hardwarePreset("tpu"));
    expect(e.code).toBe("KPU_HW_UNKNOWN_PRESET");
    expect(e.where).toBe("--hw");
    expect(e.hint).toContain("edge-ai");
  });

  it("reports a syntax error", () => {
    expect(errorOf(() => parseHardware("{ not: [valid", "x.yaml")).code).toBe("KPU_BAD_SYNTAX");
  });
});

describe("hardware v2: the vector unit", () => {
  it("loads a version-1 file with the documented default vector unit", () => {
    const doc = edge();
    doc.schemaVersion = 1;
    delete doc.vector;
    const hw = validateHardware(doc, "v1.json");
    expect(hw.schemaVersion).toBe(3);
    // one lane per fabric column at the fabric clock, transcendentals at a quarter rate (README)
    expect(hw.vector).toEqual({ lanes: 16, clockMhz: 2000, opsPerCyclePerLane: { alu: 1, transcendental: 0.25, reduce: 1 }, energyPjPerOp: { alu: 0.1, transcendental: 1, reduce: 0.1 } });
    // the YAML form of a v1 file goes through the same path
    expect(parseHardware(stringify(doc), "v1.yaml").vector.lanes).toBe(16);
  });

  it("refuses a version-1 file that already has a vector unit, and a v2 file without one", () => {
    const v1 = edge();
    v1.schemaVersion = 1;
    expect(errorOf(() => validateHardware(v1, "f.json")).message).toMatch(/unknown field \(vector\)/);
    const v2 = edge();
    delete v2.vector;
    expect(errorOf(() => validateHardware(v2, "f.json")).where).toMatch(/vector/);
  });

  it("derives the chip's vector ops per fabric cycle: tiles x lanes x rate x clock ratio", () => {
    const doc = edge() as unknown as { vector: { lanes: number; clockMhz: number } };
    doc.vector.clockMhz = 1000; // half the fabric clock
    const hw = validateHardware(doc, "f.json");
    // 2 tiles x 16 lanes x 1 op x 1000/2000 = 16 add/mul per fabric cycle; transcendentals a quarter of that
    expect(hw.derived.vectorOpsPerFabricCycle).toEqual({ alu: 16, transcendental: 4, reduce: 16 });
    expect(hardwarePreset("datacenter").vector.lanes).toBe(64);
    expect(hardwarePreset("minimal").vector.lanes).toBe(8);
  });
});
