export { DEFAULT_ELEMENT_BYTES, elementBytesOf, tensorBytes, validateProblem, validateTiles } from "./problem.js";
export type { MatmulProblem, TileSizes } from "./problem.js";
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
export { compulsoryBytes, ioLowerBoundBytes } from "./bounds.js";
export { C_ACCOUNTINGS, L3_MODELS, analyzeL3, l3Traffic, validateL3Bytes } from "./l3.js";
export type { CAccounting, L3Model, L3Options, L3Result, TensorTraffic } from "./l3.js";
export { forEachTileStep, tileGridOf, tileSteps } from "./loops.js";
export type { TileGridCounts } from "./loops.js";
export { COMPREHENSIVE_WORKLOADS, FOCUSED_WORKLOADS, SWEEP_PRESETS } from "./presets.js";
export type { SweepPreset, Workload } from "./presets.js";
export { KPU_SIM_COLUMNS, formatCppDouble, kpuSimRecord } from "./kpu-sim.js";
