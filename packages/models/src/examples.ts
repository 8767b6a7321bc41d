import { KpuError, bertLayerExample, mlpExample, type Graph } from "@kpu/ir";
import { mobilenetV2, resnet50 } from "./cnn.js";
import { BERT_BASE_CONFIG, GPT2_CONFIG, LLAMA3_8B_CONFIG, VIT_B16_CONFIG } from "./configs.js";
import { fromHfConfig } from "./hf.js";
import type { NetworkOptions } from "./options.js";

/** A built-in network: what it is, where its definition comes from, and which run-time sizes it takes. */
export interface ExampleModel {
  readonly description: string;
  readonly source: string;
  /** The options that change it: batch for all real networks, seq / phase / context for the transformers. */
  readonly takes: readonly ("batch" | "seq" | "phase")[];
  readonly build: (options: NetworkOptions) => Graph;
}

const hf = (config: object, name: string) => (o: NetworkOptions) => fromHfConfig(config, { ...o, source: `example ${name}`, name });

/** Every `--example`: the two seed examples of @kpu/ir and the workload library. */
export const MODEL_EXAMPLES: Readonly<Record<string, ExampleModel>> = {
  mlp: { description: "the seed MLP: x[128x128] through three matmuls with ReLU", source: "@kpu/ir mlpExample", takes: [], build: () => mlpExample() },
  "bert-layer": {
    description: "the matmuls of one BERT-base layer (no attention core, no norms)",
    source: "@kpu/ir bertLayerExample",
    takes: ["seq"],
    build: (o) => bertLayerExample(o.seq ?? 128),
  },
  resnet50: { description: "ResNet-50 v1.5, 224x224", source: "He et al. 2016; torchvision resnet50", takes: ["batch"], build: (o) => resnet50({ batch: o.batch, dtype: o.dtype }) },
  mobilenet_v2: { description: "MobileNetV2 1.0, 224x224", source: "Sandler et al. 2018; torchvision mobilenet_v2", takes: ["batch"], build: (o) => mobilenetV2({ batch: o.batch, dtype: o.dtype }) },
  "vit-b16": { description: "ViT-B/16 classifier, 224x224", source: "Dosovitskiy et al. 2021; google/vit-base-patch16-224 config.json", takes: ["batch"], build: hf(VIT_B16_CONFIG, "vit-b16") },
  "bert-base": { description: "BERT-base encoder with embeddings and pooler", source: "Devlin et al. 2019; bert-base-uncased config.json", takes: ["batch", "seq"], build: hf(BERT_BASE_CONFIG, "bert-base") },
  gpt2: { description: "GPT-2 small (124M) with its tied LM head", source: "Radford et al. 2019; openai-community/gpt2 config.json", takes: ["batch", "seq", "phase"], build: hf(GPT2_CONFIG, "gpt2") },
  "llama3-8b": { description: "LLaMA-3-8B, grouped-query attention, untied LM head", source: "Meta 2024; meta-llama/Meta-Llama-3-8B config.json", takes: ["batch", "seq", "phase"], build: hf(LLAMA3_8B_CONFIG, "llama3-8b") },
};

export const EXAMPLE_NAMES: readonly string[] = Object.keys(MODEL_EXAMPLES);

/** Builds `--example NAME`; an unknown name is `KPU_BAD_FLAG` listing the names. */
export function buildExample(name: string, options: NetworkOptions = {}): Graph {
  const example = Object.hasOwn(MODEL_EXAMPLES, name) ? MODEL_EXAMPLES[name] : undefined;
  if (example === undefined) {
    throw new KpuError("KPU_BAD_FLAG", `unknown example "${name}"`, { where: "--example", hint: `Use one of: ${EXAMPLE_NAMES.join(", ")}.` });
  }
  return example.build(options);
}
