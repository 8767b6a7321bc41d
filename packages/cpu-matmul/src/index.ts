export { BERT_KERNELS, BERT_M_VALUES, MAX_EXTENT, MAX_MACS, bertShapes, parseShapesText, shapeFlops, shapeKey, validateShape } from "./shapes.js";
export type { MatmulShape } from "./shapes.js";
export { HOST_CONFIG_KEYS, VECTOR_ISAS, applyHostConfig, checkHost, describeHost, detectHost, hostConfigSchema, loadHostConfig, supportedLanes, vectorLanes } from "./host.js";
export type { CacheLevel, HostConfig, HostModel, VectorIsa } from "./host.js";
export {
  MAX_LOCAL_ACC_BYTES,
  MAX_PACK_BYTES,
  MAX_PREFETCH_DISTANCE,
  ROOT,
  formatNest,
  formatSchedule,
  loopExtent,
  registerTile,
  validateSchedule,
} from "./schedule.js";
export type { Axis, AxisLevel, Loop, LoopNest, Primitive, RegisterTile, Schedule, Validation } from "./schedule.js";
export { C_PRELUDE, emitKernelC } from "./codegen.js";
export { DEFAULT_CFLAGS, cacheDir, findCompiler } from "./compiler.js";
export type { CCompiler } from "./compiler.js";
export { MAX_REL_ERR, STEAL_THRESHOLD, measureKernels, windowDisturbance } from "./measure.js";
export type { KernelSpec, MeasureOptions, Measurement } from "./measure.js";
export { measurePeak } from "./peak.js";
export type { PeakResult } from "./peak.js";
export { MANUAL_VARIANTS, manualSchedule, seedRules, seedTm } from "./seed.js";
export type { ManualVariant, RuleDecision } from "./seed.js";
export { EDGE_SLOWDOWN, PREFETCH_ROWS, hostRules } from "./rules.js";
export type { RulePlan } from "./rules.js";
export { tiledKey, tiledNr, tiledSchedule } from "./template.js";
export type { TiledParams } from "./template.js";
export { TiledSpace, measureHere, trialScore, tuneShape } from "./tuner.js";
export type { CandidateMeasurer, TrialRecord, TuneCandidate, TuneOptions, TuneProgress, TuneResult } from "./tuner.js";
export { VARIANTS, isVariant, parseVariants, variantSchedule } from "./variants.js";
export type { Variant } from "./variants.js";
export { RESULTS_SCHEMA_VERSION, geomean, parseResultsText, resultsDocSchema, geomeanRatio, rooflineGeomean, rooflineGflops, variantSummary } from "./results.js";
export type { BenchFailure, BenchResult, ResultsDoc } from "./results.js";
export { bestFromTuneLog, runBench } from "./benchmark.js";
export type { BenchOptions } from "./benchmark.js";
export { headline, pivotTables, reportSvgs, tuneCurveSvg } from "./report.js";
