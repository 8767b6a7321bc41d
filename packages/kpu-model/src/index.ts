export {
  CLOCK_DOMAINS,
  DATAFLOWS,
  HARDWARE_SCHEMA_VERSION,
  LEVELS,
  LEVEL_CLOCK,
  defaultVectorUnit,
  hardwareJsonSchema,
  hardwareToJson,
  hardwareToYaml,
  parseHardware,
  validateHardware,
} from "./hardware.js";
export type { ClockDomain, Dataflow, Hardware, HardwareDerived, HardwareJson, LevelDerived, LevelName, LevelSpec, VectorUnitSpec } from "./hardware.js";
export { DEFAULT_MAX_MACRO_KIB, DEFAULT_PERIPHERY_BITS, DEFAULT_TECH_NODE, TECH_NODES, areaCoefficients, areaSectionSchema, hardwareArea, sramBankUm2 } from "./area.js";
export type { AreaBreakdown, AreaCoefficients, AreaSection, TechNode } from "./area.js";
export { HARDWARE_PRESETS, PRESET_NAMES, hardwarePreset } from "./presets.js";
export { MAX_TRACE_EVENTS, dataflowMapping, fabricTiming, fabricTrace, foldCycles } from "./fabric.js";
export type { FabricGemm, FabricTiming, InjectionEvent } from "./fabric.js";
export { scaleSimFoldCycles, scaleSimGemm, scaleSimTopology } from "./scale-sim.js";
export type { ScaleSimArray, ScaleSimGemm, ScaleSimGemmLayer, ScaleSimLayerResult, ScaleSimResult, ScaleSimRun, ScaleSimTotals } from "./scale-sim.js";
export { parseScaleSimConfig } from "./scale-sim-config.js";
export type { ScaleSimConfig } from "./scale-sim-config.js";
export { convAsGemm, gemmAsConv, parseScaleSimTopology } from "./scale-sim-topology.js";
export type { ScaleSimConvLayer, ScaleSimLayer, ScaleSimTopology, ScaleSimTopologyFormat } from "./scale-sim-topology.js";
export { MAX_DIM } from "./workload.js";
export type { MatmulWorkload, Strategy, WorkShare } from "./workload.js";
export { RESOURCES, TASK_KINDS, buildMapping, simulateMatmul, simulateSchedule, tileBudgetBytes } from "./sim.js";
export type { BlockRun, BufferDepths, LevelReport, ResourceName, ResourceReport, ScheduleSimOptions, SimOptions, SimReport, SimRun } from "./sim.js";
export { GANTT_LANES, ganttAscii, ganttChart, ganttSvg, taskLabel, truncationNote } from "./gantt.js";
export type { GanttBar, GanttChart } from "./gantt.js";
export { ANALYSIS_TRACE_KIND, ANALYSIS_TRACE_SCHEMA_VERSION, ANALYSIS_TRACE_THREADS, MAX_TRACE_TASKS, SIM_TRACE_KIND, SIM_TRACE_SCHEMA_VERSION, analysisTrace, simTrace } from "./trace.js";
export type { AnalysisTraceDocument, SimTraceDocument, TraceEvent, TraceTile } from "./trace.js";
export { INJECTION_COLUMNS, injectionCsv, injectionSchedule } from "./injection.js";
export type { InjectionRow } from "./injection.js";
export { executeSchedule, gelu, randomInputs, referenceExecute, referenceGelu, referenceRelu, relu, seededRandom, verifySchedule } from "./functional/index.js";
export type { ExecutionCounts, ExecutionResult, OutputCheck, TensorValues, VerifyOptions, VerifyResult } from "./functional/index.js";
export {
  CONV_FAULTS,
  EXECUTED_KINDS,
  FP32_UNIT_ROUNDOFF,
  REFERENCE_KINDS,
  TOLERANCE_FACTOR,
  TOLERANCE_FLOOR,
  erf,
  executeGraph,
  graphMacs,
  opMacs,
  randomGraphInputs,
  refErf,
  referenceGraph,
  sigmoid,
  silu,
  tiledGemm,
  verifyGraph,
} from "./functional/index.js";
export type { ConvFault, GemmProblem, GraphExecOptions, GraphVerifyOptions, GraphVerifyResult, OpCheck } from "./functional/index.js";
export { ANALYSIS_SCHEMA_VERSION, analysisLayers, analyzeGraph } from "./analysis/analyze.js";
export type { Analysis, AnalysisTotals, AnalyzeOptions, LayerAnalysis } from "./analysis/analyze.js";
export { ruleMapping, timeGemm } from "./analysis/gemm.js";
export type { GemmTiming, MappingChoice, MappingRule } from "./analysis/gemm.js";
export { BOUNDS, levelBytesPerCycle, streamCost, vectorCycles } from "./analysis/layer-cost.js";
export type { Bound, EngineCycles, LevelBytes } from "./analysis/layer-cost.js";
