export { PARAMETERS, PARAMETER_NAMES, applyParameters, pointName } from "./parameters.js";
export type { Parameter } from "./parameters.js";
export { MAX_POINTS, parseSpace, spacePoints } from "./space.js";
export type { Space } from "./space.js";
export { TIMINGS, dseToolVersion, evaluatePoint, modelHash, pointId } from "./point.js";
export type { PointTask, Timing } from "./point.js";
export { checkDsePoint, dseTasks, pointPool, runDse } from "./run.js";
export type { DseOptions, DseOutcome, PointExecutor, PointPool } from "./run.js";
export { CSV_COLUMNS, dseCsv, dseOutputs, paretoSvg, sensitivitySvg } from "./outputs.js";
