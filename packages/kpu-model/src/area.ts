import { z } from "zod";
import { dtypeBytes, type DType } from "@kpu/ir";
import type { HardwareJson } from "./hardware.js";

/**
 * The area model: silicon area of a KPU from its on-chip SRAM (per bank, by macro size), its processing elements
 * (one MAC and its pipeline registers each) and its vector lanes, per technology node. Every coefficient and its
 * source is in the package README ("Area model"); each one can be overridden in the hardware file's `area` section.
 * DRAM is off chip and has no area here; wires, NoC, DMA engines and control are not modelled (stated in the README).
 */
export const TECH_NODES = ["7nm", "16nm", "28nm"] as const;
export type TechNode = (typeof TECH_NODES)[number];

/** The node a description without `area.node` is costed at. */
export const DEFAULT_TECH_NODE: TechNode = "16nm";

/** Published high-density 6T SRAM bit-cell areas, µm² (README: TSMC IEDM papers). */
const BITCELL_UM2: Readonly<Record<TechNode, number>> = { "7nm": 0.027, "16nm": 0.07, "28nm": 0.127 };

/**
 * Logic area relative to 45 nm. 16 nm and 7 nm: the ratio of published logic densities (Intel 45 nm 3.33 MTr/mm²
 * against TSMC 16FF+ 28.88 and N7 91.2 MTr/mm²); 28 nm: ideal scaling (28/45)², an assumption.
 */
const LOGIC_SCALE: Readonly<Record<TechNode, number>> = { "7nm": 3.33 / 91.2, "16nm": 3.33 / 28.88, "28nm": (28 / 45) ** 2 };

/**
 * One MAC (multiplier + accumulating adder) at 45 nm, µm², from Horowitz (ISSCC 2014) table: fp32 mult 7700 + add
 * 4184; fp16 mult 1640 + add 1360 (bf16 taken as fp16); int8 mult 282 + 32-bit add 137 (int32 accumulator); int32
 * mult 3495 + add 137; int64 4 x the 32-bit multiplier (array area grows with the square of the width) + 2 x 137.
 */
const MAC_UM2_45NM: Readonly<Record<DType, number>> = {
  fp32: 7700 + 4184,
  fp16: 1640 + 1360,
  bf16: 1640 + 1360,
  int8: 282 + 137,
  int32: 3495 + 137,
  int64: 4 * 3495 + 2 * 137,
};

/** A D flip-flop at 45 nm, µm² per bit (NanGate FreePDK45 Open Cell Library, DFF_X1). */
const FLIP_FLOP_UM2_45NM = 4.522;

/** Periphery of a macro of `bits` bits, as a fraction of its bit cells: c / sqrt(bits) (README); c so that a 256 Kib macro is 70% bit cells. */
export const DEFAULT_PERIPHERY_BITS = 219;
/** Banks larger than this are built of several macros of this size (README). */
export const DEFAULT_MAX_MACRO_KIB = 64;

const positive = z.number().positive();

/** The optional `area` section of `kpu.hardware` (schemaVersion 3): the node and overrides of its coefficients. */
export const areaSectionSchema = z.strictObject({
  node: z.enum(TECH_NODES).optional(),
  /** µm² per SRAM bit cell. */
  sramBitcellUm2: positive.optional(),
  /** The periphery constant c in bits: macro area = bits x cell x (1 + c / sqrt(bits)). */
  sramPeripheryBits: z.number().nonnegative().optional(),
  maxMacroKiB: positive.optional(),
  /** µm² of one MAC of the element type (also one vector lane's ALU). */
  macUm2: positive.optional(),
  /** µm² per flip-flop bit (PE pipeline registers). */
  flipFlopUm2: z.number().nonnegative().optional(),
});
export type AreaSection = z.infer<typeof areaSectionSchema>;

/** The coefficients a description is costed with (node defaults with its overrides applied). */
export interface AreaCoefficients {
  readonly node: TechNode;
  readonly sramBitcellUm2: number;
  readonly sramPeripheryBits: number;
  readonly maxMacroKiB: number;
  readonly macUm2: number;
  readonly flipFlopUm2: number;
  /** Register bits per PE: the A and B operands passed on and the accumulator (at least 32 bits). */
  readonly peRegisterBits: number;
}

export interface AreaBreakdown {
  readonly coefficients: AreaCoefficients;
  /** mm² of each on-chip level (all banks of the chip). */
  readonly sramMm2: { readonly l3: number; readonly l2: number; readonly l1: number };
  /** mm² of the processing elements (every compute tile's array) and of the vector lanes. */
  readonly fabricMm2: number;
  readonly vectorMm2: number;
  readonly totalMm2: number;
}

/** The coefficients for a description: its node's defaults, overridden field by field by its `area` section. */
export function areaCoefficients(hw: Pick<HardwareJson, "elementType"> & { readonly area?: AreaSection | undefined }): AreaCoefficients {
  const a = hw.area ?? {};
  const node = a.node ?? DEFAULT_TECH_NODE;
  const scale = LOGIC_SCALE[node];
  const elementBits = 8 * dtypeBytes(hw.elementType);
  return {
    node,
    sramBitcellUm2: a.sramBitcellUm2 ?? BITCELL_UM2[node],
    sramPeripheryBits: a.sramPeripheryBits ?? DEFAULT_PERIPHERY_BITS,
    maxMacroKiB: a.maxMacroKiB ?? DEFAULT_MAX_MACRO_KIB,
    macUm2: a.macUm2 ?? MAC_UM2_45NM[hw.elementType] * scale,
    flipFlopUm2: a.flipFlopUm2 ?? FLIP_FLOP_UM2_45NM * scale,
    peRegisterBits: 2 * elementBits + Math.max(32, elementBits),
  };
}

/** µm² of one SRAM bank of `bankBytes`: whole macros of at most maxMacroKiB, each bits x cell x (1 + c / sqrt(bits)). */
export function sramBankUm2(bankBytes: number, c: Pick<AreaCoefficients, "sramBitcellUm2" | "sramPeripheryBits" | "maxMacroKiB">): number {
  const maxBytes = c.maxMacroKiB * 1024;
  const macros = Math.ceil(bankBytes / maxBytes);
  const bits = (8 * bankBytes) / macros;
  return macros * bits * c.sramBitcellUm2 * (1 + c.sramPeripheryBits / Math.sqrt(bits));
}

/** The chip's area by part, in mm². */
export function hardwareArea(hw: HardwareJson): AreaBreakdown {
  const c = areaCoefficients(hw);
  const level = (name: "l3" | "l2" | "l1") => (hw.levels[name].banks * sramBankUm2(hw.levels[name].bankBytes, c)) / 1e6;
  const sramMm2 = { l3: level("l3"), l2: level("l2"), l1: level("l1") };
  const pes = hw.computeTiles * hw.fabric.rows * hw.fabric.cols;
  const fabricMm2 = (pes * (c.macUm2 + c.peRegisterBits * c.flipFlopUm2)) / 1e6;
  const vectorMm2 = (hw.computeTiles * hw.vector.lanes * c.macUm2) / 1e6;
  return { coefficients: c, sramMm2, fabricMm2, vectorMm2, totalMm2: sramMm2.l3 + sramMm2.l2 + sramMm2.l1 + fabricMm2 + vectorMm2 };
}
