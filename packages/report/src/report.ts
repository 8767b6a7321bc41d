import { basename } from "node:path";
import { simTrace, type SimRun } from "@kpu/kpu-model";
import { detectReport, type ReportKind } from "./kinds/registry.js";
import { reportHtml } from "./html.js";
import { MAX_EMBEDDED_TASKS, timelineOf, type SimView } from "./kinds/sim.js";

export interface BuiltReport {
  readonly kind: ReportKind["name"];
  readonly html: string;
}

/** Reads a result (file or folder), recognises its kind and builds its interactive page. */
export function buildReport(path: string, options: { readonly title?: string } = {}): BuiltReport {
  const { kind, source } = detectReport(path);
  const data = kind.view(source);
  const title = options.title ?? `kpu ${kind.title}: ${basename(path)}`;
  return { kind: kind.name, html: reportHtml({ kind: kind.name, title, source: basename(path), data }) };
}

/**
 * The simulation page of a run in memory (`kpu sim --gantt out.html`): the same view as `kpu report` of its trace,
 * holding at most `maxTasks` tasks (earliest first; the page says when it holds fewer than the run has).
 */
export function simRunHtml(run: SimRun, options: { readonly title: string; readonly source: string; readonly maxTasks?: number; readonly where?: string }): string {
  // the Gantt shows one compute tile: the first, whose block is the largest (the report's times)
  const trace = simTrace(run, { tiles: "first", ...(options.where === undefined ? {} : { where: options.where }) });
  const view: SimView = { report: run.report, timeline: timelineOf(trace, options.maxTasks ?? MAX_EMBEDDED_TASKS), note: null };
  return reportHtml({ kind: "sim", title: options.title, source: options.source, data: view });
}
