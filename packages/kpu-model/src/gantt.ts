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
  /** The end of the drawn bars (the whole run when nothing is cut). */
  readonly endNs: number;
  /** The whole run, drawn or not. */
  readonly runNs: number;
  /** Every task that starts before this is drawn: the chart is complete up to here (runNs when nothing is cut). */
  readonly completeUntilNs: number;
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
  const runNs = tr.totalTicks * nsPerTick;
  const endNs = chosen.length === p.n ? runNs : Math.max(0, ...bars.map((b) => b.endNs));
  const completeUntilNs = chosen.length === p.n ? runNs : tr.startTick[order[chosen.length]!]! * nsPerTick;
  const r = run.report;
  const title = `${r.hardware}: ${r.m}x${r.n}x${r.k} ${r.strategy.toUpperCase()}, tiles ${r.tiles.m}x${r.tiles.n}x${r.tiles.k}, buffers ${r.buffers.l1}`;
  return { title, lanes: [...GANTT_LANES], bars, endNs, runNs, completeUntilNs, truncated: chosen.length < p.n, totalTasks: p.n };
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

/** What a cut chart says: how many tasks are drawn, and up to when the chart is complete. */
export function truncationNote(chart: GanttChart): string {
  const ns = (x: number) => Math.round(x).toLocaleString("en-US");
  return `first ${chart.bars.length.toLocaleString("en-US")} of ${chart.totalTasks.toLocaleString("en-US")} tasks: complete up to ${ns(chart.completeUntilNs)} ns of ${ns(chart.runNs)} ns`;
}

/**
 * A deterministic SVG: one lane per resource, bars labelled with their tile, stalls drawn in red (data) or yellow
 * (credit). Bars have no stroke (a stroke wider than a bar would hide it); the time axis spans the whole run, and
 * a cut chart shades the part it does not draw and says so.
 */
export function ganttSvg(chart: GanttChart, options: { width?: number } = {}): string {
  const width = options.width ?? 1400;
  const left = 170;
  const top = 40;
  const laneH = 34;
  const plotW = width - left - 20;
  const height = top + chart.lanes.length * laneH + 80;
  const span = chart.runNs > 0 ? chart.runNs : 1;
  const x = (ns: number) => left + (ns / span) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(chart.title)}${chart.truncated ? esc(` (${truncationNote(chart)})`) : ""}</text>`);
  chart.lanes.forEach((lane, i) => {
    const y = top + i * laneH;
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${laneH - 4}" fill="${i % 2 === 0 ? "#f4f4f4" : "#fafafa"}"/>`);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 2}" text-anchor="end">${esc(lane)}</text>`);
  });
  if (chart.truncated) {
    const cx = x(chart.completeUntilNs);
    const h = chart.lanes.length * laneH - 4;
    out.push(`<rect x="${f2(cx)}" y="${top}" width="${f2(left + plotW - cx)}" height="${h}" fill="#d0d7de" opacity="0.6"><title>${esc(`not drawn: ${truncationNote(chart)}`)}</title></rect>`);
    out.push(`<text x="${f2(Math.min(cx + 6, left + plotW - 120))}" y="${top + h / 2}" fill="#333">not drawn</text>`);
  }
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
    const bw = Math.max(0.1, x(b.endNs) - bx);
    out.push(`<rect x="${f2(bx)}" y="${y}" width="${f2(bw)}" height="${h}" fill="${barColor(b)}"><title>${esc(barDetails(b))}</title></rect>`);
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
 * A terminal rendering: one row per lane, `width` columns over the chart's time span; each column shows what the lane
 * does at its midpoint: A/B/C a load of that tensor, w a write-back, # compute, ! a stall waiting for data, ~ a stall
 * waiting for credit, space idle.
 */
export function ganttAscii(chart: GanttChart, options: { width?: number } = {}): string {
  const width = Math.max(20, options.width ?? 100);
  const span = chart.endNs > 0 ? chart.endNs : 1;
  const nameW = Math.max(...chart.lanes.map((l) => l.length));
  const lines: string[] = [`${chart.title}${chart.truncated ? ` (${truncationNote(chart)})` : ""}`];
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
