import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { DTYPES, KpuError, dtypeBytes, issuePath, issueRule, type KpuErrorCode } from "@kpu/ir";
import { VECTOR_OP_CLASSES, type VectorOpClass } from "@kpu/passes";
import { areaSectionSchema } from "./area.js";

/**
 * Version of the hardware description format (`kind: kpu.hardware`). Version 3 adds the optional `area` section;
 * version 2 (no `area`) and version 1 (no vector unit either) still load.
 */
export const HARDWARE_SCHEMA_VERSION = 3;

/** The memory levels, outermost first. */
export const LEVELS = ["dram", "l3", "l2", "l1"] as const;
export type LevelName = (typeof LEVELS)[number];

/** Dataflows of the systolic fabric: which operand stays in the processing elements. */
export const DATAFLOWS = ["os", "ws", "is"] as const;
export type Dataflow = (typeof DATAFLOWS)[number];

/** The clock domains, after kpu-sim: DMA engine, block mover, streamer and compute fabric. */
export const CLOCK_DOMAINS = ["dma", "blockMover", "streamer", "fabric"] as const;
export type ClockDomain = (typeof CLOCK_DOMAINS)[number];

/**
 * The clock in which a level's `bandwidthBytesPerCycle` and `latencyCycles` are stated: the clock of the engine that
 * reads it (DRAM is read by the DMA engine, L3 by the block mover, L2 by the streamer, L1 by the fabric).
 */
export const LEVEL_CLOCK: Readonly<Record<LevelName, ClockDomain>> = {
  dram: "dma",
  l3: "blockMover",
  l2: "streamer",
  l1: "fabric",
};

const positive = z.number().positive();
const levelSchema = z.strictObject({
  /** Banks (channels for DRAM) on the whole chip; on-chip levels are split evenly over the compute tiles. */
  banks: z.int().positive(),
  bankBytes: z.int().positive(),
  busWidthBytes: z.int().positive(),
  /** Per bank, per cycle of the level's clock (LEVEL_CLOCK). Zero is refused. */
  bandwidthBytesPerCycle: positive,
  latencyCycles: z.number().nonnegative(),
  energyPjPerByte: z.number().nonnegative(),
});

const perClass = (rule: z.ZodNumber) => z.strictObject({ alu: rule, transcendental: rule, reduce: rule });

/**
 * One vector unit per compute tile, fed from L2 like the fabric: `lanes` SIMD lanes at `clockMhz`, each retiring
 * `opsPerCyclePerLane[class]` ops of a class per cycle, at `energyPjPerOp[class]` picojoules per op.
 */
const vectorSchema = z.strictObject({
  lanes: z.int().positive(),
  clockMhz: positive,
  opsPerCyclePerLane: perClass(positive),
  energyPjPerOp: perClass(z.number().nonnegative()),
});

const hardwareFields = {
  kind: z.literal("kpu.hardware"),
  name: z.string().min(1),
  description: z.string().optional(),
  elementType: z.enum(DTYPES),
  computeTiles: z.int().positive(),
  clocks: z.strictObject({
    /** Every clock must divide the timebase; default: the fastest clock. */
    timebaseMhz: positive.optional(),
    dmaMhz: positive,
    blockMoverMhz: positive,
    streamerMhz: positive,
    fabricMhz: positive,
  }),
  fabric: z.strictObject({
    rows: z.int().positive(),
    cols: z.int().positive(),
    dataflow: z.enum(DATAFLOWS),
    macEnergyPj: z.number().nonnegative(),
  }),
  levels: z.strictObject({ dram: levelSchema, l3: levelSchema, l2: levelSchema, l1: levelSchema }),
};

export const hardwareJsonSchema = z.strictObject({ schemaVersion: z.literal(HARDWARE_SCHEMA_VERSION), ...hardwareFields, vector: vectorSchema, area: areaSectionSchema.optional() });
/** Version 2: the same description without the `area` section. */
const hardwareV2Schema = z.strictObject({ schemaVersion: z.literal(2), ...hardwareFields, vector: vectorSchema });
/** Version 1: the same description without a vector unit. */
const hardwareV1Schema = z.strictObject({ schemaVersion: z.literal(1), ...hardwareFields });

export type HardwareJson = z.infer<typeof hardwareJsonSchema>;
export type VectorUnitSpec = HardwareJson["vector"];

/**
 * The vector unit a version-1 description gets: one lane per fabric column at the fabric clock, add/mul and reduce
 * at 1 op per cycle per lane and transcendentals at 1/4 (the CUDA guide's ratio of special-function to fp32 add/mul
 * throughput for compute capability 7.x), energies of the v2 presets (0.1 pJ add/mul and reduce, 1 pJ transcendental).
 */
export function defaultVectorUnit(fabric: { readonly cols: number }, fabricMhz: number): VectorUnitSpec {
  return {
    lanes: fabric.cols,
    clockMhz: fabricMhz,
    opsPerCyclePerLane: { alu: 1, transcendental: 0.25, reduce: 1 },
    energyPjPerOp: { alu: 0.1, transcendental: 1, reduce: 0.1 },
  };
}
export type LevelSpec = HardwareJson["levels"]["dram"];

/** A validated hardware description (the JSON form) plus derived per-compute-tile figures. */
export interface Hardware extends HardwareJson {
  readonly derived: HardwareDerived;
}

export interface LevelDerived {
  readonly capacityBytes: number;
  /** The share of one compute tile: capacity (on-chip levels) and bandwidth (all levels, DRAM shared evenly). */
  readonly perTileCapacityBytes: number;
  readonly perTileBandwidthBytesPerCycle: number;
  readonly clock: ClockDomain;
  readonly clockMhz: number;
  readonly bandwidthGBps: number;
  /** Timebase ticks per cycle of the level's clock. */
  readonly ticksPerCycle: number;
}

export interface HardwareDerived {
  readonly elementBytes: number;
  readonly timebaseMhz: number;
  readonly ticksPerCycle: Readonly<Record<ClockDomain, number>>;
  readonly levels: Readonly<Record<LevelName, LevelDerived>>;
  readonly peakMacsPerCycle: number;
  readonly peakTmacs: number;
  /** Whole chip: vector ops of each class per fabric cycle (all compute tiles' vector units). */
  readonly vectorOpsPerFabricCycle: Readonly<Record<VectorOpClass, number>>;
}

const clockMhz = (hw: HardwareJson, d: ClockDomain): number => hw.clocks[`${d}Mhz`];

function fail(code: KpuErrorCode, message: string, where: string, hint: string): never {
  throw new KpuError(code, message, { where, hint });
}

/** Semantic rules beyond the schema: common timebase, even split of banks, a level holds at least one tile. */
function derive(hw: HardwareJson, source: string): HardwareDerived {
  const at = (path: string) => `${source}:${path}`;
  const fastest = Math.max(...CLOCK_DOMAINS.map((d) => clockMhz(hw, d)));
  const timebaseMhz = hw.clocks.timebaseMhz ?? fastest;
  const ticksPerCycle = {} as Record<ClockDomain, number>;
  for (const d of CLOCK_DOMAINS) {
    const ratio = timebaseMhz / clockMhz(hw, d);
    const rounded = Math.round(ratio);
    if (Math.abs(ratio - rounded) > 1e-9 || rounded < 1) {
      fail(
        "KPU_HW_CLOCK",
        `${clockMhz(hw, d)} MHz does not divide the ${timebaseMhz} MHz timebase, so the clock domains have no common timebase`,
        at(`clocks.${d}Mhz`),
        "Pick clocks that divide the fastest clock (e.g. 250, 500 and 2000 MHz) or set clocks.timebaseMhz to a common multiple.",
      );
    }
    ticksPerCycle[d] = rounded;
  }
  const elementBytes = dtypeBytes(hw.elementType);
  const minTileBytes = 3 * hw.fabric.rows * hw.fabric.cols * elementBytes;
  const levels = {} as Record<LevelName, LevelDerived>;
  for (const name of LEVELS) {
    const level = hw.levels[name];
    const clock = LEVEL_CLOCK[name];
    const onChip = name !== "dram";
    if (onChip && level.banks % hw.computeTiles !== 0) {
      fail(
        "KPU_HW_BANKS",
        `${level.banks} banks do not split evenly over ${hw.computeTiles} compute tiles`,
        at(`levels.${name}.banks`),
        `Use a multiple of computeTiles (${hw.computeTiles}).`,
      );
    }
    const capacityBytes = level.banks * level.bankBytes;
    const perTileCapacityBytes = onChip ? capacityBytes / hw.computeTiles : capacityBytes;
    if (perTileCapacityBytes < minTileBytes) {
      fail(
        "KPU_HW_BUFFER_TOO_SMALL",
        `${perTileCapacityBytes} bytes per compute tile is smaller than one A, B and C tile of the ${hw.fabric.rows}x${hw.fabric.cols} array (${minTileBytes} bytes)`,
        at(`levels.${name}.bankBytes`),
        "Raise bankBytes or banks, or use a smaller fabric.",
      );
    }
    const total = level.banks * level.bandwidthBytesPerCycle;
    levels[name] = {
      capacityBytes,
      perTileCapacityBytes,
      perTileBandwidthBytesPerCycle: total / hw.computeTiles,
      clock,
      clockMhz: clockMhz(hw, clock),
      bandwidthGBps: (total * clockMhz(hw, clock)) / 1000,
      ticksPerCycle: ticksPerCycle[clock],
    };
  }
  const peakMacsPerCycle = hw.computeTiles * hw.fabric.rows * hw.fabric.cols;
  const v = hw.vector;
  const vectorOpsPerFabricCycle = {} as Record<VectorOpClass, number>;
  for (const c of VECTOR_OP_CLASSES) vectorOpsPerFabricCycle[c] = (hw.computeTiles * v.lanes * v.opsPerCyclePerLane[c] * v.clockMhz) / hw.clocks.fabricMhz;
  return {
    elementBytes,
    timebaseMhz,
    ticksPerCycle,
    levels,
    peakMacsPerCycle,
    peakTmacs: (peakMacsPerCycle * hw.clocks.fabricMhz) / 1e6,
    vectorOpsPerFabricCycle,
  };
}

/** The rule a schema issue broke, in words ("is missing", "must be greater than 0", ...). */
/** Validates a parsed document (JSON or YAML) as a hardware description; `source` prefixes error locations. */
export function validateHardware(raw: unknown, source = "<hardware>"): Hardware {
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === "number" && version !== HARDWARE_SCHEMA_VERSION && version !== 1 && version !== 2) {
    fail(
      "KPU_SCHEMA_VERSION",
      `has schemaVersion ${version}; this kpu reads versions 1 to ${HARDWARE_SCHEMA_VERSION}`,
      source,
      "Export the description again with this version of kpu (`kpu hw show <preset> --json`).",
    );
  }
  const parsed = version === 1 ? hardwareV1Schema.safeParse(raw) : version === 2 ? hardwareV2Schema.safeParse(raw) : hardwareJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    fail(
      "KPU_SCHEMA",
      `${path === "" ? "the document" : path} ${issueRule(issue)}`,
      `${source}:${path || "(root)"}`,
      "Start from a preset: `kpu hw show edge-ai --json > hw.json`; sizes are in bytes, clocks in MHz, and bandwidths must be > 0.",
    );
  }
  const data = parsed.data;
  const hw: HardwareJson = "vector" in data ? { ...data, schemaVersion: HARDWARE_SCHEMA_VERSION } : { ...data, schemaVersion: HARDWARE_SCHEMA_VERSION, vector: defaultVectorUnit(data.fabric, data.clocks.fabricMhz) };
  return { ...hw, derived: derive(hw, source) };
}

/** Parses a hardware description from JSON or YAML text (YAML is a superset of JSON). */
export function parseHardware(text: string, source = "<hardware>"): Hardware {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is neither valid JSON nor YAML (${(cause as Error).message.split("\n")[0]})`, {
      where: source,
      hint: "Check the file for a syntax error.",
      cause,
    });
  }
  return validateHardware(raw, source);
}

/** The plain JSON form (without derived figures), as written by `kpu hw show --json`. */
export function hardwareToJson(hw: Hardware): HardwareJson {
  const { derived: _d, ...json } = hw;
  return json;
}

/** The plain form as YAML (loads back with parseHardware). */
export function hardwareToYaml(hw: Hardware): string {
  return stringifyYaml(hardwareToJson(hw));
}
