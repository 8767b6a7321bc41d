import { KpuError, type DType } from "@kpu/ir";

/** The inference phase of a decoder: the whole prompt at once, or one new token against a KV cache. */
export const PHASES = ["prefill", "decode"] as const;
export type Phase = (typeof PHASES)[number];

/** How a network is instantiated: the run-time sizes the model definition leaves open. */
export interface NetworkOptions {
  /** Sequences or images per inference (default 1). */
  readonly batch?: number | undefined;
  /** Tokens per sequence in prefill and for encoders (default 128); decode always adds one token. */
  readonly seq?: number | undefined;
  /** Decoders only (default prefill). */
  readonly phase?: Phase | undefined;
  /** Tokens already in the KV cache, for decode (required there). */
  readonly context?: number | undefined;
  /** Element type of every float tensor (default fp32). */
  readonly dtype?: DType | undefined;
}

/** The options with defaults filled in and checked. */
export interface Instance {
  readonly batch: number;
  readonly seq: number;
  readonly phase: Phase;
  readonly context: number;
  readonly dtype: DType;
}

export const DEFAULT_SEQ = 128;
/** Above this a dimension is surely a typo (and shapes would pass 2^31 elements long before). */
const MAX_DIM = 1 << 24;

function positive(value: number | undefined, fallback: number, flag: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > MAX_DIM) {
    throw new KpuError("KPU_BAD_DIM", `${flag.slice(2)} = ${v} is not a positive integer up to ${MAX_DIM}`, {
      where: flag,
      hint: `Give ${flag} as a whole number, e.g. ${flag} ${fallback}.`,
    });
  }
  return v;
}

/** Fills in defaults: batch 1, seq 128, prefill; decode needs `context`. Errors name the CLI flag. */
export function instance(options: NetworkOptions = {}): Instance {
  const phase = options.phase ?? "prefill";
  if (!(PHASES as readonly string[]).includes(phase)) {
    throw new KpuError("KPU_BAD_FLAG", `"${String(phase)}" is not one of ${PHASES.join(", ")}`, { where: "--phase", hint: "Use --phase prefill or --phase decode." });
  }
  if (phase === "decode" && options.context === undefined) {
    throw new KpuError("KPU_USAGE", "decode needs the number of tokens already in the KV cache", {
      where: "--context",
      hint: "Add --context C, e.g. --phase decode --context 2048.",
    });
  }
  return {
    batch: positive(options.batch, 1, "--batch"),
    seq: positive(options.seq, DEFAULT_SEQ, "--seq"),
    phase,
    context: phase === "decode" ? positive(options.context, 1, "--context") : 0,
    dtype: options.dtype ?? "fp32",
  };
}
