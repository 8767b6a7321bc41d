import { classSummary, headline, parseResultsText, pivotTables, reportSvgs, rooflineRows, type ResultsDoc } from "@kpu/cpu-matmul";
import type { Command } from "commander";
import { join } from "node:path";
import type { CliIo } from "../../main.js";
import { ensureOutputDir, readTextFile, writeFileAtomic } from "../../util/files.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { DEFAULT_RESULTS } from "./common.js";

export interface ReportFlags {
  readonly outDir?: string;
  readonly json?: boolean;
}

/** Prints one pivot table per kernel: variants x M, median and p10 latency in us, noisy measurements starred. */
export function printPivot(doc: ResultsDoc, io: CliIo): void {
  for (const t of pivotTables(doc)) {
    io.stdout(`\n${t.kernel}  (N=${t.n}, K=${t.k})  median [p10] latency, us; * = noisy\n`);
    const cell = (c: (typeof t.rows)[number]["cells"][number]): string =>
      c === undefined ? "-" : `${c.medianUs.toFixed(1)} [${c.p10Us.toFixed(1)}]${c.noisy ? "*" : ""}`;
    io.stdout(renderTable(["variant", ...t.ms.map((m) => `M=${m}`)], t.rows.map((r) => [r.variant, ...r.cells.map(cell)])));
  }
}

/** Per-class geomeans of the host rules against each peer, and the roofline bound of every shape. */
export function printClasses(doc: ResultsDoc, io: CliIo): void {
  const classes = classSummary(doc);
  const peers = [...new Set(classes.flatMap((c) => c.peers.map((p) => p.peer)))];
  if (classes.length > 0 && (peers.length > 0 || classes.some((c) => c.rooflineShare !== undefined))) {
    io.stdout("\nper class: host-rules geomean GFLOP/s; per peer its geomean and host-rules / peer (worst shape)\n");
    io.stdout(
      renderTable(
        ["class", "shapes", "host-rules", ...peers, "vs best peer", "of roofline"],
        classes.map((c) => [
          c.shapeClass,
          c.shapes,
          c.hostRulesGflops.toFixed(1),
          ...peers.map((p) => {
            const x = c.peers.find((q) => q.peer === p);
            return x === undefined ? "-" : `${x.gflops.toFixed(1)}: ${x.ratio.toFixed(2)}x (${x.worst.toFixed(2)}x)`;
          }),
          c.vsBestPeer === undefined ? "-" : `${c.vsBestPeer.ratio.toFixed(2)}x ${c.vsBestPeer.peer}`,
          c.rooflineShare === undefined ? "-" : `${(100 * c.rooflineShare).toFixed(1)}%`,
        ]),
      ),
    );
  }
  const rows = rooflineRows(doc);
  if (rows.length === 0) return;
  io.stdout("\nroofline per shape: bound, the level the operands stream from, host rules and the fastest peer (GFLOP/s)\n");
  io.stdout(
    renderTable(
      ["class", "M x N x K", "bound", "from", "roofline", "host-rules", "best peer"],
      rows.map((r) => [
        r.shapeClass,
        `${r.m}x${r.n}x${r.k}`,
        r.bound,
        r.level.toUpperCase(),
        r.boundGflops.toFixed(1),
        `${r.hostRulesGflops.toFixed(1)} (${((100 * r.hostRulesGflops) / r.boundGflops).toFixed(0)}%)`,
        r.bestPeer === undefined ? "-" : `${r.bestPeer.gflops.toFixed(1)} ${r.bestPeer.peer}`,
      ]),
    ),
  );
}

/** Reads and validates a results file (every field checked; errors name the field path). */
export function readResults(path: string): ResultsDoc {
  return parseResultsText(readTextFile(path), path);
}

/** `kpu cpu report`: pivot tables, geometric means and target ratios, SVG plots. */
export async function cpuReportCommand(file: string | undefined, flags: ReportFlags, io: CliIo): Promise<void> {
  const path = file ?? DEFAULT_RESULTS;
  const doc = readResults(path);
  const outDir = flags.outDir ?? join(path, "..", "plots");
  const svgs = doc.results.length > 0 ? await reportSvgs(doc) : [];
  if (svgs.length > 0) ensureOutputDir(outDir, "--out-dir");
  for (const s of svgs) writeFileAtomic(join(outDir, s.name), s.svg, "--out-dir");
  if (flags.json === true) {
    io.stdout(toJsonText({ headline: headline(doc), tables: pivotTables(doc), classes: classSummary(doc), roofline: rooflineRows(doc), plots: svgs.map((s) => join(outDir, s.name)) }));
    return;
  }
  printPivot(doc, io);
  printClasses(doc, io);
  io.stdout(`\n${headline(doc).join("\n")}\n`);
  io.stdout(`p10 and stolen-time share of every measurement are in ${path}\n`);
  if (svgs.length > 0) io.stdout(`plots: ${svgs.map((s) => join(outDir, s.name)).join(", ")}\n`);
}

export function registerCpuReport(cpu: Command, io: CliIo): void {
  cpu
    .command("report")
    .description("pivot table (variants x M per kernel), geometric means, target ratios, SVG plots")
    .argument("[results]", `results JSON (default ${DEFAULT_RESULTS})`)
    .option("--out-dir <dir>", "where the SVG plots go (default: plots/ next to the results)")
    .option("--json", "machine-readable output")
    .action(async (file: string | undefined, flags: ReportFlags) => {
      await cpuReportCommand(file, flags, io);
    });
}
