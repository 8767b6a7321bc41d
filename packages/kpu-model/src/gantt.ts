import { KIND_COMPUTE, KIND_LOAD, TENSOR_A, TENSOR_B, WAIT_DATA } from "./internal/program.js";
import type { SimRun } from "./sim.js";

/** One bar of the Gantt chart: a task on a resource lane, with the stall that preceded it. */
export interface GanttBar {
  readonly lane: number;
  readonly label: string;
  /** load, writeback or compute. */
  readonly kind: "load" | "writeback" | "compute";
  readonly tensor: "A" | "B" | "C";
  readonly step: number;
  readonly startNs: number;
  readonly endNs: number;
  readonly bytes: number;
  readonly stallStartNs: number;
  readonly stallCause: "data" | "credit" | null;
}

export interface GanttChart {
  readonly title: string;
  readonly lanes: readonly string[];
  readonly bars: readonly GanttBar[];
  readonly endNs: number;
  /** True when only the first `maxBars` tasks (by start time) are drawn. */
  readonly truncated: boolean;
  readonly totalTasks: number;
}

export const GANTT_LANES = ["DMA engine (DRAM>L3)", "Block mover (L3>L2)", "Streamer (L2>L1)", "Fabric"] as const;

const TENSORS = ["A", "B", "C"] as const;

function tileLabel(tensor: number, a: number, b: number): string {
  if (tensor === TENSOR_A) return `A[i=${a},k=${b}]`;
  if (tensor === TENSOR_B) return `B[k=${a},j=${b}]`;
  return `C[i=${a},j=${b}]`;
}

/** A task's tile label: `A[i=0,k=1]` for a load, `C[i=0,j=0] wb` for a write-back, `C[i=0,j=0] k=3` for a compute step. */
export function taskLabel(kind: GanttBar["kind"], tensor: number, ti: number, tj: number, tk: number): string {
  if (kind === "compute") return `C[i=${ti},j=${tj}] k=${tk}`;
  return `${tileLabel(tensor, ti, tj)}${kind === "writeback" ? " wb" : ""}`;
}

/** Builds the chart model: the first `maxBars` tasks by start time (default 4000), one lane per resource. */
export function ganttChart(run: SimRun, options: { maxBars?: number } = {}): GanttChart {
  const maxBars = options.maxBars ?? 4000;
  const p = run.plan.program;
  const tr = run.trace;
  const nsPerTick = 1000 / run.hardware.derived.timebaseMhz;
  const order = Array.from({ length: p.n }, (_, i) => i).sort((x, y) => tr.startTick[x]! - tr.startTick[y]! || p.res[x]! - p.res[y]! || x - y);
  const chosen = order.slice(0, maxBars);
  const bars: GanttBar[] = chosen.map((t) => {
    const kind = p.kind[t] === KIND_COMPUTE ? "compute" : p.kind[t] === KIND_LOAD ? "load" : "writeback";
    const tensor = TENSORS[p.tensor[t]!]!;
    const label = taskLabel(kind, p.tensor[t]!, p.ti[t]!, p.tj[t]!, p.tk[t]!);
    const stall = tr.stallTicks[t]!;
    return {
      lane: p.res[t]!,
      label,
      kind,
      tensor,
      step: p.step[t]!,
      startNs: tr.startTick[t]! * nsPerTick,
      endNs: tr.endTick[t]! * nsPerTick,
      bytes: p.bytes[t]!,
      stallStartNs: (tr.startTick[t]! - stall) * nsPerTick,
      stallCause: stall > 0 ? (tr.stallCause[t] === WAIT_DATA ? "data" : "credit") : null,
    };
  });
  bars.sort((a, b) => a.lane - b.lane || a.startNs - b.startNs);
  const endNs = chosen.length === p.n ? tr.totalTicks * nsPerTick : Math.max(0, ...bars.map((b) => b.endNs));
  const r = run.report;
  const title = `${r.hardware}: ${r.m}x${r.n}x${r.k} ${r.strategy.toUpperCase()}, tiles ${r.tiles.m}x${r.tiles.n}x${r.tiles.k}, buffers ${r.buffers.l1}`;
  return { title, lanes: [...GANTT_LANES], bars, endNs, truncated: chosen.length < p.n, totalTasks: p.n };
}

const COLORS: Readonly<Record<string, string>> = {
  A: "#4e79a7",
  B: "#f28e2b",
  C: "#59a14f",
  wb: "#2e6b28",
  compute: "#8e6aa8",
  data: "#e15759",
  credit: "#edc948",
};

function barColor(b: GanttBar): string {
  if (b.kind === "compute") return COLORS.compute!;
  if (b.kind === "writeback") return COLORS.wb!;
  return COLORS[b.tensor]!;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

const f2 = (x: number) => (Math.round(x * 100) / 100).toString();

function barDetails(b: GanttBar): string {
  const what = b.kind === "compute" ? "compute" : b.kind === "writeback" ? `write-back ${b.bytes} B` : `load ${b.bytes} B`;
  const stall = b.stallCause === null ? "" : `; stalled ${f2(b.startNs - b.stallStartNs)} ns before (waiting for ${b.stallCause})`;
  return `${b.label} step ${b.step}: ${what}, ${f2(b.startNs)}-${f2(b.endNs)} ns${stall}`;
}

/** A deterministic SVG: one lane per resource, bars labelled with their tile, stalls drawn in red (data) or yellow (credit). */
export function ganttSvg(chart: GanttChart, options: { width?: number } = {}): string {
  const width = options.width ?? 1400;
  const left = 170;
  const top = 40;
  const laneH = 34;
  const plotW = width - left - 20;
  const height = top + chart.lanes.length * laneH + 80;
  const span = chart.endNs > 0 ? chart.endNs : 1;
  const x = (ns: number) => left + (ns / span) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(chart.title)}${chart.truncated ? esc(` (first ${chart.bars.length} of ${chart.totalTasks} tasks)`) : ""}</text>`);
  chart.lanes.forEach((lane, i) => {
    const y = top + i * laneH;
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${laneH - 4}" fill="${i % 2 === 0 ? "#f4f4f4" : "#fafafa"}"/>`);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 2}" text-anchor="end">${esc(lane)}</text>`);
  });
  const step = niceStep(span, 10);
  const axisY = top + chart.lanes.length * laneH + 4;
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#333"/>`);
  for (let t = 0; t <= span + 1e-9; t += step) {
    const xx = f2(x(t));
    out.push(`<line x1="${xx}" y1="${axisY}" x2="${xx}" y2="${axisY + 5}" stroke="#333"/><text x="${xx}" y="${axisY + 17}" text-anchor="middle">${f2(t)}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${axisY + 34}" text-anchor="middle">time (ns)</text>`);
  for (const b of chart.bars) {
    const y = top + b.lane * laneH + 3;
    const h = laneH - 10;
    if (b.stallCause !== null && b.startNs > b.stallStartNs) {
      const sx = x(b.stallStartNs);
      out.push(
        `<rect x="${f2(sx)}" y="${y + h / 2 - 3}" width="${f2(Math.max(0.5, x(b.startNs) - sx))}" height="6" fill="${COLORS[b.stallCause]}" opacity="0.8"><title>${esc(`stall before ${b.label}: waiting for ${b.stallCause}, ${f2(b.startNs - b.stallStartNs)} ns`)}</title></rect>`,
      );
    }
    const bx = x(b.startNs);
    const bw = Math.max(0.5, x(b.endNs) - bx);
    out.push(`<rect x="${f2(bx)}" y="${y}" width="${f2(bw)}" height="${h}" fill="${barColor(b)}" stroke="#fff" stroke-width="0.5"><title>${esc(barDetails(b))}</title></rect>`);
    if (bw > b.label.length * 6 + 4) {
      out.push(`<text x="${f2(bx + 2)}" y="${y + h / 2 + 4}" fill="#fff" font-size="10">${esc(b.label)}</text>`);
    }
  }
  const legend: [string, string][] = [
    ["A tile", COLORS.A!],
    ["B tile", COLORS.B!],
    ["C tile", COLORS.C!],
    ["write-back", COLORS.wb!],
    ["compute", COLORS.compute!],
    ["stall: data", COLORS.data!],
    ["stall: credit", COLORS.credit!],
  ];
  legend.forEach(([name, color], i) => {
    const lx = left + i * 110;
    out.push(`<rect x="${lx}" y="${height - 16}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 7}">${esc(name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/**
 * A self-contained HTML page (no external resources): the chart drawn from embedded data, details on hover, zoom with
 * the mouse wheel or the +/- buttons, pan by dragging.
 */
export function ganttHtml(chart: GanttChart): string {
  const data = {
    title: chart.title,
    lanes: chart.lanes,
    endNs: chart.endNs,
    truncated: chart.truncated,
    totalTasks: chart.totalTasks,
    colors: COLORS,
    bars: chart.bars.map((b) => [b.lane, b.label, b.kind, b.tensor, b.step, b.startNs, b.endNs, b.bytes, b.stallStartNs, b.stallCause]),
  };
  const json = JSON.stringify(data).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(chart.title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
#bar { margin: 8px 0; } button { font-size: 14px; min-width: 32px; }
#chart { border: 1px solid #ccc; cursor: grab; user-select: none; }
#info { font-family: monospace; min-height: 1.4em; margin-top: 6px; white-space: pre; }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
</style>
</head>
<body>
<h3 id="title"></h3>
<div id="bar"><button id="zin" title="zoom in">+</button> <button id="zout" title="zoom out">&minus;</button> <button id="reset">reset</button>
<span id="range"></span></div>
<svg id="chart" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="info">hover a bar for details; wheel to zoom, drag to pan</div>
<div class="legend" id="legend"></div>
<script id="gantt-data" type="application/json">${json}</script>
<script>
(function () {
  var D = JSON.parse(document.getElementById("gantt-data").textContent);
  var svg = document.getElementById("chart"), info = document.getElementById("info");
  var W = Math.max(900, window.innerWidth - 48), LEFT = 170, TOP = 10, LANE = 34, PW = W - LEFT - 20;
  var H = TOP + D.lanes.length * LANE + 40;
  svg.setAttribute("width", W); svg.setAttribute("height", H);
  document.getElementById("title").textContent = D.title + (D.truncated ? " (first " + D.bars.length + " of " + D.totalTasks + " tasks)" : "");
  var view = [0, D.endNs || 1];
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) { var e = document.createElementNS(NS, name); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; }
  function color(b) { return b[2] === "compute" ? D.colors.compute : b[2] === "writeback" ? D.colors.wb : D.colors[b[3]]; }
  function fmt(x) { return (Math.round(x * 100) / 100).toString(); }
  function details(b) {
    var what = b[2] === "compute" ? "compute" : (b[2] === "writeback" ? "write-back " : "load ") + b[7] + " B";
    var s = b[1] + "  step " + b[4] + "  " + D.lanes[b[0]] + "\\n" + what + ", " + fmt(b[5]) + " - " + fmt(b[6]) + " ns (" + fmt(b[6] - b[5]) + " ns)";
    if (b[9]) s += "\\nstalled " + fmt(b[5] - b[8]) + " ns before, waiting for " + b[9];
    return s;
  }
  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var t0 = view[0], t1 = view[1], span = t1 - t0;
    function x(t) { return LEFT + (t - t0) / span * PW; }
    D.lanes.forEach(function (name, i) {
      svg.appendChild(el("rect", { x: LEFT, y: TOP + i * LANE, width: PW, height: LANE - 4, fill: i % 2 ? "#fafafa" : "#f4f4f4" }));
      svg.appendChild(el("text", { x: LEFT - 8, y: TOP + i * LANE + LANE / 2 + 2, "text-anchor": "end", "font-size": 11 }, name));
    });
    var g = el("g", {}); svg.appendChild(g);
    D.bars.forEach(function (b) {
      if (b[6] < t0 || b[8] > t1) return;
      var y = TOP + b[0] * LANE + 3, h = LANE - 10;
      if (b[9] && b[5] > b[8]) {
        var sx = Math.max(LEFT, x(b[8]));
        var st = el("rect", { x: sx, y: y + h / 2 - 3, width: Math.max(0.5, Math.min(x(b[5]), LEFT + PW) - sx), height: 6, fill: D.colors[b[9]], opacity: 0.8 });
        st.addEventListener("mouseenter", function () { info.textContent = "stall before " + b[1] + ": waiting for " + b[9] + ", " + fmt(b[5] - b[8]) + " ns"; });
        g.appendChild(st);
      }
      var bx = Math.max(LEFT, x(b[5])), bw = Math.max(0.5, Math.min(x(b[6]), LEFT + PW) - bx);
      if (bw <= 0) return;
      var r = el("rect", { x: bx, y: y, width: bw, height: h, fill: color(b), stroke: "#fff", "stroke-width": 0.5 });
      r.addEventListener("mouseenter", function () { r.setAttribute("stroke", "#000"); info.textContent = details(b); });
      r.addEventListener("mouseleave", function () { r.setAttribute("stroke", "#fff"); });
      g.appendChild(r);
      if (bw > b[1].length * 6 + 4) g.appendChild(el("text", { x: bx + 2, y: y + h / 2 + 4, fill: "#fff", "font-size": 10, "pointer-events": "none" }, b[1]));
    });
    var axisY = TOP + D.lanes.length * LANE + 4;
    svg.appendChild(el("line", { x1: LEFT, y1: axisY, x2: LEFT + PW, y2: axisY, stroke: "#333" }));
    var raw = span / 10, pow = Math.pow(10, Math.floor(Math.log10(raw))), step = pow * ([1, 2, 5, 10].find(function (m) { return m * pow >= raw; }));
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      svg.appendChild(el("line", { x1: x(t), y1: axisY, x2: x(t), y2: axisY + 5, stroke: "#333" }));
      svg.appendChild(el("text", { x: x(t), y: axisY + 17, "text-anchor": "middle", "font-size": 11 }, fmt(t) + " ns"));
    }
    document.getElementById("range").textContent = "showing " + fmt(t0) + " - " + fmt(t1) + " ns of " + fmt(D.endNs) + " ns";
  }
  function zoom(factor, centerNs) {
    var span = (view[1] - view[0]) * factor, full = D.endNs || 1;
    span = Math.min(full, Math.max(full / 1e6, span));
    var c = centerNs === undefined ? (view[0] + view[1]) / 2 : centerNs;
    var frac = (c - view[0]) / (view[1] - view[0]);
    var a = c - frac * span; a = Math.max(0, Math.min(full - span, a));
    view = [a, a + span]; draw();
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var rect = svg.getBoundingClientRect(), px = e.clientX - rect.left - LEFT;
    zoom(e.deltaY < 0 ? 0.8 : 1.25, view[0] + Math.max(0, Math.min(1, px / PW)) * (view[1] - view[0]));
  }, { passive: false });
  var drag = null;
  svg.addEventListener("mousedown", function (e) { drag = { x: e.clientX, v: view.slice() }; svg.style.cursor = "grabbing"; });
  window.addEventListener("mouseup", function () { drag = null; svg.style.cursor = "grab"; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var span = drag.v[1] - drag.v[0], full = D.endNs || 1, d = -(e.clientX - drag.x) / PW * span;
    var a = Math.max(0, Math.min(full - span, drag.v[0] + d)); view = [a, a + span]; draw();
  });
  document.getElementById("zin").onclick = function () { zoom(0.5); };
  document.getElementById("zout").onclick = function () { zoom(2); };
  document.getElementById("reset").onclick = function () { view = [0, D.endNs || 1]; draw(); };
  var legend = document.getElementById("legend");
  [["A tile", "A"], ["B tile", "B"], ["C tile", "C"], ["write-back", "wb"], ["compute", "compute"], ["stall: data", "data"], ["stall: credit", "credit"]].forEach(function (l) {
    var s = document.createElement("span"), i = document.createElement("i"); i.style.background = D.colors[l[1]]; s.appendChild(i); s.appendChild(document.createTextNode(l[0])); legend.appendChild(s);
  });
  draw();
})();
</script>
</body>
</html>
`;
}

/**
 * A terminal rendering: one row per lane, `width` columns over the chart's time span; each column shows what the lane
 * does at its midpoint: A/B/C a load of that tensor, w a write-back, # compute, ! a stall waiting for data, ~ a stall
 * waiting for credit, space idle.
 */
export function ganttAscii(chart: GanttChart, options: { width?: number } = {}): string {
  const width = Math.max(20, options.width ?? 100);
  const span = chart.endNs > 0 ? chart.endNs : 1;
  const nameW = Math.max(...chart.lanes.map((l) => l.length));
  const lines: string[] = [`${chart.title}${chart.truncated ? ` (first ${chart.bars.length} of ${chart.totalTasks} tasks)` : ""}`];
  chart.lanes.forEach((lane, li) => {
    const bars = chart.bars.filter((b) => b.lane === li);
    let cursor = 0;
    let row = "";
    for (let c = 0; c < width; c++) {
      const t = ((c + 0.5) / width) * span;
      while (cursor < bars.length && bars[cursor]!.endNs <= t) cursor++;
      const b = bars[cursor];
      let ch = " ";
      if (b !== undefined) {
        if (t >= b.startNs && t < b.endNs) ch = b.kind === "compute" ? "#" : b.kind === "writeback" ? "w" : b.tensor;
        else if (b.stallCause !== null && t >= b.stallStartNs && t < b.startNs) ch = b.stallCause === "data" ? "!" : "~";
      }
      row += ch;
    }
    lines.push(`${lane.padEnd(nameW)} |${row}|`);
  });
  const endLabel = `${f2(span)} ns`;
  lines.push(`${"".padEnd(nameW)} 0${endLabel.padStart(width + 1)}`);
  lines.push(`${"".padEnd(nameW)}  A/B/C load  w write-back  # compute  ! stall (data)  ~ stall (credit)`);
  return `${lines.join("\n")}\n`;
}
