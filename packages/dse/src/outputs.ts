import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import type { DseResult } from "@kpu/ir";
import { lineChartSvg, scatterChartSvg, type LinePoint } from "@kpu/plot";
import { writeFileAtomic } from "@kpu/scheduler";

/** points.csv's columns after the parameters: the point's figures and reason. */
export const CSV_COLUMNS = ["id", "feasible", "pareto", "latencyNs", "energyPj", "areaMm2", "cycles", "dramBytes", "reason"] as const;

/** One row per point in the space's order: the parameters (by name), then CSV_COLUMNS. */
export function dseCsv(result: DseResult): string {
  const names = result.parameters.map((p) => p.name);
  const rows = result.points.map((p) => [
    ...names.map((n) => p.params[n] ?? ""),
    p.id,
    p.feasible,
    p.pareto,
    p.latencyNs ?? "",
    p.energyPj ?? "",
    p.areaMm2 ?? "",
    p.cycles ?? "",
    p.dramBytes ?? "",
    p.reason ?? "",
  ]);
  return stringify([[...names, ...CSV_COLUMNS], ...rows], { cast: { boolean: (b) => String(b) } });
}

/** Latency against energy for every feasible point, the Pareto front highlighted, marker size the area. */
export function paretoSvg(result: DseResult): Promise<string> {
  const feasible = result.points.filter((p) => p.feasible);
  return scatterChartSvg(
    feasible.map((p) => ({ x: p.latencyNs! / 1e6, y: p.energyPj! / 1e9, size: p.areaMm2!, group: p.pareto ? "Pareto front" : "dominated" })),
    {
      title: `${result.model.name} on ${result.baseHardware}: ${feasible.length} feasible points of ${result.points.length} (Pareto over latency, energy, area)`,
      xTitle: "latency (ms)",
      yTitle: "energy (mJ)",
      sizeTitle: "area (mm²)",
      highlight: "Pareto front",
    },
  );
}

/**
 * Sensitivity: for each parameter, the best latency and the best energy over the feasible points at each of its
 * values (the other parameters free), relative to the space's best: 1 = the best anywhere in the space.
 */
export function sensitivitySvg(result: DseResult): Promise<string> {
  const feasible = result.points.filter((p) => p.feasible);
  const bestLatency = Math.min(...feasible.map((p) => p.latencyNs!));
  const bestEnergy = Math.min(...feasible.map((p) => p.energyPj!));
  const points: LinePoint[] = [];
  for (const param of result.parameters) {
    for (const v of param.values) {
      const at = feasible.filter((p) => p.params[param.name] === v);
      if (at.length === 0) continue;
      points.push({ x: v, y: Math.min(...at.map((p) => p.latencyNs!)) / bestLatency, series: "latency", facet: param.name });
      points.push({ x: v, y: Math.min(...at.map((p) => p.energyPj!)) / bestEnergy, series: "energy", facet: param.name });
    }
  }
  return lineChartSvg(points, { title: "best latency and energy at each parameter value (x the space's best; others free)", xTitle: "value", yTitle: "x best" });
}

/** Writes dse.json, points.csv, pareto.svg and sensitivity.svg atomically. */
export async function dseOutputs(result: DseResult, dir: string, flag?: string): Promise<{ json: string; csv: string; paretoSvg: string; sensitivitySvg: string }> {
  const files = { json: join(dir, "dse.json"), csv: join(dir, "points.csv"), paretoSvg: join(dir, "pareto.svg"), sensitivitySvg: join(dir, "sensitivity.svg") };
  const any = result.points.some((p) => p.feasible);
  const [pareto, sensitivity] = any ? await Promise.all([paretoSvg(result), sensitivitySvg(result)]) : [undefined, undefined];
  writeFileAtomic(files.json, `${JSON.stringify(result, null, 2)}\n`, flag);
  writeFileAtomic(files.csv, dseCsv(result), flag);
  if (pareto !== undefined) writeFileAtomic(files.paretoSvg, pareto, flag);
  if (sensitivity !== undefined) writeFileAtomic(files.sensitivitySvg, sensitivity, flag);
  return files;
}
