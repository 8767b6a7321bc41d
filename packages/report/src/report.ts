import { basename } from "node:path";
import { detectReport, type ReportKind } from "./kinds/registry.js";
import { reportHtml } from "./html.js";

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
