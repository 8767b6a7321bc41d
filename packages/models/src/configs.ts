/**
 * The published Hugging Face configs of the built-in transformers, as data (the fields kpu reads plus the ones that
 * identify the file; dropout and tokenizer ids are left out). Each is the `config.json` of the model's hub repository.
 */

/** bert-base-uncased (Devlin et al. 2019, BERT-base: L=12, H=768, A=12, 110M parameters). */
export const BERT_BASE_CONFIG = {
  architectures: ["BertForMaskedLM"],
  model_type: "bert",
  hidden_act: "gelu",
  hidden_size: 768,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  type_vocab_size: 2,
  vocab_size: 30522,
} as const;

/** openai-community/gpt2 (Radford et al. 2019, the 124M "small" GPT-2). */
export const GPT2_CONFIG = {
  architectures: ["GPT2LMHeadModel"],
  model_type: "gpt2",
  activation_function: "gelu_new",
  layer_norm_epsilon: 1e-5,
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
} as const;

/** meta-llama/Meta-Llama-3-8B (Meta, April 2024; grouped-query attention with 8 KV heads, 8.03B parameters). */
export const LLAMA3_8B_CONFIG = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  attention_bias: false,
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 14336,
  max_position_embeddings: 8192,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_theta: 500000.0,
  tie_word_embeddings: false,
  torch_dtype: "bfloat16",
  vocab_size: 128256,
} as const;

/**
 * google/vit-base-patch16-224 (Dosovitskiy et al. 2021, ViT-B/16 fine-tuned on ImageNet-1k). The hub file lists the
 * 1,000 classes in `id2label`; `num_labels: 1000` says the same in one field.
 */
export const VIT_B16_CONFIG = {
  architectures: ["ViTForImageClassification"],
  model_type: "vit",
  hidden_act: "gelu",
  hidden_size: 768,
  image_size: 224,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  num_attention_heads: 12,
  num_channels: 3,
  num_hidden_layers: 12,
  num_labels: 1000,
  patch_size: 16,
  qkv_bias: true,
} as const;
