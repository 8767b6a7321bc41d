import { renderVegaLiteSvg } from "@kpu/plot";
import type { Analysis, LayerAnalysis } from "@kpu/kpu-model";
import { formatCsv } from "@kpu/scheduler";
import { renderTable } from "../../util/print.js";

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const shape = (s: readonly number[]): string => s.join("x");
const clip = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}~`);

const PREFIXES = [["T", 1e12], ["G", 1e9], ["M", 1e6], ["k", 1e3], ["", 1], ["m", 1e-3], ["u", 1e-6], ["n", 1e-9], ["p", 1e-12]] as const;

/** Three significant digits with an SI prefix: 4.09 G, 1.25 M, 3.08 mJ; 0 stays 0. */
export function si(x: number, unit = ""): string {
  if (x === 0) return `0 ${unit}`.trimEnd();
  const [p, s] = PREFIXES.find(([, scale]) => Math.abs(x) >= scale * 0.9995) ?? PREFIXES[PREFIXES.length - 1]!;
  return `${Number((x / s).toPrecision(3))} ${p}${unit}`.trimEnd();
}

type Column = readonly [string, (l: LayerAnalysis) => string];

const COLUMNS: readonly Column[] = [
  ["layer", (l) => clip(l.id, 20)],
  ["op", (l) => clip(l.fused !== undefined && l.fused.length > 0 ? `${l.op}+${l.fused.length}` : l.op, 14)],
  ["output", (l) => clip(shape(l.outputShape), 16)],
  ["MACs", (l) => si(l.macs)],
  ["map", (l) => l.mapping.strategy ?? l.unit],
  ["cycles", (l) => si(l.cycles)],
  ["fabric", (l) => pct(l.fabricUtilization)],
  ["vector", (l) => pct(l.vectorUtilization)],
  ["DRAM B", (l) => si(l.bytes.dram)],
  ["energy", (l) => si(l.energyPj * 1e-12, "J")],
  ["bound", (l) => l.bound],
];

/** Columns dropped, in this order, until the table fits the terminal. */
const DROP_ORDER = ["output", "map", "vector", "DRAM B"];

/** The per-layer table for people, at most `width` characters wide (the least needed columns go first). */
export function layerTable(layers: readonly LayerAnalysis[], width: number): string {
  let columns = COLUMNS;
  for (let dropped = 0; ; dropped++) {
    const text = renderTable(columns.map(([h]) => h), layers.map((l) => columns.map(([, f]) => f(l))));
    const widest = Math.max(...text.split("\n").map((line) => line.length));
    if (widest <= width || dropped === DROP_ORDER.length) return text;
    columns = columns.filter(([h]) => h !== DROP_ORDER[dropped]);
  }
}

/** Totals and where the time goes, for people. */
export function totalsText(a: Analysis): string {
  const t = a.totals;
  const per = t.throughput.unit === "tokens/s" ? "token" : "inference";
  const lines = [
    `${a.model.name} on ${a.hardware}: ${a.layers.length} layers, ${si(t.params)} parameters, ${si(t.macs)} MACs`,
    `latency ${si(t.latencyNs * 1e-9, "s")} (${si(t.cycles)} fabric cycles), throughput ${Number(t.throughput.value.toPrecision(4)).toLocaleString("en-US")} ${t.throughput.unit}`,
    `energy ${si(t.energyPj * 1e-12, "J")} (${si(t.energyPerUnitPj * 1e-12, "J")} per ${per}), DRAM ${si(t.dramBytes, "B")}, fabric ${pct(t.fabricUtilization)} busy, vector unit ${pct(t.vectorUtilization)}`,
    `time by bound: ${Object.entries(t.cyclesByBound).filter(([, c]) => c > 0).map(([b, c]) => `${b} ${pct(c / t.cycles)}`).join(", ")}`,
    `where the time goes: ${t.topLayers.map((l) => `${l.id} (${l.op}) ${pct(l.share)}`).join(", ")}`,
  ];
  return `${lines.join("\n")}\n`;
}

export const LAYER_COLUMNS = ["id", "op", "unit", "input_shapes", "output_shape", "macs", "strategy", "mapping_why", "cycles", "latency_ns", "fabric_utilization", "vector_utilization", "dram_bytes", "l3_bytes", "l2_bytes", "l1_bytes", "energy_pj", "bound", "intensity", "attained", "peak"] as const;

export function layersCsv(a: Analysis): string {
  const rows = a.layers.map((l) => ({
    id: l.id,
    op: l.op,
    unit: l.unit,
    input_shapes: l.inputShapes.map(shape).join(" "),
    output_shape: shape(l.outputShape),
    macs: l.macs,
    strategy: l.mapping.strategy ?? "",
    mapping_why: l.mapping.why,
    cycles: l.cycles,
    latency_ns: l.latencyNs,
    fabric_utilization: l.fabricUtilization,
    vector_utilization: l.vectorUtilization,
    dram_bytes: l.bytes.dram,
    l3_bytes: l.bytes.l3,
    l2_bytes: l.bytes.l2,
    l1_bytes: l.bytes.l1,
    energy_pj: l.energyPj,
    bound: l.bound,
    intensity: l.roofline.intensity,
    attained: l.roofline.attained,
    peak: l.roofline.peak,
  }));
  return formatCsv(LAYER_COLUMNS, rows.map((r) => LAYER_COLUMNS.map((c) => String(r[c]))));
}

/** Time per layer, coloured by what bounds it (layers in graph order). */
export function timePlot(a: Analysis): Promise<string> {
  const values = a.layers.map((l, i) => ({ index: i, layer: l.id, op: l.op, bound: l.bound, us: l.latencyNs / 1000 }));
  return renderVegaLiteSvg({
    title: `${a.model.name} on ${a.hardware}: time per layer by bound`,
    data: { values },
    width: Math.max(400, Math.min(1600, values.length * 6)),
    height: 300,
    mark: "bar",
    encoding: {
      x: { field: "index", type: "ordinal", title: "layer (graph order)", axis: { labels: values.length <= 40 } },
      y: { field: "us", type: "quantitative", title: "time (us)", stack: "zero" },
      color: { field: "bound", type: "nominal", title: "bound" },
      tooltip: [{ field: "layer" }, { field: "op" }, { field: "us" }],
    },
  });
}

/** Each fabric layer's attained MACs per cycle against its intensity (MACs per DRAM byte), under the roofline. */
export function rooflinePlot(a: Analysis, peakMacs: number, dramBytesPerCycle: number): Promise<string> {
  const points = a.layers.filter((l) => l.macs > 0 && l.bytes.dram > 0).map((l) => ({ x: l.roofline.intensity, y: l.roofline.attained, series: l.bound, layer: l.id }));
  const lo = Math.min(...points.map((p) => p.x), 0.1) / 2;
  const hi = Math.max(...points.map((p) => p.x), peakMacs / dramBytesPerCycle) * 2;
  const ridge = peakMacs / dramBytesPerCycle;
  const roof = [lo, ridge, hi].map((x) => ({ x, y: Math.min(peakMacs, x * dramBytesPerCycle) }));
  const log = { type: "log" as const };
  return renderVegaLiteSvg({
    title: `${a.model.name} on ${a.hardware}: roofline (DRAM)`,
    width: 480,
    height: 320,
    layer: [
      { data: { values: roof }, mark: { type: "line", color: "black" }, encoding: { x: { field: "x", type: "quantitative", scale: log, title: "MACs per DRAM byte" }, y: { field: "y", type: "quantitative", scale: log, title: "MACs per cycle" } } },
      { data: { values: points }, mark: { type: "point", filled: true }, encoding: { x: { field: "x", type: "quantitative", scale: log }, y: { field: "y", type: "quantitative", scale: log }, color: { field: "series", type: "nominal", title: "bound" }, tooltip: [{ field: "layer" }] } },
    ],
  });
}
