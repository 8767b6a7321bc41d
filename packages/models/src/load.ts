import { KpuError, parseGraphJson, type Graph } from "@kpu/ir";
import { fromHfConfig } from "./hf.js";
import type { NetworkOptions } from "./options.js";
import { fromScaleSimTopology } from "./topology.js";

/** What a model file holds, from its name and, for JSON, its fields. */
export type NetworkFileKind = "graph" | "hf-config" | "topology" | "onnx";

/**
 * `.onnx` and `.csv` by extension (their text is not read); anything else is JSON, told by its content:
 * `kind: "kpu.graph"` is a graph, `model_type` (or `architectures`) a Hugging Face config.
 */
export function networkFileKind(path: string, text: string): NetworkFileKind {
  const lower = path.toLowerCase();
  if (lower.endsWith(".onnx")) return "onnx";
  if (lower.endsWith(".csv")) return "topology";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: path, hint: "Check the file for a syntax error.", cause });
  }
  const doc = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  if (doc.kind === "kpu.graph") return "graph";
  if ("model_type" in doc || "architectures" in doc) return "hf-config";
  throw new KpuError("KPU_MODEL_FORMAT", 'is JSON but neither a kpu.graph (no "kind": "kpu.graph") nor a Hugging Face config (no "model_type")', {
    where: path,
    hint: 'A graph file has "kind": "kpu.graph"; a config.json has "model_type" (llama, gpt2, bert, vit, ...).',
  });
}

/**
 * A network from the text of a file: a `kpu.graph` JSON, a Hugging Face config.json (with `options`' batch, seq,
 * phase and context), or a SCALE-Sim topology CSV. ONNX is binary and has its own importer (@kpu/onnx).
 */
export function networkFromText(text: string, path: string, options: NetworkOptions = {}): Graph {
  const kind = networkFileKind(path, text);
  switch (kind) {
    case "topology":
      return fromScaleSimTopology(text, path, { dtype: options.dtype });
    case "graph":
      return parseGraphJson(text, path);
    case "hf-config":
      return fromHfConfig(JSON.parse(text) as unknown, { ...options, source: path });
    case "onnx":
      throw new KpuError("KPU_MODEL_FORMAT", "is an ONNX file, which is binary: import it with @kpu/onnx's importOnnx", { where: path, hint: "Load .onnx files through the CLI's loadNetwork or importOnnx." });
  }
}
