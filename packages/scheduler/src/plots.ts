import { heatmapSvg, lineChartSvg, type HeatCell, type LinePoint } from "@kpu/plot";
import type { SweepRow } from "./sweep-rows.js";

const MiB = 1024 * 1024;

/** Traffic within this relative distance of the least counts as a tie (the models' byte counts are exact integers). */
const TIE = 1e-9;

/**
 * The best strategy per (workload, L3 size) of ok sweep rows: least DRAM reads + writes. `strategies` lists every
 * strategy that ties for least (in sweep order), so a tie is never shown as one strategy; `strategy` joins them with "=".
 */
export function bestStrategies(rows: readonly SweepRow[]): { workload: string; l3Bytes: number; strategy: string; strategies: string[]; ratio: number }[] {
  const cells = new Map<string, { workload: string; l3Bytes: number; ratio: number; entries: { strategy: string; traffic: number }[] }>();
  for (const r of rows) {
    if (r.Status !== "ok") continue;
    const key = `${r.Workload_Name}\u0000${r.L3_Bytes}`;
    const traffic = Number(r.DRAM_Read_Bytes) + Number(r.DRAM_Write_Bytes);
    const cell = cells.get(key) ?? { workload: r.Workload_Name, l3Bytes: Number(r.L3_Bytes), ratio: Number.POSITIVE_INFINITY, entries: [] };
    if (traffic < Math.min(...cell.entries.map((e) => e.traffic))) cell.ratio = Number(r.Traffic_Over_Compulsory);
    cell.entries.push({ strategy: r.Strategy, traffic });
    cells.set(key, cell);
  }
  return [...cells.values()].map((c) => {
    const least = Math.min(...c.entries.map((e) => e.traffic));
    const strategies = c.entries.filter((e) => e.traffic <= least * (1 + TIE)).map((e) => e.strategy);
    return { workload: c.workload, l3Bytes: c.l3Bytes, strategy: strategies.join("="), strategies, ratio: c.ratio };
  });
}

const sizeLabel = (bytes: number): string => (bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)}GiB` : bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / 1024}KiB`);

/**
 * The sweep's two SVG plots: traffic over compulsory against L3 size, one panel per workload and one line per
 * strategy (kpu-sim's overfetch ratio in the kpu-sim model), and a heatmap of the best strategy per workload and size.
 */
export async function sweepPlots(rows: readonly SweepRow[]): Promise<{ overfetchSvg: string; bestStrategySvg: string }> {
  const ok = rows.filter((r) => r.Status === "ok");
  const sim = ok.some((r) => r.Model === "kpu-sim");
  const points: LinePoint[] = ok.map((r) => ({
    x: Number(r.L3_Bytes) / MiB,
    y: sim ? Number(r.Overfetch_Total) : Number(r.Traffic_Over_Compulsory),
    series: r.Strategy,
    facet: r.Workload_Name,
  }));
  const overfetchSvg = await lineChartSvg(points, {
    title: sim ? "kpu-sim overfetch (DRAM reads / tensor bytes)" : "DRAM traffic / compulsory",
    xTitle: "L3 size (MiB)",
    yTitle: sim ? "overfetch" : "traffic / compulsory",
    xLog: true,
    yLog: true,
    columns: 4,
  });
  const best = bestStrategies(ok);
  const sizes = [...new Set(best.map((b) => b.l3Bytes))].sort((a, b) => a - b);
  const workloads = [...new Set(ok.map((r) => r.Workload_Name))];
  const cells: HeatCell[] = best.map((b) => ({
    x: sizeLabel(b.l3Bytes),
    y: b.workload,
    value: b.ratio,
    label: b.strategy,
  }));
  const bestStrategySvg = await heatmapSvg(cells, {
    title: "Best strategy (least DRAM traffic)",
    xTitle: "L3 size",
    yTitle: "workload",
    colorBy: "label",
    xSort: sizes.map(sizeLabel),
    ySort: workloads,
  });
  return { overfetchSvg, bestStrategySvg };
}
