import { KpuError, graphToJson, tiledProgramToJson, uopProgramToJson, type Graph, type LoopOrder, type TiledProgram, type UopProgram } from "@kpu/ir";
import { PassManager, countUops, estimateUops, fusionPass, loweringPass, tilingPass, type LoweringOptions, type PassRecord, type TilingOptions } from "@kpu/passes";

export const EMIT_FRONTEND = ["graph", "tiled", "uops"] as const;

export interface FrontendOptions {
  readonly tile?: number | undefined;
  readonly budgetBytes?: number | undefined;
  readonly order: LoopOrder;
  readonly fusion: boolean;
  /** Block of output tiles for the `blocked` order (default 4x4). */
  readonly block?: LoweringOptions["block"] | undefined;
  /** Refuse to lower a program of more micro-ops than this (`--max-uops`, default DEFAULT_MAX_UOPS). */
  readonly maxUops?: number | undefined;
}

/** About 130 B of heap per micro-op when lowered, several times that once scheduled and executed: 10 M is ~1.3 GB. */
export const DEFAULT_MAX_UOPS = 10_000_000;

/** Throws KPU_TOO_LARGE, with the exact count, when lowering `tiled` would emit more than `maxUops` micro-ops. */
export function checkUopEstimate(tiled: TiledProgram, maxUops: number): void {
  const uops = estimateUops(tiled);
  if (uops <= maxUops) return;
  const fmt = (n: number): string => n.toLocaleString("en-US");
  throw new KpuError("KPU_TOO_LARGE", `lowering would emit ${fmt(uops)} micro-ops (about ${(uops * 130 / 2 ** 30).toFixed(1)} GiB before scheduling), more than the limit of ${fmt(maxUops)}`, {
    where: "--max-uops",
    hint: `Use larger tiles (--tile) or a smaller model (--seq), or raise the limit with --max-uops ${Math.ceil(uops / 1e6) * 1e6} if the machine has the memory.`,
  });
}

export interface FrontendReport {
  readonly model: string;
  readonly opsBeforeFusion: number;
  readonly opsAfterFusion: number;
  readonly uops: { readonly total: number; readonly LOAD: number; readonly EXEC: number; readonly EWISE: number; readonly STORE: number };
  readonly perOp: readonly { readonly op: string; readonly LOAD: number; readonly EXEC: number; readonly EWISE: number; readonly STORE: number }[];
  readonly passes: readonly PassRecord[];
}

export interface FrontendResult {
  readonly graph: Graph;
  readonly program: UopProgram;
  readonly report: FrontendReport;
}

/** Runs fusion, tiling and lowering on `graph` and summarises them (the `kpu compile` front half). */
export function runFrontend(graph: Graph, options: FrontendOptions, dumpAfter: readonly string[] = []): FrontendResult {
  const tiling: TilingOptions =
    options.tile === undefined && options.budgetBytes !== undefined
      ? { budgetBytes: options.budgetBytes }
      : { tile: options.tile ?? 32 };
  const start = PassManager.start<Graph>();
  const fused = options.fusion ? start.add(fusionPass({})) : start;
  // Tile first, count the micro-ops lowering would emit (cheap, from the tile grids), refuse before allocating them.
  const tiled = fused.add(tilingPass(tiling)).run(graph, { dumpAfter });
  checkUopEstimate(tiled.output, options.maxUops ?? DEFAULT_MAX_UOPS);
  const lowering = PassManager.start<TiledProgram>().add(loweringPass(options.order, options.block === undefined ? {} : { block: options.block }));
  const lowered = lowering.run(tiled.output, { dumpAfter });
  const output = lowered.output;
  const records = [...tiled.records, ...lowered.records];
  const { total, perOp } = countUops(output.uops);
  return {
    graph,
    program: output,
    report: {
      model: graph.name,
      opsBeforeFusion: graph.ops.length,
      opsAfterFusion: output.tiled.graph.ops.length,
      uops: { total: output.uops.length, ...total },
      perOp: [...perOp].map(([op, c]) => ({ op, ...c })),
      passes: records,
    },
  };
}

/** The IR document for `--emit`. */
export function emitFrontend(kind: (typeof EMIT_FRONTEND)[number], result: FrontendResult): unknown {
  switch (kind) {
    case "graph":
      return graphToJson(result.program.tiled.graph);
    case "tiled":
      return tiledProgramToJson(result.program.tiled);
    case "uops":
      return uopProgramToJson(result.program);
  }
}

