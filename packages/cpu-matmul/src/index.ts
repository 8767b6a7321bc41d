export {
  BERT_KERNELS,
  BERT_M_VALUES,
  DTYPES,
  HELDOUT_SHAPES,
  LLM_M_VALUES,
  LLM_PROJECTIONS,
  MAX_EXTENT,
  MAX_MACS,
  ODD_SHAPES,
  SHAPE_SETS,
  bertShapes,
  dtypeOf,
  elementBytes,
  heldoutShapes,
  llmShapes,
  namedShapeSets,
  oddShapes,
  parseShapesText,
  shapeFlops,
  shapeKey,
  validateShape,
  withDtype,
} from "./shapes.js";
export type { Dtype, MatmulShape, ShapeSetName } from "./shapes.js";
export { PEERS, PEER_INFO, isPeer, peerMissingReason } from "./peers.js";
export type { PeerInfo, PeerName, PeerStatus } from "./peers.js";
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
export { C_PRELUDE, bf16DotKernel, emitKernelC } from "./codegen.js";
export { DEFAULT_CFLAGS, cacheDir, findCompiler } from "./compiler.js";
export type { CCompiler } from "./compiler.js";
export { MAX_REL_ERR, STEAL_THRESHOLD, measureKernels, windowDisturbance } from "./measure.js";
export type { KernelSpec, MeasureOptions, Measurement } from "./measure.js";
export { DRAM_PROBE_BYTES, bandwidthProbeBytes, measurePeak } from "./peak.js";
export type { LevelBandwidth, PeakResult } from "./peak.js";
export { MANUAL_VARIANTS, manualSchedule, seedRules, seedTm } from "./seed.js";
export type { ManualVariant, RuleDecision } from "./seed.js";
export { EDGE_SLOWDOWN, PREFETCH_ROWS, hostRules } from "./rules.js";
export { GEMV_MAX_M, PREFILL_MIN_TILES, peakFactor, regimeOf, regimeRules } from "./regimes.js";
export type { Regime } from "./regimes.js";
export type { RulePlan } from "./rules.js";
export { tiledKey, tiledNr, tiledSchedule } from "./template.js";
export type { TiledParams } from "./template.js";
export { TiledSpace, measureHere, trialScore, tuneShape } from "./tuner.js";
export type { CandidateMeasurer, TrialRecord, TuneCandidate, TuneOptions, TuneProgress, TuneResult } from "./tuner.js";
export { VARIANTS, isVariant, parseVariants, variantSchedule } from "./variants.js";
export type { Variant } from "./variants.js";
export {
  RESULTS_SCHEMA_VERSION,
  docRoofline,
  geomean,
  geomeanRatio,
  parseResultsText,
  resultsDocSchema,
  rooflineGeomean,
  rooflineGflops,
  rooflineOf,
  streamLevel,
  variantSummary,
} from "./results.js";
export type { BenchFailure, BenchResult, ResultsDoc, Roofline, StreamLevel } from "./results.js";
export { bestFromTuneLog, runBench } from "./benchmark.js";
export type { BenchOptions } from "./benchmark.js";
export { bf16Summary, classSummary, headline, pivotTables, reportSvgs, rooflineRows, tuneCurveSvg } from "./report.js";
export type { ClassSummary, RooflineRow } from "./report.js";
