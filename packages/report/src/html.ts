import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ReportKind } from "./kinds/registry.js";

const require = createRequire(import.meta.url);
const clientFile = (name: string): string => readFileSync(new URL(`../client/${name}`, import.meta.url), "utf8");

/** The charting library's minified browser build (Apache ECharts), inlined into every page. */
function echartsSource(): string {
  return readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8");
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** Inline script text must not close its own element. */
const scriptText = (s: string): string => s.replace(/<\/(script)/gi, "<\\/$1");

/** The page's views per kind: the shared helpers, then the kind's view (the Gantt is shared by simulations). */
const CLIENT_FILES: Readonly<Record<ReportKind["name"], readonly string[]>> = {
  analysis: ["common.js", "analysis.js"],
  sweep: ["common.js", "sweep.js"],
  sim: ["common.js", "gantt.js", "sim.js"],
  cpu: ["common.js", "cpu.js"],
  dse: ["common.js", "dse.js"],
};

export interface ReportPage {
  readonly kind: ReportKind["name"];
  readonly title: string;
  /** Where the data came from, shown under the title. */
  readonly source: string;
  readonly data: unknown;
}

/**
 * One self-contained HTML file: the data as embedded JSON (every number on the page is read from it), the charting
 * library, the views and the styles inlined; no request leaves the page. Identical input gives identical bytes.
 */
export function reportHtml(page: ReportPage): string {
  const json = JSON.stringify({ kind: page.kind, title: page.title, source: page.source, data: page.data }).replace(/</g, "\\u003c");
  const scripts = CLIENT_FILES[page.kind].map((f) => `<script>\n${scriptText(clientFile(f))}\n</script>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">
<title>${escapeHtml(page.title)}</title>
<style>
${clientFile("report.css")}
</style>
</head>
<body>
<header><h1 id="title">${escapeHtml(page.title)}</h1><p id="source">${escapeHtml(page.source)}</p></header>
<main id="app"></main>
<script id="kpu-data" type="application/json">${json}</script>
<script>
${scriptText(echartsSource())}
</script>
${scripts}
<script>KPU.start();</script>
</body>
</html>
`;
}
