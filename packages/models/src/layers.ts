import { KpuError, type Activation, type GraphBuilder, type TensorRef } from "@kpu/ir";

/**
 * The layers the transformer builders share, written with the IR's GraphBuilder. Activations are 2-D, [tokens, hidden]
 * (tokens = batch x sequence), so every projection is a plain matmul; attention reshapes into heads around its two
 * batched matmuls. Weights are stored [in, out] (the transpose of PyTorch's Linear), which changes no count.
 */

/** Names an op's output (and so the op) `prefix.suffix`. */
export const named = (prefix: string, suffix: string): { name: string } => ({ name: `${prefix}.${suffix}` });

/** x[T, in] x W[in, out] (+ bias[out]). */
export function linear(b: GraphBuilder, x: TensorRef, inFeatures: number, outFeatures: number, prefix: string, bias: boolean): TensorRef {
  const y = b.matmul(x, b.weight(`${prefix}.weight`, [inFeatures, outFeatures]), named(prefix, "mm"));
  return bias ? b.biasAdd(y, b.weight(`${prefix}.bias`, [outFeatures]), named(prefix, "out")) : y;
}

export function activation(b: GraphBuilder, x: TensorRef, act: Activation, prefix: string): TensorRef {
  return b.unary(act, x, named(prefix, act));
}

/** RMSNorm (scale only) or LayerNorm (scale and bias) over the last dimension. */
export function norm(b: GraphBuilder, x: TensorRef, kind: "rms" | "layer", width: number, prefix: string, epsilon: number): TensorRef {
  const scale = b.weight(`${prefix}.weight`, [width]);
  if (kind === "rms") return b.rmsNorm(x, scale, { ...named(prefix, "out"), epsilon });
  return b.layerNorm(x, scale, b.weight(`${prefix}.bias`, [width]), { ...named(prefix, "out"), epsilon });
}

export interface MlpShape {
  readonly hidden: number;
  readonly intermediate: number;
  readonly act: Activation;
  /** SwiGLU: down(act(gate(x)) * up(x)); otherwise fc2(act(fc1(x))). */
  readonly gated: boolean;
  readonly bias: boolean;
}

export function mlp(b: GraphBuilder, x: TensorRef, m: MlpShape, prefix: string): TensorRef {
  const { hidden, intermediate, act, bias } = m;
  if (!m.gated) {
    const f = activation(b, linear(b, x, hidden, intermediate, `${prefix}.fc1`, bias), act, `${prefix}.fc1`);
    return linear(b, f, intermediate, hidden, `${prefix}.fc2`, bias);
  }
  const gate = activation(b, linear(b, x, hidden, intermediate, `${prefix}.gate_proj`, bias), act, `${prefix}.gate_proj`);
  const up = linear(b, x, hidden, intermediate, `${prefix}.up_proj`, bias);
  return linear(b, b.mul(gate, up, named(prefix, "gated")), intermediate, hidden, `${prefix}.down_proj`, bias);
}

export interface AttentionShape {
  readonly batch: number;
  /** New tokens per sequence (1 in decode). */
  readonly seq: number;
  /** Tokens already in the KV cache (0 but in decode). */
  readonly past: number;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
}

/**
 * Inputs every layer's attention reads: the 1/sqrt(head_dim) scale, the additive causal mask [seq, past + seq] (decoders
 * in prefill), and the rotary tables [seq, head_dim] (`sin` holds -sin on its first half, so that
 * rope(x) = x * cos + concat(x[d/2:], x[:d/2]) * sin).
 */
export interface AttentionInputs {
  readonly scale: TensorRef;
  readonly mask?: TensorRef;
  readonly rope?: { readonly cos: TensorRef; readonly sin: TensorRef };
}

/** Rotary position embedding of x[B, n, S, d] as elementwise ops: two slices, a concat, two muls and an add. */
function rotary(b: GraphBuilder, x: TensorRef, rope: NonNullable<AttentionInputs["rope"]>, d: number, prefix: string): TensorRef {
  if (d % 2 !== 0) {
    throw new KpuError("KPU_HF_CONFIG", `head dimension ${d} is odd, so rotary embeddings cannot rotate it in pairs`, { where: prefix, hint: "Rotary embeddings need an even head_dim." });
  }
  const hi = b.slice(x, [d / 2], [d], [3], undefined, named(prefix, "rope_hi"));
  const lo = b.slice(x, [0], [d / 2], [3], undefined, named(prefix, "rope_lo"));
  const rotated = b.concat([hi, lo], 3, named(prefix, "rope_rot"));
  return b.add(b.mul(x, rope.cos, named(prefix, "rope_cos")), b.mul(rotated, rope.sin, named(prefix, "rope_sin")), named(prefix, "rope"));
}

/** [B*S, n*d] -> [B, n, S, d]. */
function toHeads(b: GraphBuilder, x: TensorRef, a: AttentionShape, n: number, prefix: string): TensorRef {
  return b.transpose(b.reshape(x, [a.batch, a.seq, n, a.headDim], named(prefix, "split")), [0, 2, 1, 3], named(prefix, "heads"));
}

export interface AttentionResult {
  readonly out: TensorRef;
  /** The keys and values of every position after this step, [B, kvHeads, past + seq, d] (the KV cache to keep). */
  readonly key: TensorRef;
  readonly value: TensorRef;
}

/**
 * Multi-head attention on x[B*S, hidden]: Q, K, V projections, heads, rotary (when given), the KV cache (decode: the
 * past keys and values are graph inputs), QK^T per head, scale, causal mask, softmax, AV, and the output projection.
 * Grouped-query attention reshapes Q to [B, kv, group, S, d] and K, V to [B, kv, 1, ., .], so each key/value head is
 * broadcast over its group by batch_matmul rather than copied.
 */
export function attention(b: GraphBuilder, x: TensorRef, a: AttentionShape, inputs: AttentionInputs, prefix: string): AttentionResult {
  const { batch, seq, heads, kvHeads, headDim: d, hidden } = a;
  const total = a.past + seq;
  let q = toHeads(b, linear(b, x, hidden, heads * d, `${prefix}.q_proj`, a.qkvBias), a, heads, `${prefix}.q`);
  let k = toHeads(b, linear(b, x, hidden, kvHeads * d, `${prefix}.k_proj`, a.qkvBias), a, kvHeads, `${prefix}.k`);
  let v = toHeads(b, linear(b, x, hidden, kvHeads * d, `${prefix}.v_proj`, a.qkvBias), a, kvHeads, `${prefix}.v`);
  if (inputs.rope !== undefined) {
    q = rotary(b, q, inputs.rope, d, `${prefix}.q`);
    k = rotary(b, k, inputs.rope, d, `${prefix}.k`);
  }
  if (a.past > 0) {
    k = b.concat([b.input(`${prefix}.past_key`, [batch, kvHeads, a.past, d]), k], 2, named(prefix, "key"));
    v = b.concat([b.input(`${prefix}.past_value`, [batch, kvHeads, a.past, d]), v], 2, named(prefix, "value"));
  }
  const group = heads / kvHeads;
  const kT = b.transpose(k, [0, 1, 3, 2], named(prefix, "key_t"));
  const [qs, ks, vs] =
    group === 1
      ? [q, kT, v]
      : [
          b.reshape(q, [batch, kvHeads, group, seq, d], named(prefix, "q_groups")),
          b.reshape(kT, [batch, kvHeads, 1, d, total], named(prefix, "key_groups")),
          b.reshape(v, [batch, kvHeads, 1, total, d], named(prefix, "value_groups")),
        ];
  let scores = b.mul(b.batchMatmul(qs, ks, named(prefix, "qk")), inputs.scale, named(prefix, "scaled"));
  if (inputs.mask !== undefined) scores = b.add(scores, inputs.mask, named(prefix, "masked"));
  const context = b.batchMatmul(b.softmax(scores, -1, named(prefix, "probs")), vs, named(prefix, "av"));
  const merged = b.reshape(
    b.transpose(group === 1 ? context : b.reshape(context, [batch, heads, seq, d], named(prefix, "av_heads")), [0, 2, 1, 3], named(prefix, "av_t")),
    [batch * seq, heads * d],
    named(prefix, "merged"),
  );
  return { out: linear(b, merged, heads * d, hidden, `${prefix}.o_proj`, a.outBias), key: k, value: v };
}
