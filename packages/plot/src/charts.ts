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
  const encoding = {
    x: { field: "x", type: "quantitative" as const, title: options.xTitle, scale: { type: options.xLog === true ? ("log" as const) : ("linear" as const) } },
    y: { field: "y", type: "quantitative" as const, title: options.yTitle, scale: { type: options.yLog === true ? ("log" as const) : ("linear" as const) } },
    color: { field: "series", type: "nominal" as const, title: null },
  };
  const spec: TopLevelSpec = faceted
    ? {
        title: options.title,
        data: { values: points.map((p) => ({ ...p })) },
        facet: { field: "facet", type: "nominal", title: null },
        columns: options.columns ?? 3,
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
  const x = { field: "x", type: "ordinal" as const, title: options.xTitle, ...(options.xSort ? { sort: [...options.xSort] } : {}) };
  const y = { field: "y", type: "ordinal" as const, title: options.yTitle, ...(options.ySort ? { sort: [...options.ySort] } : {}) };
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
      { mark: { type: "text", fontSize: 9 }, encoding: { text: { field: "label", type: "nominal" } } },
    ],
  };
  return renderVegaLiteSvg(spec);
}
