import { KpuError, type Graph } from "@kpu/ir";
import { CONV_FAULTS, graphMacs, verifyGraph, type ConvFault, type GraphVerifyResult, type OpCheck } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { toJsonText, warn } from "../../util/print.js";
import { progressBar } from "../cpu/common.js";
import type { GivenFlag } from "../compile/index.js";
import type { RunFlags } from "./index.js";
import { DEFAULT_MAX_MEMORY, checkRunMemory } from "./limits.js";

/** Default bound on the multiply-accumulates `kpu run` executes on a v2 graph (`--max-macs`); see the kpu-model bench. */
export const DEFAULT_MAX_MACS = 1_000_000_000;

/** Flags of the micro-op path that do nothing for the graph executor. */
const SCHEDULE_ONLY = ["budget", "order", "block", "fusion", "maxUops", "sram", "policy", "placement", "doubleBuffer", "forward", "emit", "out"] as const;

/** Throws KPU_TOO_LARGE when the graph's matmuls and convs exceed `maxMacs`. */
export function checkRunMacs(graph: Graph, maxMacs: number): number {
  const macs = graphMacs(graph);
  if (macs <= maxMacs) return macs;
  const fmt = (n: number): string => n.toLocaleString("en-US");
  throw new KpuError("KPU_TOO_LARGE", `executing ${graph.name} takes ${fmt(macs)} multiply-accumulates, more than the limit of ${fmt(maxMacs)} (the executor and the reference run in JavaScript, at tens to hundreds of millions of MACs per second)`, {
    where: "--max-macs",
    hint: `Run a smaller batch or sequence, or raise the limit with --max-macs ${Math.ceil(macs / 1e9) * 1e9} if you can wait.`,
  });
}

/** The test-only conv fault named by KPU_FAULT_RUN, if it names one. */
export function graphFault(value: string | undefined): ConvFault | undefined {
  return (CONV_FAULTS as readonly string[]).includes(value ?? "") ? (value as ConvFault) : undefined;
}

/** Warnings for flags that only the micro-op schedule uses. */
export function graphFlagWarnings(flags: RunFlags, given: GivenFlag): string[] {
  const name = (f: string): string => (f === "fusion" ? "--no-fusion" : `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  return SCHEDULE_ONLY.filter((f) => flags[f] !== undefined && given(f)).map((f) => `${name(f)} has no effect on a graph with version 2 ops (it is executed op by op, not scheduled as micro-ops)`);
}

/** Executes a v2 graph op by op on seeded random data and checks every op against the reference. */
export function runGraph(graph: Graph, flags: RunFlags & { readonly json?: boolean; readonly maxMacs?: number }): GraphVerifyResult {
  checkRunMemory(graph, 0, flags.maxMemory ?? DEFAULT_MAX_MEMORY);
  checkRunMacs(graph, flags.maxMacs ?? DEFAULT_MAX_MACS);
  const tile = flags.tile ?? 32;
  const bar = progressBar(flags.json !== true, graph.ops.length, "executing");
  try {
    const fault = graphFault(process.env.KPU_FAULT_RUN);
    return verifyGraph(graph, {
      seed: flags.seed ?? 1,
      tile: { m: tile, n: tile, k: tile },
      ...(fault === undefined ? {} : { fault }),
      onOp: (done, _total, op) => {
        bar.tick(done, op.id);
      },
    });
  } finally {
    bar.stop();
  }
}

function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  const keep = Math.max(1, width - 3);
  return `${text.slice(0, Math.ceil(keep / 2))}...${text.slice(text.length - Math.floor(keep / 2))}`;
}

const sci = (v: number): string => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/** The per-op table, as wide as the terminal (`width` columns): the op column takes what is left, clipped. */
export function renderOpChecks(ops: readonly OpCheck[], width: number): string {
  const cells = ops.map((o) => [o.op, o.kind, `[${o.shape.join("x")}]`, sci(o.maxAbsError), sci(o.maxRelError), sci(o.toleranceRel), o.ok ? "ok" : "FAIL"]);
  const head = ["op", "kind", "output", "max |error|", "max rel err", "tolerance", "check"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const rest = widths.slice(1).reduce((s, w) => s + w + 2, 0);
  widths[0] = Math.max(8, Math.min(widths[0]!, width - rest - 1));
  const line = (row: readonly string[]): string =>
    row.map((c, i) => (i === 0 ? clip(c, widths[0]!).padEnd(widths[0]!) : i >= 3 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(head), ...cells.map(line)].join("\n")}\n`;
}

/** The verdict line. */
export function renderGraphVerdict(r: GraphVerifyResult): string {
  const worst = r.ops.reduce((m, o) => Math.max(m, o.maxRelError), 0);
  if (r.ok) return `verified: every op's output matches the float64 reference within its error budget (seed ${r.seed}, largest relative error ${sci(worst)})\n`;
  const failed = r.ops.filter((o) => !o.ok).length;
  return `VERIFICATION FAILED: ${failed} of ${r.ops.length} ops differ from the reference beyond their tolerance; the first is op "${r.firstFailure!.op}" (${r.firstFailure!.kind}) (seed ${r.seed})\n`;
}

/** `kpu run` on a graph with version 2 ops: the per-op report, for people or as JSON. Returns the verdict. */
export function runGraphCommand(graph: Graph, flags: RunFlags & { readonly json?: boolean; readonly maxMacs?: number }, io: CliIo, given: GivenFlag, width = process.stdout.columns || 120): boolean {
  for (const w of graphFlagWarnings(flags, given)) warn(io, w);
  const r = runGraph(graph, flags);
  const nonFinite = r.outputs.filter((o) => o.nonFinite > 0).map((o) => o.tensor);
  if (nonFinite.length > 0) warn(io, `the reference has NaN or infinite values in ${nonFinite.join(", ")}; there the check only compares which elements they are`);
  if (flags.json === true) {
    io.stdout(toJsonText({ model: graph.name, executor: "graph", ...r }));
    return r.ok;
  }
  const t = r.tile;
  io.stdout(`model ${graph.name}: ${graph.ops.length} ops, ${r.macs.toLocaleString("en-US")} MACs, executed op by op in fp32 (GEMM tiles ${t.m}x${t.n}x${t.k}) against a float64 reference\n`);
  io.stdout(renderOpChecks(r.ops, width));
  io.stdout(renderGraphVerdict(r));
  return r.ok;
}
