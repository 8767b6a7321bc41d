export { DEFAULT_ELEMENT_BYTES, elementBytesOf, tensorBytes, validateProblem, validateTiles } from "./problem.js";
export type { MatmulProblem } from "./problem.js";
export { STRATEGIES, STRATEGY_CHOICES, STRATEGY_INFO, parseStrategy } from "./strategy.js";
export type { Strategy, StrategyChoice, StrategyInfo } from "./strategy.js";
export {
  L2_BANK_BYTES,
  TILE_GRANULE,
  TILE_RULES,
  chooseTiles,
  kpuSimTiles,
  parseTiles,
  strategyTiles,
  tileFootprintBytes,
} from "./tiles.js";
export type { TileRule, TileRuleOptions } from "./tiles.js";
export { compulsoryBytes, ioLowerBoundBytes, ioLowerBoundWords } from "./bounds.js";
export { C_ACCOUNTINGS, L3_MODELS, analyzeL3, l3Traffic, validateL3Bytes } from "./l3.js";
export type { CAccounting, L3Model, L3Options, L3Result, TensorTraffic } from "./l3.js";
export { COMPREHENSIVE_WORKLOADS, FOCUSED_WORKLOADS, SWEEP_PRESETS } from "./presets.js";
export type { SweepPreset, Workload } from "./presets.js";
export { KPU_SIM_COLUMNS, formatCppDouble, kpuSimRecord } from "./kpu-sim.js";
export { dedupeSweepSpec, parseGridFile, presetSpec } from "./grid.js";
export type { SweepSpec } from "./grid.js";
export { SWEEP_COLUMNS, SWEEP_EXTRA_COLUMNS, checkSweepRecord, failedSweepRows, formatCsv, parseSweepCsv, rowKey, runSweepJob, sweepJobs } from "./sweep-rows.js";
export type { SweepColumn, SweepJob, SweepRow } from "./sweep-rows.js";
export { runSweep, sweepJobPool } from "./sweep.js";
export type { SweepExecutor, SweepJobPool, SweepOptions, SweepOutcome } from "./sweep.js";
export { pickStrategies } from "./auto.js";
export type { StrategyPick } from "./auto.js";
export { analyzeDistributed, chooseComputeGrid, gridBlocks, splitExtent } from "./distributed.js";
export type { DistributedOptions, DistributedResult, DistributedTile } from "./distributed.js";
export { DEFAULT_ADVISE_CANDIDATES, adviseL3 } from "./advise.js";
export type { Advice, AdviseOptions, WorkloadAdvice } from "./advise.js";
export { bestStrategies, sweepPlots } from "./plots.js";
export { ReplacementSet } from "./replacement.js";
export {
  DEP_DATA,
  DEP_SPACE,
  MAX_HIERARCHY_STEPS,
  TENSOR_A,
  TENSOR_B,
  TENSOR_C,
  TRANSFER_LOAD,
  TRANSFER_WRITEBACK,
  simulateHierarchy,
} from "./hierarchy.js";
export type { HierarchyLevel, HierarchySink, HierarchySpec, HierarchyTraffic, LevelTraffic } from "./hierarchy.js";
export { ensureOutputDir, writeError, writeFileAtomic } from "./files.js";
export { createWorkerPool } from "./worker-pool.js";
export { lockOutputDir } from "./lock.js";
