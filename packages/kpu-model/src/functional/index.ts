export { executeSchedule } from "./executor.js";
export type { ExecutionCounts, ExecutionResult } from "./executor.js";
export { gelu, relu, seededRandom } from "./kernels.js";
export { referenceExecute, referenceGelu, referenceRelu } from "./reference.js";
export type { TensorValues } from "./reference.js";
export { randomInputs, verifySchedule } from "./verify.js";
export type { OutputCheck, VerifyOptions, VerifyResult } from "./verify.js";
