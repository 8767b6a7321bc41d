export { MAX_OPSET, MIN_OPSET, importOnnx, importOnnxModel } from "./import.js";
export type { OnnxImport, OnnxImportOptions, OnnxImportReport, UnmodelledNode } from "./import.js";
export type { DimOptions } from "./dims.js";
export { SUPPORTED_OPS } from "./ops/index.js";
export { onnxSchema } from "./schema.js";
