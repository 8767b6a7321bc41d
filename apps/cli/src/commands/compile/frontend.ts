import { graphToJson, tiledProgramToJson, uopProgramToJson, type Graph, type LoopOrder, type UopProgram } from "@kpu/ir";
import { PassManager, countUops, fusionPass, loweringPass, tilingPass, type LoweringOptions, type PassRecord, type TilingOptions } from "@kpu/passes";

export const EMIT_FRONTEND = ["graph", "tiled", "uops"] as const;

export interface FrontendOptions {
  readonly tile?: number | undefined;
  readonly budgetBytes?: number | undefined;
  readonly order: LoopOrder;
  readonly fusion: boolean;
  /** Block of output tiles for the `blocked` order (default 4x4). */
  readonly block?: LoweringOptions["block"] | undefined;
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
  const pipeline = fused.add(tilingPass(tiling)).add(loweringPass(options.order, options.block === undefined ? {} : { block: options.block }));
  const { output, records } = pipeline.run(graph, { dumpAfter });
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

