import { join } from "node:path";
import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { toJsonText } from "../../util/print.js";
import { analyzeCommand } from "../analyze/index.js";
import { l3AnalyzeCommand } from "../l3/analyze.js";
import { runCommand, verificationFailed } from "../run/index.js";
import { simDemo } from "../sim/index.js";

export interface DemoFlags {
  /** Directory for the files the demo writes (the Gantt chart). */
  readonly out: string;
  readonly json?: boolean;
}

/** The network stage 4 analyses (a BERT-base encoder layer's GEMMs; the model library's networks plug in here). */
export const DEMO_NETWORK = { example: "resnet50", hw: "edge-ai" } as const;

/** Output sink that keeps what a stage prints, so `--json` can gather every stage into one document. */
function capture(): { io: CliIo; text: () => string } {
  let out = "";
  return { io: { stdout: (t) => (out += t), stderr: (t) => (out += t) }, text: () => out };
}

/**
 * `kpu demo`: the README's main job on the built-in default example, the seed MLP with 32x32x32 tiles. It compiles,
 * schedules into 256 KiB of SRAM and verifies the schedule by executing it; prints the L3 strategy table; and
 * simulates the timing on the `edge-ai` preset, writing a Gantt chart; then analyses a network layer by layer
 * (DEMO_NETWORK). Each stage prints what its own command prints. Returns false if verification failed.
 */
export async function demoCommand(flags: DemoFlags, io: CliIo): Promise<boolean> {
  const ganttPath = join(flags.out, "mlp-gantt.svg");
  const run = { example: "mlp", tile: 32, order: "mnk", fusion: true, sram: 256 * 1024, policy: "lru" } as const;
  if (flags.json === true) {
    const r = capture();
    const ok = runCommand(undefined, { ...run, json: true }, r.io);
    const l3 = capture();
    l3AnalyzeCommand({ example: "mlp", json: true }, l3.io);
    const timing = simDemo(capture().io, { ganttPath });
    const analysis = await analyzeCommand(undefined, { ...DEMO_NETWORK, mapper: "rule", json: true }, capture().io);
    io.stdout(
      toJsonText({
        example: "mlp",
        run: JSON.parse(r.text()) as unknown,
        l3: JSON.parse(l3.text()) as unknown,
        timing,
        gantt: ganttPath,
        analysis: { model: analysis.model, hardware: analysis.hardware, totals: analysis.totals },
      }),
    );
    return ok;
  }
  io.stdout("== 1. compile, schedule and verify: kpu run --example mlp --tile 32 --sram 256KiB --policy lru ==\n");
  const ok = runCommand(undefined, run, io);
  io.stdout("\n== 2. L3 traffic by dataflow strategy: kpu l3 analyze --example mlp ==\n");
  l3AnalyzeCommand({ example: "mlp" }, io);
  io.stdout("\n== 3. timing on the edge-ai preset: kpu sim --hw edge-ai --strategy os --buffers 2 ==\n");
  simDemo(io, { ganttPath });
  io.stdout(`\n== 4. a network layer by layer: kpu analyze --example ${DEMO_NETWORK.example} --hw ${DEMO_NETWORK.hw} ==\n`);
  await analyzeCommand(undefined, { ...DEMO_NETWORK, mapper: "rule" }, io);
  return ok;
}

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description("the main job on the built-in default example: compile, schedule, verify, analyse L3, simulate timing; then a network layer by layer")
    .option("--out <dir>", "directory for the Gantt chart", join("out", "demo"))
    .option("--json", "machine-readable output")
    .action(async (flags: DemoFlags) => {
      if (!(await demoCommand(flags, io))) throw verificationFailed("kpu demo");
    });
}
