import { ELEMENTWISE_HANDLERS } from "./elementwise.js";
import type { Handler } from "./handler.js";
import { NN_HANDLERS } from "./nn.js";
import { SHAPE_HANDLERS } from "./shape-ops.js";
import { FOLDABLE_ELEMENTWISE } from "../fold.js";

/** Every ONNX operator (ai.onnx domain) the importer converts, by op_type. */
export const HANDLERS: Readonly<Record<string, Handler>> = { ...NN_HANDLERS, ...ELEMENTWISE_HANDLERS, ...SHAPE_HANDLERS };

/** The supported operators: those with a handler, and those folded when their inputs are constants. */
export const SUPPORTED_OPS: readonly string[] = [...new Set([...Object.keys(HANDLERS), ...FOLDABLE_ELEMENTWISE])].sort();
