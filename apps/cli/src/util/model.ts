import { EXAMPLES, KpuError, bertLayerExample, parseGraphJson, type Graph } from "@kpu/ir";
import { importOnnx } from "@kpu/onnx";
import { readTextFile } from "./files.js";

export const EXAMPLE_NAMES = Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[];

export interface ModelSource {
  readonly file?: string | undefined;
  readonly example?: string | undefined;
  readonly seq?: number | undefined;
  readonly batch?: number | undefined;
  readonly allowUnsupported?: boolean | undefined;
}

/** Loads the model named on the command line: a JSON or ONNX file, or a built-in example (default: mlp). */
export function loadModel(source: ModelSource): Graph {
  if (source.file !== undefined && source.example !== undefined) {
    throw new KpuError("KPU_USAGE", "both a model file and --example were given", {
      where: "--example",
      hint: "Pass either a model file or --example, not both.",
    });
  }
  if (source.file?.toLowerCase().endsWith(".onnx") === true) {
    return importOnnx(source.file, { seq: source.seq, batch: source.batch, allowUnsupported: source.allowUnsupported });
  }
  if (source.file !== undefined) return parseGraphJson(readTextFile(source.file), source.file);
  const name = source.example ?? "mlp";
  if (name === "mlp") return EXAMPLES.mlp();
  if (name === "bert-layer") return bertLayerExample(source.seq ?? 128);
  throw new KpuError("KPU_BAD_FLAG", `unknown example "${name}"`, {
    where: "--example",
    hint: `Use one of: ${EXAMPLE_NAMES.join(", ")}.`,
  });
}
