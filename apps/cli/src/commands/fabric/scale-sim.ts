import type { ScaleSimConfig, ScaleSimResult, ScaleSimRun, ScaleSimTopology } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { renderTable, toJsonText } from "../../util/print.js";

const int = (v: number) => v.toLocaleString("en-US");
/** Percentages rounded for people; --json keeps SCALE-Sim's full precision. */
const pct = (v: number) => Number(v.toFixed(2));

/** `kpu fabric --model scale-sim`: one GEMM as SCALE-Sim v2 reports it, stall-free, in words. */
export function scaleSimGemmCommand(r: ScaleSimResult, flags: { readonly json?: boolean }, io: CliIo): void {
  if (flags.json === true) {
    io.stdout(toJsonText({ model: "scale-sim", ...r }));
    return;
  }
  io.stdout(
    `${r.m}x${r.n}x${r.k} GEMM on the ${r.rows}x${r.cols} ${r.dataflow.toUpperCase()} array, SCALE-Sim v2 stall-free: ` +
      `${r.folds} folds (${r.rowFolds} x ${r.colFolds}) of ${int(r.cyclesPerFold)} cycles, ${int(r.cycles)} total cycles, ` +
      `${pct(r.overallUtilPercent)}% overall utilisation, ${pct(r.mappingEfficiencyPercent)}% mapping efficiency\n`,
  );
  io.stdout(
    renderTable(
      ["SRAM traffic (words)", "count"],
      [
        ["reads A (IFMAP)", r.sramReadsA],
        ["reads B (filter)", r.sramReadsB],
        [r.dataflow === "os" ? "writes C (OFMAP, with SCALE-Sim's R + C per fold)" : "writes C (OFMAP)", r.sramWritesC],
      ],
    ),
  );
}

export interface ScaleSimTopologyRun {
  readonly config: ScaleSimConfig;
  readonly configFile: string;
  readonly topology: ScaleSimTopology;
  readonly topologyFile: string;
  readonly run: ScaleSimRun;
}

/** `kpu fabric --scale-sim-config a.cfg --topology t.csv`: every layer on the cfg's array, then the totals. */
export function scaleSimTopologyCommand(t: ScaleSimTopologyRun, flags: { readonly json?: boolean }, io: CliIo): void {
  const { config, run } = t;
  if (flags.json === true) {
    io.stdout(
      toJsonText({
        model: "scale-sim",
        config: { file: t.configFile, ...config },
        topology: { file: t.topologyFile, format: t.topology.format },
        layers: run.layers,
        totals: run.totals,
      }),
    );
    return;
  }
  io.stdout(
    `SCALE-Sim v2 stall-free (CALC), run ${config.runName}: ${config.rows}x${config.cols} ${config.dataflow.toUpperCase()} array, ` +
      `${run.totals.layers} layer(s) from ${t.topologyFile} (${t.topology.format})\n`,
  );
  const rows: (string | number)[][] = run.layers.map((l) => [
    l.name,
    `${l.m}x${l.n}x${l.k}`,
    l.folds,
    l.cycles,
    pct(l.overallUtilPercent),
    l.sramReadsA,
    l.sramReadsB,
    l.sramWritesC,
  ]);
  const total = run.totals;
  rows.push(["total", "", run.layers.reduce((s, l) => s + l.folds, 0), total.cycles, pct(total.overallUtilPercent), total.sramReadsA, total.sramReadsB, total.sramWritesC]);
  io.stdout(renderTable(["layer", "MxNxK", "folds", "cycles", "util %", "reads A", "reads B", "writes C"], rows));
}
