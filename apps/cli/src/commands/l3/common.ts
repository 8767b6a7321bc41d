import { KpuError, formatByteSize, isMatmulLike, parseByteSize, tensorMap, type Graph } from "@kpu/ir";
import type { Workload } from "@kpu/scheduler";

/** Parses `--l3 16MiB,64MiB` (each with a unit). */
export function parseSizeList(text: string, flag: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) {
    throw new KpuError("KPU_BAD_SIZE", `"${text}" has an empty entry`, { where: flag, hint: "Separate sizes with commas: 1MiB,16MiB." });
  }
  return parts.map((p) => parseByteSize(p, flag));
}

/** Parses `4x4` (rows x cols of KPU tiles). */
export function parseGrid(text: string, flag: string): { rows: number; cols: number } {
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(text);
  const rows = Number(m?.[1]);
  const cols = Number(m?.[2]);
  if (m === null || rows < 1 || cols < 1 || rows > 4096 || cols > 4096) {
    throw new KpuError("KPU_BAD_FLAG", `"${text}" is not ROWSxCOLS`, { where: flag, hint: "Write the grid as e.g. 4x4 (1 to 4096 each)." });
  }
  return { rows, cols };
}

/** The matmuls of a model graph as workloads (for `--example`). */
export function graphWorkloads(graph: Graph): Workload[] {
  const tensors = tensorMap(graph);
  const out: Workload[] = [];
  for (const op of graph.ops) {
    if (!isMatmulLike(op)) continue;
    const a = tensors.get(op.inputs[0]!)!;
    const b = tensors.get(op.inputs[1]!)!;
    out.push({ name: `${graph.name}/${op.id}`, category: "example", aspect: "", m: a.shape[0]!, k: a.shape[1]!, n: b.shape[1]! });
  }
  return out;
}

export const size = (bytes: number): string => formatByteSize(bytes);

/** Bytes for people: 1.23 GiB. */
export function human(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(2)} ${units[u]!}`;
}

export const ratio = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3));
