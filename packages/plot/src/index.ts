export { renderVegaLiteSvg } from "./render.js";
export { heatmapSvg, lineChartSvg, scatterChartSvg } from "./charts.js";
export type { HeatCell, HeatmapOptions, LineChartOptions, LinePoint, ScatterChartOptions, ScatterPoint } from "./charts.js";
