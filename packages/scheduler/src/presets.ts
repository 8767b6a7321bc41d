import type { MatmulProblem } from "./problem.js";

/** A named workload, as kpu-sim's analysis tools list them. */
export interface Workload extends MatmulProblem {
  readonly name: string;
  readonly category: string;
  readonly aspect: string;
}

const MiB = 1024 * 1024;

/** kpu-sim's l3_focused_analysis workloads (12). */
export const FOCUSED_WORKLOADS: readonly Workload[] = [
  { name: "Small Square", category: "Baseline", aspect: "Square", m: 512, n: 512, k: 512 },
  { name: "Medium Square", category: "Baseline", aspect: "Square", m: 2048, n: 2048, k: 2048 },
  { name: "Tall: Long Context", category: "Attention", aspect: "Tall", m: 16384, n: 512, k: 512 },
  { name: "Tall: Batch Inference", category: "Projection", aspect: "Tall", m: 8192, n: 1024, k: 1024 },
  { name: "Wide: Vocab Projection", category: "Projection", aspect: "Wide", m: 512, n: 16384, k: 2048 },
  { name: "Wide: Large Vocab", category: "Projection", aspect: "Wide", m: 256, n: 32768, k: 1536 },
  { name: "Deep: MLP Up", category: "MLP", aspect: "Deep", m: 1024, n: 1024, k: 8192 },
  { name: "Deep: Extreme MLP", category: "MLP", aspect: "Deep", m: 512, n: 512, k: 16384 },
  { name: "BERT Q×K^T", category: "Attention", aspect: "Balanced", m: 2048, n: 2048, k: 768 },
  { name: "GPT-2 MLP", category: "MLP", aspect: "Deep", m: 2048, n: 1536, k: 6144 },
  { name: "LLaMA-2 7B Attn", category: "Attention", aspect: "Square", m: 4096, n: 4096, k: 4096 },
  { name: "User Example 32k×7k", category: "Projection", aspect: "Tall-Wide", m: 32768, n: 7168, k: 7168 },
];

/** kpu-sim's l3_comprehensive_analysis workloads (27). */
export const COMPREHENSIVE_WORKLOADS: readonly Workload[] = [
  { name: "Small Square", category: "Baseline", aspect: "Square", m: 512, n: 512, k: 512 },
  { name: "Medium Square", category: "Baseline", aspect: "Square", m: 2048, n: 2048, k: 2048 },
  { name: "Large Square", category: "Baseline", aspect: "Square", m: 8192, n: 8192, k: 8192 },
  { name: "Tall: Long Context Q×K^T", category: "Attention", aspect: "Tall", m: 32768, n: 128, k: 128 },
  { name: "Tall: Batch Projection", category: "Projection", aspect: "Tall", m: 16384, n: 512, k: 512 },
  { name: "Tall: Extreme Batch", category: "Projection", aspect: "Tall", m: 65536, n: 256, k: 256 },
  { name: "Wide: Vocab Projection", category: "Projection", aspect: "Wide", m: 128, n: 32768, k: 4096 },
  { name: "Wide: Hidden→Vocab", category: "Projection", aspect: "Wide", m: 256, n: 50257, k: 768 },
  { name: "Wide: Embedding Lookup", category: "Embedding", aspect: "Wide", m: 512, n: 100000, k: 1024 },
  { name: "Deep: MLP Up-projection", category: "MLP", aspect: "Deep", m: 1024, n: 1024, k: 16384 },
  { name: "Deep: Extreme MLP", category: "MLP", aspect: "Deep", m: 512, n: 512, k: 32768 },
  { name: "BERT Q×K^T (seq=512)", category: "Attention", aspect: "Balanced", m: 512, n: 512, k: 768 },
  { name: "BERT Q×K^T (seq=4096)", category: "Attention", aspect: "Tall-ish", m: 4096, n: 4096, k: 768 },
  { name: "BERT MLP", category: "MLP", aspect: "Deep-ish", m: 512, n: 768, k: 3072 },
  { name: "GPT-2 Q×K^T", category: "Attention", aspect: "Square-ish", m: 2048, n: 2048, k: 1536 },
  { name: "GPT-2 MLP", category: "MLP", aspect: "Deep", m: 2048, n: 1536, k: 6144 },
  { name: "GPT-3 Q×K^T", category: "Attention", aspect: "Deep-ish", m: 2048, n: 2048, k: 12288 },
  { name: "GPT-3 MLP", category: "MLP", aspect: "Very Deep", m: 2048, n: 12288, k: 49152 },
  { name: "LLaMA-2 7B Q×K^T", category: "Attention", aspect: "Square", m: 4096, n: 4096, k: 4096 },
  { name: "LLaMA-2 7B MLP", category: "MLP", aspect: "Deep", m: 4096, n: 4096, k: 11008 },
  { name: "LLaMA-2 7B Long Ctx", category: "Attention", aspect: "Tall-ish", m: 16384, n: 16384, k: 4096 },
  { name: "LLaMA-2 70B Q×K^T", category: "Attention", aspect: "Square", m: 8192, n: 8192, k: 8192 },
  { name: "LLaMA-2 70B MLP", category: "MLP", aspect: "Very Deep", m: 8192, n: 8192, k: 28672 },
  { name: "LLaMA-2 70B Long Ctx", category: "Attention", aspect: "Tall-ish", m: 32768, n: 32768, k: 8192 },
  { name: "Extreme Wide: 100k vocab", category: "Projection", aspect: "Extreme Wide", m: 64, n: 100000, k: 512 },
  { name: "Extreme Tall: 64k batch", category: "Projection", aspect: "Extreme Tall", m: 65536, n: 64, k: 768 },
  { name: "Extreme Deep: 64k hidden", category: "MLP", aspect: "Extreme Deep", m: 256, n: 256, k: 65536 },
];

export interface SweepPreset {
  readonly name: "focused" | "comprehensive";
  readonly workloads: readonly Workload[];
  readonly l3Bytes: readonly number[];
}

/** Sweep presets: kpu-sim's workload lists and L3 sizes (strategies WS, IS, OS). */
export const SWEEP_PRESETS: Readonly<Record<"focused" | "comprehensive", SweepPreset>> = {
  focused: { name: "focused", workloads: FOCUSED_WORKLOADS, l3Bytes: [1, 2, 16, 64, 256].map((x) => x * MiB) },
  comprehensive: {
    name: "comprehensive",
    workloads: COMPREHENSIVE_WORKLOADS,
    l3Bytes: [1, 2, 4, 16, 64, 256, 1024].map((x) => x * MiB),
  },
};
