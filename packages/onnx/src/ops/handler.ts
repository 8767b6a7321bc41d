import type { ImportContext } from "../context.js";
import type { OnnxNode } from "../schema.js";

/** Turns one ONNX node into kpu ops (or constants), reading its inputs from and writing its outputs to the context. */
export type Handler = (node: OnnxNode, ctx: ImportContext) => void;
