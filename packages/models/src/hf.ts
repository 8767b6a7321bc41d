import type { Graph } from "@kpu/ir";
import { buildDecoder } from "./decoder.js";
import { buildBert, buildVit } from "./encoder.js";
import { parseHfConfig } from "./hf-config.js";
import { instance, type NetworkOptions } from "./options.js";

export interface HfConfigOptions extends NetworkOptions {
  /** Names the file in errors (default config.json). */
  readonly source?: string;
  /** The graph's name (default: the config's model_type, phase and sizes). */
  readonly name?: string;
}

/**
 * Builds the graph of a Hugging Face `config.json` (parsed JSON): decoder LLMs (llama, mistral, qwen2, gpt2) in
 * prefill or decode, BERT-style encoders (bert, roberta) and vision transformers (vit).
 */
export function fromHfConfig(json: unknown, options: HfConfigOptions = {}): Graph {
  const spec = parseHfConfig(json, options.source);
  const run = instance(options);
  const sizes = spec.family === "vit" ? `b${run.batch}` : run.phase === "decode" ? `decode-c${run.context}-b${run.batch}` : `s${run.seq}-b${run.batch}`;
  const name = options.name ?? `${spec.modelType}-${sizes}`;
  if (spec.family === "decoder") return buildDecoder(spec, run, name);
  if (spec.family === "bert") return buildBert(spec, run, name);
  return buildVit(spec, run, name);
}
