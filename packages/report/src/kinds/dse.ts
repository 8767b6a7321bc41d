import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DSE_AXES, parseDseResult, type DseAxis, type DseResult } from "@kpu/ir";

/** The `kind` of a design-space exploration result (`kpu dse`, the format in @kpu/ir). */
export const DSE_KIND = "kpu.dse";
/** The result file in a DSE folder. */
export const DSE_FILE = "dse.json";

/** The best value of every axis among the feasible points where a parameter takes one value, and how many there are. */
export interface DseSensitivityValue {
  readonly value: number;
  readonly points: number;
  readonly feasible: number;
  /** Per axis: the least value over the feasible points at this parameter value, and that point's id (null: none). */
  readonly best: Readonly<Record<DseAxis, { readonly value: number; readonly id: string } | null>>;
}

export interface DseSensitivity {
  readonly parameter: string;
  readonly values: readonly DseSensitivityValue[];
  /** Per axis: the largest best over the smallest best across the values (1: the axis does not depend on it). */
  readonly spread: Readonly<Record<DseAxis, number | null>>;
}

export interface DseView {
  readonly doc: DseResult;
  /** One entry per parameter, most sensitive (largest latency spread) first. */
  readonly sensitivity: readonly DseSensitivity[];
}

export function isDseFolder(path: string): boolean {
  return existsSync(join(path, DSE_FILE));
}

/**
 * The sensitivity of the front to each parameter: for every value it takes, the best latency, energy and area over
 * the feasible points with that value (the other parameters free), and the spread of those bests.
 */
export function dseSensitivity(doc: DseResult): DseSensitivity[] {
  const out = doc.parameters.map((param): DseSensitivity => {
    const values = param.values.map((value): DseSensitivityValue => {
      const at = doc.points.filter((p) => p.params[param.name] === value);
      const ok = at.filter((p) => p.feasible);
      const best = Object.fromEntries(
        DSE_AXES.map((axis) => {
          let top: { value: number; id: string } | null = null;
          for (const p of ok) {
            const v = p[axis];
            if (v !== undefined && (top === null || v < top.value)) top = { value: v, id: p.id };
          }
          return [axis, top];
        }),
      ) as Record<DseAxis, { value: number; id: string } | null>;
      return { value, points: at.length, feasible: ok.length, best };
    });
    const spread = Object.fromEntries(
      DSE_AXES.map((axis) => {
        const bests = values.map((v) => v.best[axis]?.value).filter((v): v is number => v !== undefined);
        const lo = Math.min(...bests);
        return [axis, bests.length === 0 || lo <= 0 ? null : Math.max(...bests) / lo];
      }),
    ) as Record<DseAxis, number | null>;
    return { parameter: param.name, values, spread };
  });
  return out.sort((a, b) => (b.spread.latencyNs ?? 0) - (a.spread.latencyNs ?? 0));
}

/** A `kpu.dse` document (its text, or a folder holding dse.json), validated by @kpu/ir's `parseDseResult`. */
export function dseView(source: { readonly path: string; readonly folder: boolean; readonly text?: string }): DseView {
  const where = source.folder ? join(source.path, DSE_FILE) : source.path;
  const text = source.folder || source.text === undefined ? readFileSync(where, "utf8") : source.text;
  const doc = parseDseResult(text, where);
  return { doc, sensitivity: dseSensitivity(doc) };
}
