import { statSync } from "node:fs";
import { KpuError } from "@kpu/ir";
import { readJsonFile } from "../read.js";
import { ANALYSIS_KIND, analysisView } from "./analysis.js";
import { cpuView } from "./cpu.js";
import { DSE_KIND, isDseFolder, dseView } from "./dse.js";
import { isSimReport, isSimTrace, simView } from "./sim.js";
import { isSweepFolder, sweepView } from "./sweep.js";

/** What `kpu report` was given: a folder, or a file with its text and parsed JSON. */
export type ReportSource = { readonly path: string; readonly folder: true } | { readonly path: string; readonly folder: false; readonly text: string; readonly json: unknown };

/**
 * One result kind: how to recognise it, and the data its page view (client/<name>.js) draws. New kinds register here
 * and add their view.
 */
export interface ReportKind {
  readonly name: "analysis" | "sweep" | "sim" | "cpu" | "dse";
  /** What the input is, for the page title and errors. */
  readonly title: string;
  readonly detect: (source: ReportSource) => boolean;
  readonly view: (source: ReportSource) => unknown;
}

const json = (s: ReportSource): unknown => (s.folder ? undefined : s.json);
const kindOf = (s: ReportSource): unknown => (json(s) as { kind?: unknown } | null | undefined)?.kind;

export const REPORT_KINDS: readonly ReportKind[] = [
  { name: "analysis", title: "network analysis", detect: (s) => kindOf(s) === ANALYSIS_KIND, view: (s) => analysisView(json(s), s.path) },
  { name: "sweep", title: "L3 sweep", detect: (s) => s.folder && isSweepFolder(s.path), view: (s) => sweepView(s.path) },
  { name: "sim", title: "simulation", detect: (s) => isSimReport(json(s)) || isSimTrace(json(s)), view: (s) => simView(json(s), s.path) },
  { name: "cpu", title: "CPU benchmark", detect: (s) => kindOf(s) === "kpu.cpu.results", view: (s) => cpuView(s.folder ? "" : s.text, s.path) },
  { name: "dse", title: "design-space exploration", detect: (s) => (s.folder ? isDseFolder(s.path) : kindOf(s) === DSE_KIND), view: (s) => dseView(s) },
];

const ACCEPTED = "a kpu.analysis JSON (kpu analyze --json), an L3 sweep folder (kpu l3 sweep --out dir), a kpu sim --json result or --trace file, CPU results (kpu cpu bench --out), or a kpu.dse result (a file, or a folder with dse.json)";

/** Reads the input and finds its kind; an input of no known kind is refused, naming what is accepted. */
export function detectReport(path: string): { kind: ReportKind; source: ReportSource } {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    throw new KpuError("KPU_NO_SUCH_FILE", "no such file or folder", { where: path, hint: `Pass ${ACCEPTED}.` });
  }
  const source: ReportSource = folder ? { path, folder: true } : { path, folder: false, ...readJsonFile(path, ACCEPTED) };
  const kind = REPORT_KINDS.find((k) => k.detect(source));
  if (kind === undefined) {
    throw new KpuError("KPU_SCHEMA", folder ? "is not a folder of a known result kind (no spec.json and results.json, no dse.json)" : "is not a result kpu reports (unknown kind)", {
      where: path,
      hint: `Pass ${ACCEPTED}.`,
    });
  }
  return { kind, source };
}
