import type { TopLevelSpec } from "vega-lite";
import { renderVegaLiteSvg } from "./render.js";

export interface LinePoint {
  readonly x: number;
  readonly y: number;
  /** The line this point belongs to (one colour per series). */
  readonly series: string;
  /** Small multiples: one panel per facet value, when given. */
  readonly facet?: string;
}

const DASHES: readonly number[][] = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]];
const SHAPES = ["circle", "square", "triangle-up", "diamond", "cross"] as const;

export interface LineChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Panels per row when faceting (default 3). */
  readonly columns?: number;
}

/** A line chart (optionally faceted into small multiples) as an SVG string. */
export function lineChartSvg(points: readonly LinePoint[], options: LineChartOptions): Promise<string> {
  const faceted = points.some((p) => p.facet !== undefined);
  const series = [...new Set(points.map((p) => p.series))];
  const encoding = {
    x: { field: "x", type: "quantitative" as const, title: options.xTitle, scale: { type: options.xLog === true ? ("log" as const) : ("linear" as const) } },
    y: { field: "y", type: "quantitative" as const, title: options.yTitle, scale: { type: options.yLog === true ? ("log" as const) : ("linear" as const) } },
    color: { field: "series", type: "nominal" as const, title: null, scale: { domain: series } },
    // tied series draw on top of each other: the first is widest, later ones thinner, dashed and with other markers,
    // so every line stays visible where they coincide
    strokeDash: { field: "series", type: "nominal" as const, title: null, scale: { domain: series, range: series.map((_, i) => DASHES[i % DASHES.length]!) } },
    strokeWidth: { field: "series", type: "ordinal" as const, sort: series, title: null, scale: { domain: series, range: series.map((_, i) => Math.max(1, 4 - 1.2 * i)) } },
    shape: { field: "series", type: "nominal" as const, title: null, scale: { domain: series, range: series.map((_, i) => SHAPES[i % SHAPES.length]!) } },
  };
  const spec: TopLevelSpec = faceted
    ? {
        title: options.title,
        data: { values: points.map((p) => ({ ...p })) },
        facet: { field: "facet", type: "nominal", title: null, header: { labelLimit: 0 } },
        columns: options.columns ?? 3,
        // each panel has its own axes: shared ones hang under the last row's empty cells
        resolve: { axis: { x: "independent", y: "independent" } },
        spec: { width: 220, height: 150, mark: { type: "line", point: true }, encoding },
      }
    : {
        title: options.title,
        data: { values: points.map((p) => ({ ...p })) },
        width: 480,
        height: 300,
        mark: { type: "line", point: true },
        encoding,
      };
  return renderVegaLiteSvg(spec);
}

export interface HeatCell {
  readonly x: string;
  readonly y: string;
  /** Colour value. */
  readonly value: number;
  /** Text drawn in the cell (defaults to the value). */
  readonly label?: string;
}

export interface HeatmapOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  /** Quantitative colour (default) or one colour per distinct label. */
  readonly colorBy?: "value" | "label";
  readonly xSort?: readonly string[];
  readonly ySort?: readonly string[];
}

/** A labelled heatmap as an SVG string. */
export function heatmapSvg(cells: readonly HeatCell[], options: HeatmapOptions): Promise<string> {
  const byLabel = options.colorBy === "label";
  const values = cells.map((c) => ({ ...c, label: c.label ?? String(Number(c.value.toPrecision(3))) }));
  // labelLimit 0: whole names, never cut with an ellipsis
  const x = { field: "x", type: "ordinal" as const, title: options.xTitle, axis: { labelLimit: 0 }, ...(options.xSort ? { sort: [...options.xSort] } : {}) };
  const y = { field: "y", type: "ordinal" as const, title: options.yTitle, axis: { labelLimit: 0 }, ...(options.ySort ? { sort: [...options.ySort] } : {}) };
  const spec: TopLevelSpec = {
    title: options.title,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: byLabel
            ? { field: "label", type: "nominal", title: null }
            : { field: "value", type: "quantitative", title: null, scale: { scheme: "viridis" } },
        },
      },
      {
        mark: { type: "text", fontSize: 9 },
        encoding: {
          text: { field: "label", type: "nominal" },
          // readable on every cell: white text on dark colours, black on light ones (the cell colour's luminance)
          color: { condition: { test: `luminance(scale('color', datum.${byLabel ? "label" : "value"})) < 0.4`, value: "#ffffff" }, value: "#000000" },
        },
      },
    ],
  };
  return renderVegaLiteSvg(spec);
}

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  /** Marker area follows this value (e.g. silicon area). */
  readonly size: number;
  /** Points of the highlighted group are drawn on top, in red. */
  readonly group: string;
}

export interface ScatterChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly sizeTitle: string;
  /** The group drawn on top in red (e.g. "Pareto front"); the others are grey. */
  readonly highlight?: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
}

/** A scatter plot with marker size as a third quantity and one highlighted group, as an SVG string. */
export function scatterChartSvg(points: readonly ScatterPoint[], options: ScatterChartOptions): Promise<string> {
  const groups = [...new Set(points.map((p) => p.group))].sort((a, b) => (a === options.highlight ? 1 : b === options.highlight ? -1 : a.localeCompare(b)));
  const colours = groups.map((g) => (g === options.highlight ? "#d62728" : "#7f7f7f"));
  const spec: TopLevelSpec = {
    title: options.title,
    // highlighted points last, so they draw over the others
    data: { values: [...points].sort((a, b) => groups.indexOf(a.group) - groups.indexOf(b.group)).map((p) => ({ ...p })) },
    width: 480,
    height: 320,
    mark: { type: "point", filled: true, opacity: 0.7, stroke: "#000000", strokeWidth: 0.5 },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.xTitle, scale: { type: options.xLog === true ? "log" : "linear", zero: false } },
      y: { field: "y", type: "quantitative", title: options.yTitle, scale: { type: options.yLog === true ? "log" : "linear", zero: false } },
      size: { field: "size", type: "quantitative", title: options.sizeTitle, scale: { zero: false, range: [20, 400] } },
      color: { field: "group", type: "nominal", title: null, scale: { domain: groups, range: colours } },
    },
  };
  return renderVegaLiteSvg(spec);
}
