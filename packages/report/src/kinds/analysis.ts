import { KpuError, issuePath, issueRule } from "@kpu/ir";
import { ANALYSIS_SCHEMA_VERSION, PRESET_NAMES, hardwarePreset } from "@kpu/kpu-model";
import { z } from "zod";

/** The `kpu.analysis` document (`kpu analyze --json`): a network's totals and one record per layer. */
export const ANALYSIS_KIND = "kpu.analysis";
/** The version `kpu analyze` writes (@kpu/kpu-model's); every version from 1 up to it is read. */
export { ANALYSIS_SCHEMA_VERSION };
const READS_VERSIONS = Array.from({ length: ANALYSIS_SCHEMA_VERSION }, (_, i) => i + 1);

const nonNeg = z.number().nonnegative();
const fraction = z.number().min(0).max(1);
const shape = z.array(z.number().int().nonnegative());

const layerSchema = z.looseObject({
  id: z.string(),
  op: z.string(),
  inputShapes: z.array(shape),
  outputShape: shape,
  macs: nonNeg,
  unit: z.enum(["fabric", "vector", "none"]),
  mapping: z.looseObject({ source: z.string(), why: z.string() }),
  cycles: nonNeg,
  /** Version 2: busy fabric cycles per engine (version 1 has none; the page does not need them). */
  engineCycles: z.looseObject({ fabric: nonNeg, vector: nonNeg, dram: nonNeg, l3: nonNeg, l2: nonNeg }).optional(),
  latencyNs: nonNeg,
  fabricUtilization: fraction,
  vectorUtilization: fraction,
  bytes: z.looseObject({ dram: nonNeg, l3: nonNeg, l2: nonNeg, l1: nonNeg }),
  energyPj: nonNeg,
  bound: z.enum(["fabric", "vector", "dram", "l3", "l2", "none"]),
  /** intensity: MACs per DRAM byte; attained and peak: MACs per cycle. */
  roofline: z.looseObject({ intensity: nonNeg, attained: nonNeg, peak: nonNeg }),
});

export const analysisSchema = z.looseObject({
  kind: z.literal(ANALYSIS_KIND),
  schemaVersion: z.number().int().min(1).max(ANALYSIS_SCHEMA_VERSION),
  model: z.looseObject({ name: z.string(), source: z.string() }),
  hardware: z.string(),
  options: z.record(z.string(), z.unknown()),
  totals: z.looseObject({
    params: nonNeg,
    macs: nonNeg,
    cycles: nonNeg,
    latencyNs: nonNeg,
    energyPj: nonNeg,
    dramBytes: nonNeg,
    throughput: z.looseObject({ value: nonNeg, unit: z.string() }),
    fabricUtilization: fraction,
    vectorUtilization: fraction,
  }),
  layers: z.array(layerSchema).min(1),
});

export type AnalysisDoc = z.infer<typeof analysisSchema>;
export type AnalysisLayer = AnalysisDoc["layers"][number];

/** What the page draws: the document plus the DRAM roof, when the hardware is a preset whose bandwidth is known. */
export interface AnalysisView {
  readonly doc: AnalysisDoc;
  /** DRAM bytes per fabric cycle (the slope of the roofline's memory roof), or null for hardware not among the presets. */
  readonly dramBytesPerCycle: number | null;
  /** The chip's peak MACs per fabric cycle (the compute roof), or null for hardware not among the presets. */
  readonly peakMacsPerCycle: number | null;
}

/** Validates a `kpu.analysis` document; errors name the field (`layers[2].bound must be one of ...`). */
export function parseAnalysis(doc: unknown, where: string): AnalysisDoc {
  const d = doc as { schemaVersion?: unknown } | null;
  if (d !== null && typeof d.schemaVersion === "number" && !READS_VERSIONS.includes(d.schemaVersion)) {
    throw new KpuError("KPU_SCHEMA_VERSION", `has schemaVersion ${d.schemaVersion}; this kpu reads versions ${READS_VERSIONS.join(", ")}`, {
      where,
      hint: "Write the analysis again with this version of kpu (kpu analyze --json).",
    });
  }
  const parsed = analysisSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    throw new KpuError("KPU_SCHEMA", `${path === "" ? "the document" : path} ${issueRule(issue)}`, {
      where: `${where}:${path || "(root)"}`,
      hint: "Pass the output of `kpu analyze --json` (see @kpu/report's README for the kpu.analysis fields).",
    });
  }
  return parsed.data;
}

/** The memory roof's slope: DRAM bandwidth of the whole chip in bytes per fabric cycle. */
export function dramBytesPerFabricCycle(hardware: string): number | null {
  if (!PRESET_NAMES.includes(hardware)) return null;
  const hw = hardwarePreset(hardware);
  return (hw.derived.levels.dram.bandwidthGBps * 1000) / hw.clocks.fabricMhz;
}

export function analysisView(doc: unknown, where: string): AnalysisView {
  const parsed = parseAnalysis(doc, where);
  const peak = PRESET_NAMES.includes(parsed.hardware) ? hardwarePreset(parsed.hardware).derived.peakMacsPerCycle : null;
  return { doc: parsed, dramBytesPerCycle: dramBytesPerFabricCycle(parsed.hardware), peakMacsPerCycle: peak };
}
