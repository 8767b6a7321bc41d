import {
  KpuError,
  dtypeBytes,
  tensorMap,
  tileGrid,
  tileSetBytes,
  tiledProgramToJson,
  type ElementwiseFn,
  type Graph,
  type Op,
  type TileShape,
  type TiledOp,
  type TiledProgram,
} from "@kpu/ir";
import type { Pass } from "./pass-manager.js";

export interface TilingOptions {
  /** One tile edge for every dimension (`--tile 32` means 32x32x32), or a full shape. */
  readonly tile?: number | TileShape;
  /** Per-op overrides by op id. */
  readonly perOp?: Readonly<Record<string, TileShape>>;
  /**
   * Instead of a fixed tile: the largest tiles whose A, B and C tiles together fit this many bytes on chip, chosen to
   * maximise arithmetic intensity (MACs per operand element loaded). Sizes are multiples of `granule` where possible.
   */
  readonly budgetBytes?: number;
  /** Tile sizes from the budget rule are multiples of this (default 16), clamped to the op's dimensions. */
  readonly granule?: number;
}

function checkTileDim(value: number, where: string, dim: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new KpuError("KPU_BAD_TILES", `tile ${dim} is ${value}; tile sizes must be positive integers`, {
      where,
      hint: "Pass tile sizes such as --tile 32.",
    });
  }
}

/**
 * The budget rule: among tiles (m, n multiples of `granule`, k as large as fits) with (m*k + k*n + m*n) * bytes
 * <= budget, pick the one with the most MACs per loaded operand element, m*n*k / (m*k + k*n); ties go to larger k.
 */
export function fitTileToBudget(M: number, N: number, K: number, elementBytes: number, budgetBytes: number, granule = 16): TileShape {
  const budget = Math.floor(budgetBytes / elementBytes);
  const steps = (dim: number): number[] => {
    const out: number[] = [];
    for (let v = granule; v < dim; v += granule) out.push(v);
    out.push(dim);
    return out.filter((v) => v <= dim);
  };
  let best: TileShape | undefined;
  let bestScore = -1;
  for (const m of steps(M)) {
    for (const n of steps(N)) {
      if (m * n >= budget) break;
      let k = Math.min(K, Math.floor((budget - m * n) / (m + n)));
      if (k <= 0) continue;
      if (k < K && k >= granule) k -= k % granule;
      const score = (m * n * k) / (m * k + k * n);
      if (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && best !== undefined && k > best.k)) {
        best = { m, n, k };
        bestScore = score;
      }
    }
  }
  if (best === undefined) {
    throw new KpuError("KPU_BAD_TILES", `no tile fits in ${budgetBytes} bytes (even 1x1x1 needs ${3 * elementBytes})`, {
      where: "--budget",
      hint: "Raise the on-chip budget.",
    });
  }
  return best;
}

function resolveTile(opId: string, M: number, N: number, K: number, elementBytes: number, options: TilingOptions): TileShape {
  const where = `op "${opId}"`;
  let tile: TileShape;
  const given = options.perOp?.[opId] ?? options.tile;
  if (given !== undefined) {
    tile = typeof given === "number" ? { m: given, n: given, k: given } : given;
    checkTileDim(tile.m, where, "m");
    checkTileDim(tile.n, where, "n");
    checkTileDim(tile.k, where, "k");
  } else if (options.budgetBytes !== undefined) {
    tile = fitTileToBudget(M, N, K, elementBytes, options.budgetBytes, options.granule ?? 16);
  } else {
    throw new KpuError("KPU_BAD_TILES", "no tile size given for this op", {
      where,
      hint: "Pass a tile size (--tile 32) or an on-chip budget for the tiling rule.",
    });
  }
  // A tile larger than its dimension covers the whole dimension: clamp, so counts and bytes stay exact.
  const clamped = { m: Math.min(tile.m, M), n: Math.min(tile.n, N), k: Math.min(tile.k, K) };
  if (options.budgetBytes !== undefined) {
    const bytes = tileSetBytes(clamped, elementBytes, { m: M, n: N, k: K });
    if (bytes > options.budgetBytes) {
      throw new KpuError(
        "KPU_BAD_TILES",
        `tiles ${clamped.m}x${clamped.n}x${clamped.k} need ${bytes} bytes for A, B and C but the budget is ${options.budgetBytes}`,
        { where, hint: "Use smaller tiles or a larger budget." },
      );
    }
  }
  return clamped;
}

const TILEABLE: ReadonlySet<string> = new Set(["matmul", "fused_matmul", "add", "bias_add", "relu", "gelu"]);

function isTileable(op: Op): op is Extract<Op, { kind: "matmul" | "fused_matmul" | ElementwiseFn }> {
  if (!TILEABLE.has(op.kind)) return false;
  return op.kind !== "fused_matmul" || op.epilogue.every((s) => ["bias_add", "add", "relu", "gelu"].includes(s.kind));
}

/**
 * Whether the micro-op pipeline takes `graph`: every op is a 2-D matmul or an add, bias_add, relu or gelu (fused or
 * not), and every add (op or epilogue step) joins tensors of one shape. Other graphs are executed op by op.
 */
export function isMicroOpGraph(graph: Graph): boolean {
  const shapes = new Map(graph.tensors.map((t) => [t.name, t.shape.join("x")]));
  const out = (op: Op): string | undefined => shapes.get(op.outputs[0]!);
  return graph.ops.every((op) => {
    if (op.kind === "add") return op.inputs.every((t) => shapes.get(t) === out(op));
    if (op.kind === "fused_matmul" && !op.epilogue.every((s) => s.kind !== "add" || shapes.get(s.tensor) === out(op))) return false;
    return isTileable(op);
  });
}

/** Cuts every op into tiles. Matmuls get (m, n, k) tiles; standalone elementwise ops get (m, n) tiles. */
export function tileGraph(graph: Graph, options: TilingOptions): TiledProgram {
  const tensors = tensorMap(graph);
  for (const id of Object.keys(options.perOp ?? {})) {
    if (!graph.ops.some((op) => op.id === id)) {
      throw new KpuError("KPU_BAD_TILES", "a per-op tile names an op that is not in the graph", {
        where: `op "${id}"`,
        hint: `Ops are: ${graph.ops.map((o) => o.id).join(", ")}.`,
      });
    }
  }
  const ops: TiledOp[] = graph.ops.map((op): TiledOp => {
    if (!isTileable(op)) {
      throw new KpuError("KPU_IR_UNSUPPORTED_OP", `the micro-op pipeline takes 2-D matmuls and add, bias_add, relu and gelu, not ${op.kind}`, {
        where: `op "${op.id}" (${op.kind})`,
        hint: "Analyse whole networks with `kpu analyze`; `kpu compile` and the micro-op schedule take matmul chains.",
      });
    }
    const a = tensors.get(op.inputs[0]!)!;
    const out = tensors.get(op.outputs[0]!)!;
    const bytes = dtypeBytes(a.dtype);
    if (op.kind === "matmul" || op.kind === "fused_matmul") {
      const b = tensors.get(op.inputs[1]!)!;
      const [M, K] = a.shape as [number, number];
      const N = b.shape[1]!;
      const tile = resolveTile(op.id, M, N, K, bytes, options);
      return {
        kind: "matmul",
        opId: op.id,
        a: a.name,
        b: b.name,
        c: out.name,
        dtype: a.dtype,
        M,
        N,
        K,
        tile,
        grid: tileGrid(M, N, K, tile),
        epilogue: op.kind === "fused_matmul" ? op.epilogue : [],
      };
    }
    const N = out.shape[out.shape.length - 1]!;
    const M = out.shape.reduce((p, d) => p * d, 1) / N;
    const tile = resolveTile(op.id, M, N, 1, bytes, options);
    const grid = tileGrid(M, N, 1, tile);
    return {
      kind: "elementwise",
      opId: op.id,
      fn: op.kind,
      inputs: op.inputs,
      output: out.name,
      dtype: a.dtype,
      M,
      N,
      tile: { m: tile.m, n: tile.n },
      grid: { mt: grid.mt, nt: grid.nt },
    };
  });
  return { graph, ops };
}

export function tilingPass(options: TilingOptions): Pass<Graph, TiledProgram> {
  return {
    name: "tiling",
    run(graph) {
      const output = tileGraph(graph, options);
      let tiles = 0;
      let edgeTiles = 0;
      for (const op of output.ops) {
        const kt = op.kind === "matmul" ? op.grid.kt : 1;
        tiles += op.grid.mt * op.grid.nt * kt;
        const edgeM = op.M % op.tile.m !== 0 ? op.grid.nt : 0;
        const edgeN = op.N % op.tile.n !== 0 ? op.grid.mt : 0;
        const corner = edgeM > 0 && edgeN > 0 ? 1 : 0;
        edgeTiles += edgeM + edgeN - corner;
      }
      return { output, stats: { tiledOps: output.ops.length, computeTiles: tiles, edgeOutputTiles: edgeTiles } };
    },
    toJson: tiledProgramToJson,
  };
}
