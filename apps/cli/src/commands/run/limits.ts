import { KpuError, formatByteSize, type Graph } from "@kpu/ir";

/** Default bound on the functional execution's memory (`kpu run --max-memory`). */
export const DEFAULT_MAX_MEMORY = 2 * 1024 ** 3;

/**
 * Bytes the functional execution holds: every tensor in float64 for the reference and in float32 for the simulated
 * DRAM, the random inputs once more in float32, and the SRAM. Micro-ops are bounded separately (`--max-uops`).
 */
export function estimateRunBytes(graph: Graph, sramBytes: number): { total: number; tensors: number; sram: number } {
  const elements = (name: string): number => graph.tensors.find((t) => t.name === name)?.shape.reduce((p, d) => p * d, 1) ?? 0;
  const all = graph.tensors.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * d, 1), 0);
  const inputs = graph.inputs.reduce((sum, name) => sum + elements(name), 0);
  const tensors = all * (8 + 4) + inputs * 4;
  return { total: tensors + sramBytes, tensors, sram: sramBytes };
}

/** Throws KPU_TOO_LARGE, naming the estimate, when executing `graph` would need more than `maxBytes`. */
export function checkRunMemory(graph: Graph, sramBytes: number, maxBytes: number): void {
  const e = estimateRunBytes(graph, sramBytes);
  if (e.total <= maxBytes) return;
  const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(2)} GiB`;
  throw new KpuError("KPU_TOO_LARGE", `executing ${graph.name} needs about ${gib(e.total)} (tensors ${gib(e.tensors)}, SRAM ${formatByteSize(e.sram)}), more than the limit of ${gib(maxBytes)}`, {
    where: "--max-memory",
    hint: `Run a smaller model, check it without executing (kpu compile --emit schedule), or raise the limit with --max-memory ${Math.ceil(e.total / 1024 ** 3)}GiB if the machine has the memory.`,
  });
}
