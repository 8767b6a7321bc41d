export { PassManager } from "./pass-manager.js";
export type { Pass, PassRecord, PassRunResult, PassStats, RunOptions } from "./pass-manager.js";
export { fuseGraph, fusionPass } from "./fusion.js";
export type { FusionOptions } from "./fusion.js";
export { fitTileToBudget, tileGraph, tilingPass } from "./tiling.js";
export type { TilingOptions } from "./tiling.js";
export { countUops, estimateUops, lowerProgram, loweringPass } from "./lowering.js";
// The loop-order guard lives with LOOP_ORDERS in @kpu/ir; re-exported so existing imports from @kpu/passes keep working.
export { isLoopOrder } from "@kpu/ir";
export type { LoweringOptions, UopCounts } from "./lowering.js";
export { compileGraph, frontendPipeline } from "./pipeline.js";
export type { CompileOptions } from "./pipeline.js";
export { convGemm, convInputOffset, convOutputOffset, convWeightOffset } from "./conv-gemm.js";
export type { ConvGemm } from "./conv-gemm.js";
export { convHalo, convTileInputElements } from "./conv-halo.js";
export type { ConvHalo } from "./conv-halo.js";
export { NO_VECTOR_OPS, VECTOR_OP_CLASSES, addOps, stepOps, stepsOps, vectorOps } from "./vector-ops.js";
export type { VectorOpClass, VectorOpCounts } from "./vector-ops.js";
