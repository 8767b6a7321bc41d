import cliProgress from "cli-progress";
import type { Graph } from "@kpu/ir";
import { analysisLayers, type Hardware } from "@kpu/kpu-model";
import { mapNetwork, type LayerMapResult, type NetworkGemm, type NetworkMapResult, type Objective } from "@kpu/mapper";
import { renderTable } from "../../util/print.js";
import { si } from "../analyze/report.js";

/** The fabric layers of a network as `kpu analyze` times them (fused, lowered), as the mapper's GEMMs (a conv with its geometry). */
export function networkGemms(graph: Graph): NetworkGemm[] {
  return analysisLayers(graph).flatMap((l) => (l.unit === "fabric" ? [{ id: l.id, op: l.op, ...l.gemm, ...(l.conv === undefined ? {} : { conv: l.conv }) }] : []));
}

/**
 * Maps every fabric layer of the network exactly, with a progress bar (searches done) on an interactive stderr.
 * Shared by `kpu map <model>` and `kpu analyze --mapper exact`.
 */
export async function mapGraph(graph: Graph, hw: Hardware, options: { readonly objective: Objective; readonly threads?: number | undefined; readonly progress: boolean }): Promise<NetworkMapResult> {
  const gemms = networkGemms(graph);
  const bar = options.progress
    ? new cliProgress.SingleBar({ format: "mapping [{bar}] {value}/{total} searches | {eta}s", clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  // the total (distinct shapes and conv geometries) comes with the first progress report
  bar?.start(gemms.length, 0);
  try {
    return await mapNetwork(gemms, hw, {
      objective: options.objective,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      onProgress: (done, total) => {
        bar?.setTotal(total);
        bar?.update(done);
      },
    });
  } finally {
    bar?.stop();
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const clip = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}~`);

type Column = readonly [string, (l: LayerMapResult) => string];

const COLUMNS: readonly Column[] = [
  ["layer", (l) => clip(l.id, 20)],
  ["op", (l) => clip(l.op, 14)],
  ["gemm", (l) => `${l.shape.m}x${l.shape.n}x${l.shape.k}${l.shape.batch > 1 ? ` x${l.shape.batch}` : ""}`],
  [
    "mapping",
    (l) => {
      const m = l.best.mapping;
      const t = m.levels.l1.tile;
      return `${t.m}x${t.n}x${t.k} ${m.levels.l1.order} ${m.fabric.dataflow} ${m.levels.l3.buffers}${m.levels.l2.buffers}${m.levels.l1.buffers} ${m.grid.rows}x${m.grid.cols}`;
    },
  ],
  ["cycles", (l) => si(l.best.cycles)],
  ["energy", (l) => si(l.best.energyPj * 1e-12, "J")],
  ["DRAM B", (l) => si(l.best.dramBytes)],
  ["DRAM gap", (l) => pct(l.gaps.dram)],
  ["cycle gap", (l) => pct(l.gaps.cycles)],
  ["searched", (l) => (l.sameAs === null ? si(l.evaluated + l.pruned) : `= ${clip(l.sameAs, 12)}`)],
];

/** Columns dropped, in this order, until the table fits the terminal. */
const DROP_ORDER = ["searched", "op", "energy", "cycle gap"];

/** The per-layer table of a network's mapping, at most `width` characters wide, and the totals. */
export function networkSummary(r: NetworkMapResult, model: string, width: number): string {
  let columns = COLUMNS;
  let table = "";
  for (let dropped = 0; ; dropped++) {
    table = renderTable(columns.map(([h]) => h), r.layers.map((l) => columns.map(([, f]) => f(l))), { width: undefined });
    const widest = Math.max(...table.split("\n").map((line) => line.length));
    if (widest <= width || dropped === DROP_ORDER.length) break;
    columns = columns.filter(([h]) => h !== DROP_ORDER[dropped]);
  }
  const t = r.totals;
  const lines = [
    `${model} on ${r.hardware}: ${r.layers.length} fabric layers, ${t.distinctShapes} distinct GEMM searches (shape and conv geometry), objective ${r.objective}`,
    `mapping: tile m x n x k, loop order, dataflow, buffers l3 l2 l1, grid of compute tiles`,
    `total: ${si(t.cycles)} cycles (compute bound ${si(t.computeBoundCycles)}, gap ${pct(t.cycles / t.computeBoundCycles - 1)}), ${si(t.energyPj * 1e-12, "J")}, DRAM ${si(t.dramBytes, "B")} (bound ${si(t.lowerBoundDramBytes, "B")}, gap ${pct(t.dramBytes / t.lowerBoundDramBytes - 1)})`,
    `searched: ${t.evaluated.toLocaleString("en-US")} mappings costed, ${t.pruned.toLocaleString("en-US")} pruned, ${t.engineRuns.toLocaleString("en-US")} hierarchy-engine runs, ${r.threads} thread(s), ${r.seconds.toFixed(2)} s`,
  ];
  return `${table}${lines.join("\n")}\n`;
}
