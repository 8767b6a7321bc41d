import { KpuError } from "@kpu/ir";
import { HARDWARE_SCHEMA_VERSION, validateHardware, type Hardware, type HardwareJson, type LevelSpec } from "./hardware.js";

const GiB = 1024 ** 3;
const KiB = 1024;

/** kpu-sim's defaults: DMA 250 MHz, block mover and streamer 500 MHz, fabric 2 GHz. */
const KPU_SIM_CLOCKS = { dmaMhz: 250, blockMoverMhz: 500, streamerMhz: 500, fabricMhz: 2000 } as const;

/** A level with kpu-sim's 64-byte bus and the default energies (DRAM 200, L3 10, L2 5, L1 1 pJ/B). */
function level(banks: number, bankBytes: number, bandwidthBytesPerCycle: number, latencyCycles: number, energyPjPerByte: number): LevelSpec {
  return { banks, bankBytes, busWidthBytes: 64, bandwidthBytesPerCycle, latencyCycles, energyPjPerByte };
}

/**
 * The presets' vector unit: `lanes` lanes at the fabric clock. Stated assumptions: lanes = 1/16 of the array's MACs
 * (the order of TPU v2/v3's vector-to-matrix throughput ratio; minimal keeps one lane per column); add/mul and reduce
 * 1 op per cycle per lane, transcendentals 1/4 (the CUDA C++ Programming Guide's arithmetic-throughput table, compute
 * capability 7.x: 16 special-function results vs 64 fp32 add/mul per SM per clock); energy per op scaled from
 * Horowitz (ISSCC 2014, 45 nm: fp32 add 0.9 pJ, mul 3.7 pJ) by the presets' MAC energy (0.2 pJ against his 4.6 pJ
 * add + mul): 0.1 pJ add/mul and reduce, 1 pJ a transcendental (about ten add/mul steps of a polynomial).
 */
function vector(lanes: number): HardwareJson["vector"] {
  return {
    lanes,
    clockMhz: KPU_SIM_CLOCKS.fabricMhz,
    opsPerCyclePerLane: { alu: 1, transcendental: 0.25, reduce: 1 },
    energyPjPerOp: { alu: 0.1, transcendental: 1, reduce: 0.1 },
  };
}

function preset(name: string, description: string, computeTiles: number, array: number, levels: HardwareJson["levels"]): HardwareJson {
  return {
    schemaVersion: HARDWARE_SCHEMA_VERSION,
    kind: "kpu.hardware",
    name,
    description,
    elementType: "fp32",
    computeTiles,
    clocks: { ...KPU_SIM_CLOCKS },
    fabric: { rows: array, cols: array, dataflow: "os", macEnergyPj: 0.2 },
    levels,
    vector: vector(Math.max(array, (array * array) / 16)),
  };
}

/**
 * The built-in presets, looked up by name. Capacities are the issue's; bandwidths and latencies are ours (DRAM
 * latency 100 DMA cycles, L3 and L2 10 cycles, L1 1 fabric cycle, after the seed's staggered injection example).
 */
export const HARDWARE_PRESETS: Readonly<Record<string, HardwareJson>> = {
  minimal: preset("minimal", "1 compute tile, 8x8 array, L3 1x64 KiB, L2 4x32 KiB, DRAM 32 GB/s", 1, 8, {
    dram: level(2, GiB, 64, 100, 200),
    l3: level(1, 64 * KiB, 64, 10, 10),
    l2: level(4, 32 * KiB, 64, 10, 5),
    l1: level(4, 16 * KiB, 64, 1, 1),
  }),
  "edge-ai": preset("edge-ai", "2 compute tiles, 16x16 arrays, L3 2x128 KiB, L2 16x64 KiB, DRAM 128 GB/s", 2, 16, {
    dram: level(8, GiB, 64, 100, 200),
    l3: level(2, 128 * KiB, 128, 10, 10),
    l2: level(16, 64 * KiB, 64, 10, 5),
    l1: level(8, 48 * KiB, 64, 1, 1),
  }),
  datacenter: preset("datacenter", "256 compute tiles, 32x32 arrays, L3 256x512 KiB, L2 4096x128 KiB, DRAM 800 GB/s", 256, 32, {
    dram: level(32, 4 * GiB, 100, 100, 200),
    l3: level(256, 512 * KiB, 128, 10, 10),
    l2: level(4096, 128 * KiB, 64, 10, 5),
    l1: level(512, 128 * KiB, 128, 1, 1),
  }),
};

export const PRESET_NAMES: readonly string[] = Object.keys(HARDWARE_PRESETS);

/** Looks up a preset by name; an unknown name is a KpuError listing the known ones. */
export function hardwarePreset(name: string, where = "--hw"): Hardware {
  const json = HARDWARE_PRESETS[name];
  if (json === undefined) {
    throw new KpuError("KPU_HW_UNKNOWN_PRESET", `"${name}" is not a hardware preset`, {
      where,
      hint: `Use one of: ${PRESET_NAMES.join(", ")}, or a path to a hardware JSON/YAML file.`,
    });
  }
  return validateHardware(structuredClone(json), `preset ${name}`);
}
