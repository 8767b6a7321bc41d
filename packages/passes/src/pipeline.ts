import type { Graph, LoopOrder, UopProgram } from "@kpu/ir";
import { fusionPass, type FusionOptions } from "./fusion.js";
import { loweringPass } from "./lowering.js";
import { PassManager, type PassRunResult, type RunOptions } from "./pass-manager.js";
import { tilingPass, type TilingOptions } from "./tiling.js";

export interface CompileOptions {
  readonly fusion?: FusionOptions | false;
  readonly tiling: TilingOptions;
  readonly loopOrder?: LoopOrder;
}

/** The standard front half: fusion (unless disabled), tiling, lowering. */
export function frontendPipeline(options: CompileOptions): PassManager<Graph, UopProgram> {
  const start = PassManager.start<Graph>();
  const fused = options.fusion === false ? start : start.add(fusionPass(options.fusion ?? {}));
  return fused.add(tilingPass(options.tiling)).add(loweringPass(options.loopOrder ?? "mnk"));
}

export function compileGraph(graph: Graph, options: CompileOptions, run: RunOptions = {}): PassRunResult<UopProgram> {
  return frontendPipeline(options).run(graph, run);
}
