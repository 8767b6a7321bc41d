export {
  CLOCK_DOMAINS,
  DATAFLOWS,
  HARDWARE_SCHEMA_VERSION,
  LEVELS,
  LEVEL_CLOCK,
  hardwareJsonSchema,
  hardwareToJson,
  hardwareToYaml,
  parseHardware,
  validateHardware,
} from "./hardware.js";
export type { ClockDomain, Dataflow, Hardware, HardwareDerived, HardwareJson, LevelDerived, LevelName, LevelSpec } from "./hardware.js";
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
export type { BufferDepths, LevelReport, ResourceName, ResourceReport, ScheduleSimOptions, SimOptions, SimReport, SimRun } from "./sim.js";
export { GANTT_LANES, ganttAscii, ganttChart, ganttSvg, taskLabel, truncationNote } from "./gantt.js";
export type { GanttBar, GanttChart } from "./gantt.js";
export { MAX_TRACE_TASKS, SIM_TRACE_KIND, SIM_TRACE_SCHEMA_VERSION, simTrace } from "./trace.js";
export type { SimTraceDocument, TraceEvent } from "./trace.js";
export { INJECTION_COLUMNS, injectionCsv, injectionSchedule } from "./injection.js";
export type { InjectionRow } from "./injection.js";
export { executeSchedule, gelu, randomInputs, referenceExecute, referenceGelu, referenceRelu, relu, seededRandom, verifySchedule } from "./functional/index.js";
export type { ExecutionCounts, ExecutionResult, OutputCheck, TensorValues, VerifyOptions, VerifyResult } from "./functional/index.js";
