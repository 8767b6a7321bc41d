import { KpuError } from "@kpu/ir";
import type { ScaleSimGemmLayer } from "./scale-sim.js";

/** SCALE-Sim's two topology formats: GEMM (`Layer, M, N, K,`) and convolution (`Layer name, IFMAP Height, ...`). */
export type ScaleSimTopologyFormat = "gemm" | "conv";

/** A convolution layer as SCALE-Sim's topology_utils holds it (every GEMM row becomes one of these too). */
export interface ScaleSimConvLayer {
  readonly ifmapHeight: number;
  readonly ifmapWidth: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly channels: number;
  readonly numFilters: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
}

/** One layer of a topology file, reduced to the GEMM SCALE-Sim runs for it. */
export interface ScaleSimLayer extends ScaleSimGemmLayer {
  /** The file line the layer came from (1-based). */
  readonly line: number;
  readonly conv: ScaleSimConvLayer;
}

export interface ScaleSimTopology {
  readonly format: ScaleSimTopologyFormat;
  readonly layers: readonly ScaleSimLayer[];
}

const GEMM_COLUMNS = ["M", "N", "K"] as const;
const CONV_COLUMNS = ["IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Stride height", "Stride width"] as const;

function topologyError(where: string, message: string, hint: string): KpuError {
  return new KpuError("KPU_SCALESIM_TOPOLOGY", message, { where, hint });
}

/**
 * SCALE-Sim's GEMM handling (topology_utils): a row M, N, K is the convolution of an M x K input with N filters of
 * 1 x K, one channel and stride 1, so that it has M output pixels per filter and a K-element window.
 */
export function gemmAsConv(m: number, n: number, k: number): ScaleSimConvLayer {
  return { ifmapHeight: m, ifmapWidth: k, filterHeight: 1, filterWidth: k, channels: 1, numFilters: n, strideHeight: 1, strideWidth: 1 };
}

/** The GEMM SCALE-Sim runs for a convolution: M = output pixels per filter, N = filters, K = window size. */
export function convAsGemm(c: ScaleSimConvLayer): { m: number; n: number; k: number } {
  const ofmapHeight = Math.ceil((c.ifmapHeight - c.filterHeight + c.strideHeight) / c.strideHeight);
  const ofmapWidth = Math.ceil((c.ifmapWidth - c.filterWidth + c.strideWidth) / c.strideWidth);
  return { m: ofmapHeight * ofmapWidth, n: c.numFilters, k: c.filterHeight * c.filterWidth * c.channels };
}

/** Splits a line at commas; SCALE-Sim drops the field after the last comma, so every row must end with one. */
function rowFields(text: string, where: string): string[] {
  const fields = text.split(",").map((f) => f.trim());
  if (fields[fields.length - 1] !== "") {
    throw topologyError(
      where,
      "the row does not end with a comma",
      "End every row with a comma, as SCALE-Sim's topology files do: it drops whatever follows the last comma.",
    );
  }
  return fields.slice(0, -1);
}

function positiveField(fields: readonly string[], index: number, column: string, where: string): number {
  const text = fields[index] ?? "";
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw topologyError(`${where} ${column}`, `"${text}" is not a whole number >= 1`, `Give ${column} as a positive whole number.`);
  }
  return value;
}

function detectFormat(header: string, where: string): ScaleSimTopologyFormat {
  const names = header.split(",").map((f) => f.trim().toLowerCase());
  while (names.length > 0 && names[names.length - 1] === "") names.pop();
  if (names.length === 4 && GEMM_COLUMNS.every((c, i) => names[i + 1] === c.toLowerCase())) return "gemm";
  if (names.length >= 8) return "conv";
  throw topologyError(
    where,
    `cannot tell a GEMM header (Layer, M, N, K,) from a convolution one in "${header}"`,
    "Start the file with `Layer, M, N, K,` or SCALE-Sim's convolution header, or pass the format explicitly.",
  );
}

function gemmRow(fields: readonly string[], line: number, where: string): ScaleSimLayer {
  if (fields.length < 4) throw topologyError(where, `expected Layer, M, N, K but found ${fields.length} field(s)`, "Write rows as `name, M, N, K,`.");
  const [m, n, k] = GEMM_COLUMNS.map((c, i) => positiveField(fields, i + 1, c, where)) as [number, number, number];
  return { name: fields[0] ?? "", m, n, k, line, conv: gemmAsConv(m, n, k) };
}

function convFields(fields: readonly string[], where: string): ScaleSimConvLayer {
  if (fields.length < 8) {
    throw topologyError(where, `expected a name and at least 7 numbers but found ${fields.length} field(s)`, "Write rows as `name, H, W, FH, FW, C, F, stride,` (an optional stride width may follow).");
  }
  // With a single stride SCALE-Sim uses it for both directions; fields after the stride width are not used.
  const value = (i: number) => positiveField(fields, Math.min(i, fields.length - 1), CONV_COLUMNS[i - 1] ?? "", where);
  const conv: ScaleSimConvLayer = {
    ifmapHeight: value(1),
    ifmapWidth: value(2),
    filterHeight: value(3),
    filterWidth: value(4),
    channels: value(5),
    numFilters: value(6),
    strideHeight: value(7),
    strideWidth: value(8),
  };
  if (conv.filterHeight > conv.ifmapHeight || conv.filterWidth > conv.ifmapWidth) {
    throw topologyError(where, "the filter is larger than the input", "Keep Filter Height <= IFMAP Height and Filter Width <= IFMAP Width, as SCALE-Sim asserts.");
  }
  return conv;
}

/** A conv row; a layer whose name contains "DP" is depthwise and SCALE-Sim runs it as one layer per channel. */
function convRows(fields: readonly string[], line: number, where: string): ScaleSimLayer[] {
  const name = fields[0] ?? "";
  const conv = convFields(fields, where);
  const layer = (layerName: string, c: ScaleSimConvLayer): ScaleSimLayer => ({ name: layerName, ...convAsGemm(c), line, conv: c });
  if (!name.includes("DP")) return [layer(name, conv)];
  return Array.from({ length: conv.channels }, (_, ch) => layer(`${name}Channel_${ch}`, { ...conv, channels: 1 }));
}

/**
 * Reads a SCALE-Sim topology CSV. The first line is a header (SCALE-Sim skips it; here it also tells GEMM from conv
 * unless `format` is given); blank lines are skipped; every row ends with a comma.
 */
export function parseScaleSimTopology(text: string, source = "<topology>", format?: ScaleSimTopologyFormat): ScaleSimTopology {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const header = lines[0]?.trim() ?? "";
  const kind = format ?? detectFormat(header, `${source}:1`);
  const layers: ScaleSimLayer[] = [];
  lines.forEach((raw, index) => {
    const text = raw.trim();
    if (index === 0 || text === "") return;
    const where = `${source}:${index + 1}`;
    const fields = rowFields(text, where);
    if (kind === "gemm") layers.push(gemmRow(fields, index + 1, where));
    else layers.push(...convRows(fields, index + 1, where));
  });
  if (layers.length === 0) {
    throw topologyError(source, "the topology has no layers", "Add one row per layer after the header, e.g. `L1, 64, 64, 64,`.");
  }
  return { format: kind, layers };
}
