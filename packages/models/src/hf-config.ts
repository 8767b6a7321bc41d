import { KpuError, issuePath, issueRule, type Activation } from "@kpu/ir";
import { z } from "zod";

/**
 * Hugging Face `config.json` files, read into the dimensions the builders need. Only the fields listed in each schema
 * are read; others (dropout, initializer range, rope scaling, ...) change no shape and are ignored.
 */

/** Sizes every transformer has. */
export interface TransformerDims {
  readonly hidden: number;
  readonly intermediate: number;
  readonly layers: number;
  readonly heads: number;
  /** Key/value heads: `heads` for multi-head attention, fewer for grouped-query attention. */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly eps: number;
  readonly act: Activation;
}

/** A decoder LLM: LLaMA / Mistral / Qwen2 (RMSNorm, rotary, SwiGLU) or GPT-2 (LayerNorm, learned positions, GELU). */
export interface DecoderSpec extends TransformerDims {
  readonly family: "decoder";
  readonly modelType: "llama" | "mistral" | "qwen2" | "gpt2";
  readonly vocab: number;
  readonly tied: boolean;
  readonly norm: "rms" | "layer";
  /** SwiGLU (gate, up, act, mul, down) or a plain two-layer MLP. */
  readonly gated: boolean;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  readonly mlpBias: boolean;
  readonly position: "rope" | "learned";
  /** Learned position table rows (GPT-2's n_positions); the longest sequence it can take. */
  readonly maxPositions?: number;
}

/** A BERT-style encoder (BERT, RoBERTa): post-norm layers, word + position + token-type embeddings, pooler. */
export interface BertSpec extends TransformerDims {
  readonly family: "bert";
  readonly modelType: "bert" | "roberta";
  readonly vocab: number;
  readonly maxPositions: number;
  readonly typeVocab: number;
}

/** A vision transformer: patch embedding conv, CLS token, pre-norm layers, a classifier on the CLS token. */
export interface VitSpec extends TransformerDims {
  readonly family: "vit";
  readonly modelType: "vit";
  readonly image: number;
  readonly patch: number;
  readonly channels: number;
  readonly qkvBias: boolean;
  /** Classes of the classifier head; 0 for the bare encoder. */
  readonly labels: number;
}

export type TransformerSpec = DecoderSpec | BertSpec | VitSpec;

export const HF_MODEL_TYPES = ["llama", "mistral", "qwen2", "gpt2", "bert", "roberta", "vit"] as const;

const count = z.int().min(1);
const eps = z.number().positive();
const ACTS: Readonly<Record<string, Activation>> = {
  gelu: "gelu",
  gelu_new: "gelu",
  gelu_fast: "gelu",
  gelu_pytorch_tanh: "gelu",
  quick_gelu: "gelu",
  silu: "silu",
  swish: "silu",
  relu: "relu",
};
const act = z.string().refine((a) => a in ACTS, { message: `must be one of ${Object.keys(ACTS).join(", ")}` });

const llama = z.object({
  hidden_size: count,
  intermediate_size: count,
  num_hidden_layers: count,
  num_attention_heads: count,
  num_key_value_heads: count.optional(),
  head_dim: count.nullish(),
  vocab_size: count,
  tie_word_embeddings: z.boolean().default(false),
  rms_norm_eps: eps.default(1e-6),
  hidden_act: act.default("silu"),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().default(false),
});
const gpt2 = z.object({
  n_embd: count,
  n_layer: count,
  n_head: count,
  n_inner: count.nullish(),
  n_positions: count,
  vocab_size: count,
  layer_norm_epsilon: eps.default(1e-5),
  activation_function: act.default("gelu_new"),
  tie_word_embeddings: z.boolean().default(true),
});
const bert = z.object({
  hidden_size: count,
  intermediate_size: count,
  num_hidden_layers: count,
  num_attention_heads: count,
  vocab_size: count,
  max_position_embeddings: count,
  type_vocab_size: count.default(2),
  layer_norm_eps: eps.default(1e-12),
  hidden_act: act.default("gelu"),
});
const vit = z.object({
  hidden_size: count,
  intermediate_size: count,
  num_hidden_layers: count,
  num_attention_heads: count,
  image_size: count,
  patch_size: count,
  num_channels: count.default(3),
  layer_norm_eps: eps.default(1e-12),
  hidden_act: act.default("gelu"),
  qkv_bias: z.boolean().default(true),
  num_labels: z.int().min(0).optional(),
  id2label: z.record(z.string(), z.unknown()).optional(),
});

function configError(source: string, field: string, message: string, hint?: string): KpuError {
  return new KpuError("KPU_HF_CONFIG", `field "${field}" ${message}`, { where: source, ...(hint === undefined ? {} : { hint }) });
}

function parseWith<S extends z.ZodType>(schema: S, json: unknown, source: string): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const rule = issue.code === "custom" ? issue.message : issueRule(issue);
  throw configError(source, issuePath(issue.path), rule);
}

/** Heads must split the hidden size (unless head_dim is given) and key/value heads must divide the query heads. */
function heads(source: string, hidden: number, heads: number, kvHeads: number, headDim: number | null | undefined, field: string): { kvHeads: number; headDim: number } {
  if ((headDim === undefined || headDim === null) && hidden % heads !== 0) {
    throw configError(source, field, `(${heads}) does not divide the hidden size ${hidden}`, "Give a head count that divides the hidden size, or head_dim.");
  }
  if (heads % kvHeads !== 0) {
    throw configError(source, "num_key_value_heads", `(${kvHeads}) does not divide num_attention_heads (${heads})`, "Grouped-query attention shares each key/value head across an equal group of query heads.");
  }
  return { kvHeads, headDim: headDim ?? hidden / heads };
}

function decoderLlama(modelType: "llama" | "mistral" | "qwen2", json: unknown, source: string): DecoderSpec {
  const c = parseWith(llama, json, source);
  const h = heads(source, c.hidden_size, c.num_attention_heads, c.num_key_value_heads ?? c.num_attention_heads, c.head_dim, "num_attention_heads");
  // Qwen2 always has q/k/v biases and none on o_proj; LLaMA and Mistral follow attention_bias (default none).
  const qkvBias = modelType === "qwen2" ? true : (c.attention_bias ?? false);
  return {
    family: "decoder",
    modelType,
    hidden: c.hidden_size,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    ...h,
    eps: c.rms_norm_eps,
    act: ACTS[c.hidden_act]!,
    vocab: c.vocab_size,
    tied: c.tie_word_embeddings,
    norm: "rms",
    gated: true,
    qkvBias,
    outBias: modelType === "qwen2" ? false : (c.attention_bias ?? false),
    mlpBias: c.mlp_bias,
    position: "rope",
  };
}

function decoderGpt2(json: unknown, source: string): DecoderSpec {
  const c = parseWith(gpt2, json, source);
  const h = heads(source, c.n_embd, c.n_head, c.n_head, undefined, "n_head");
  return {
    family: "decoder",
    modelType: "gpt2",
    hidden: c.n_embd,
    intermediate: c.n_inner ?? 4 * c.n_embd,
    layers: c.n_layer,
    heads: c.n_head,
    ...h,
    eps: c.layer_norm_epsilon,
    act: ACTS[c.activation_function]!,
    vocab: c.vocab_size,
    tied: c.tie_word_embeddings,
    norm: "layer",
    gated: false,
    qkvBias: true,
    outBias: true,
    mlpBias: true,
    position: "learned",
    maxPositions: c.n_positions,
  };
}

function encoderBert(modelType: "bert" | "roberta", json: unknown, source: string): BertSpec {
  const c = parseWith(bert, json, source);
  const h = heads(source, c.hidden_size, c.num_attention_heads, c.num_attention_heads, undefined, "num_attention_heads");
  return {
    family: "bert",
    modelType,
    hidden: c.hidden_size,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    ...h,
    eps: c.layer_norm_eps,
    act: ACTS[c.hidden_act]!,
    vocab: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    typeVocab: c.type_vocab_size,
  };
}

function encoderVit(json: unknown, source: string): VitSpec {
  const c = parseWith(vit, json, source);
  const h = heads(source, c.hidden_size, c.num_attention_heads, c.num_attention_heads, undefined, "num_attention_heads");
  if (c.image_size % c.patch_size !== 0) {
    throw configError(source, "patch_size", `(${c.patch_size}) does not divide image_size (${c.image_size})`, "ViT cuts the image into whole patches.");
  }
  return {
    family: "vit",
    modelType: "vit",
    hidden: c.hidden_size,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    ...h,
    eps: c.layer_norm_eps,
    act: ACTS[c.hidden_act]!,
    image: c.image_size,
    patch: c.patch_size,
    channels: c.num_channels,
    qkvBias: c.qkv_bias,
    labels: c.num_labels ?? (c.id2label === undefined ? 0 : Object.keys(c.id2label).length),
  };
}

/**
 * Reads a Hugging Face config (already parsed JSON) into a transformer spec, dispatching on `model_type`. Errors
 * (`KPU_HF_CONFIG`, `KPU_HF_UNSUPPORTED_ARCH`, exit 2) name `source` and the field.
 */
export function parseHfConfig(json: unknown, source = "config.json"): TransformerSpec {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new KpuError("KPU_HF_CONFIG", "the config is not a JSON object", { where: source, hint: "A Hugging Face config.json is one JSON object of fields." });
  }
  const modelType = (json as { model_type?: unknown }).model_type;
  if (modelType === undefined) {
    throw configError(source, "model_type", "is missing", `Add "model_type", one of ${HF_MODEL_TYPES.join(", ")}.`);
  }
  switch (modelType as (typeof HF_MODEL_TYPES)[number]) {
    case "llama":
    case "mistral":
    case "qwen2":
      return decoderLlama(modelType as "llama" | "mistral" | "qwen2", json, source);
    case "gpt2":
      return decoderGpt2(json, source);
    case "bert":
    case "roberta":
      return encoderBert(modelType as "bert" | "roberta", json, source);
    case "vit":
      return encoderVit(json, source);
    default:
      throw new KpuError("KPU_HF_UNSUPPORTED_ARCH", `field "model_type" is ${JSON.stringify(modelType)}, not an architecture kpu builds`, {
        where: source,
        hint: `Use a config with model_type one of ${HF_MODEL_TYPES.join(", ")} (or export the model to ONNX).`,
      });
  }
}
