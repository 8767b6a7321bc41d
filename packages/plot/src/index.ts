export { renderVegaLiteSvg } from "./render.js";
export { heatmapSvg, lineChartSvg } from "./charts.js";
export type { HeatCell, HeatmapOptions, LineChartOptions, LinePoint } from "./charts.js";
