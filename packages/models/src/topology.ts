import { GraphBuilder, type DType, type Graph } from "@kpu/ir";
import { parseScaleSimTopology, type ScaleSimLayer, type ScaleSimTopologyFormat } from "@kpu/kpu-model";

export interface TopologyOptions {
  readonly dtype?: DType | undefined;
  /** The format when the header does not tell (see `parseScaleSimTopology`). */
  readonly format?: ScaleSimTopologyFormat | undefined;
  /** The graph's name (default: the source's file name without .csv). */
  readonly name?: string | undefined;
}

const CHANNEL_0 = "Channel_0";

/** The rows of one file line: a "DP" (depthwise) row is one layer per channel in SCALE-Sim. */
function byLine(layers: readonly ScaleSimLayer[]): ScaleSimLayer[][] {
  const groups = new Map<number, ScaleSimLayer[]>();
  for (const l of layers) groups.set(l.line, [...(groups.get(l.line) ?? []), l]);
  return [...groups.values()];
}

/**
 * A SCALE-Sim topology CSV as a graph, with SCALE-Sim's conventions: batch 1, no padding (OH = (H - FH) / S + 1,
 * floored), and every layer independent: each reads its own input and writes a graph output, so no layer feeds the
 * next. A conv row is conv2d(ifmap[1, C, H, W], filter[F, C, FH, FW]); a "DP" row is SCALE-Sim's depthwise layer,
 * each of the C channels convolved with its own F filters: conv2d with groups = C and C x F filters. A GEMM row
 * (M, N, K) is matmul(A[M, K], B[K, N]). Filters and B are the model's weights.
 */
export function fromScaleSimTopology(text: string, source = "topology.csv", options: TopologyOptions = {}): Graph {
  const topology = parseScaleSimTopology(text, source, options.format);
  const name = options.name ?? (source.split(/[\\/]/).pop() ?? source).replace(/\.csv$/i, "");
  const b = new GraphBuilder(name, options.dtype ?? "fp32");
  const seen = new Set<string>();
  for (const rows of byLine(topology.layers)) {
    const first = rows[0]!;
    // The parser names a DP row's per-channel layers `<name>Channel_<c>`, each with one channel.
    const depthwise = first.name.endsWith(CHANNEL_0) && first.name.slice(0, -CHANNEL_0.length).includes("DP");
    const label = depthwise ? first.name.slice(0, -CHANNEL_0.length) : first.name;
    // Tensor names must be unique; SCALE-Sim does not require unique layer names, so a repeat gets its line.
    const base = seen.has(label) || label === "" ? `${label}@${first.line}` : label;
    seen.add(base);
    if (topology.format === "gemm") {
      const a = b.input(`${base}.a`, [first.m, first.k]);
      b.output(b.matmul(a, b.weight(`${base}.b`, [first.k, first.n]), { name: `${base}.out` }));
      continue;
    }
    const c = first.conv;
    const channels = depthwise ? rows.length : c.channels;
    const groups = depthwise ? channels : 1;
    const filters = depthwise ? channels * c.numFilters : c.numFilters;
    const ifmap = b.input(`${base}.ifmap`, [1, channels, c.ifmapHeight, c.ifmapWidth]);
    const filter = b.weight(`${base}.filter`, [filters, channels / groups, c.filterHeight, c.filterWidth]);
    b.output(b.conv2d(ifmap, filter, { stride: [c.strideHeight, c.strideWidth], groups, name: `${base}.ofmap` }));
  }
  return b.build();
}
