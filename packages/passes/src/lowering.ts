import {
  KpuError,
  LOOP_ORDERS,
  dtypeBytes,
  forEachTileStep,
  isLoopOrder,
  singleLevelNest,
  tileExtent,
  uopProgramToJson,
  type LoopOrder,
  type MicroOp,
  type MicroOpKind,
  type TileNest,
  type TileShape,
  type TiledElementwise,
  type TiledMatmul,
  type TiledProgram,
  type UopProgram,
} from "@kpu/ir";
import type { Pass } from "./pass-manager.js";

/** Options for lowering. `block` is the block of output tiles (in tiles) for the `blocked` order; default 4 x 4. */
export interface LoweringOptions {
  readonly block?: { readonly m: number; readonly n: number };
}

type Block = NonNullable<LoweringOptions["block"]>;

const DEFAULT_BLOCK = { m: 4, n: 4 } as const;

function emitStep(op: TiledMatmul, m: number, n: number, k: number, bytes: number, out: MicroOp[]): void {
  const { M, N, K, tile, grid } = op;
  const tm = tileExtent(M, tile.m, m);
  const tn = tileExtent(N, tile.n, n);
  const tk = tileExtent(K, tile.k, k);
  out.push(
    { kind: "LOAD", op: op.opId, operand: "A", tensor: op.a, row: m, col: k, rows: tm, cols: tk, bytes: tm * tk * bytes },
    { kind: "LOAD", op: op.opId, operand: "B", tensor: op.b, row: k, col: n, rows: tk, cols: tn, bytes: tk * tn * bytes },
    { kind: "EXEC", op: op.opId, m, n, k, tm, tn, tk },
  );
  // The output tile is complete after its last reduction step, whatever the loop order.
  if (k === grid.kt - 1) {
    out.push({
      kind: "STORE",
      op: op.opId,
      tensor: op.c,
      row: m,
      col: n,
      rows: tm,
      cols: tn,
      bytes: tm * tn * bytes,
      epilogue: op.epilogue,
    });
  }
}

/**
 * The tile loop nest a lowering order walks over an op's element extents. The six orders are one level over the op's
 * tiles. `blocked` is two levels: the outer one walks blocks of block.m x block.n output tiles spanning all of K, block
 * rows outer (`mnk`); the inner one walks the op's tiles inside a block with k outermost, then m, then n (`kmn`), so
 * the block's accumulators stay resident while each A and B tile serves the whole block.
 */
function loweringNest(dims: TileShape, tile: TileShape, order: LoopOrder, block: Block): TileNest {
  if (order !== "blocked") return singleLevelNest(dims, tile, order);
  const blockTile = { m: block.m * tile.m, n: block.n * tile.n, k: dims.k };
  return { dims, levels: [{ tile: blockTile, order: "mnk" }, { tile, order: "kmn" }] };
}

function lowerMatmul(op: TiledMatmul, order: LoopOrder, block: Block, out: MicroOp[]): void {
  const bytes = dtypeBytes(op.dtype);
  const nest = loweringNest({ m: op.M, n: op.N, k: op.K }, op.tile, order, block);
  forEachTileStep(nest, (m, n, k) => {
    emitStep(op, m, n, k, bytes, out);
  });
}

function emitElementwise(op: TiledElementwise, m: number, n: number, bytes: number, out: MicroOp[]): void {
  const rows = tileExtent(op.M, op.tile.m, m);
  const cols = tileExtent(op.N, op.tile.n, n);
  out.push({ kind: "LOAD", op: op.opId, operand: "A", tensor: op.inputs[0]!, row: m, col: n, rows, cols, bytes: rows * cols * bytes });
  if (op.fn === "add") {
    out.push({ kind: "LOAD", op: op.opId, operand: "B", tensor: op.inputs[1]!, row: m, col: n, rows, cols, bytes: rows * cols * bytes });
  } else if (op.fn === "bias_add") {
    // The bias is a [1, N] row: its tile n covers the same columns as the output tile.
    out.push({ kind: "LOAD", op: op.opId, operand: "B", tensor: op.inputs[1]!, row: 0, col: n, rows: 1, cols, bytes: cols * bytes });
  }
  out.push({ kind: "EWISE", op: op.opId, fn: op.fn, m, n, rows, cols });
  out.push({ kind: "STORE", op: op.opId, tensor: op.output, row: m, col: n, rows, cols, bytes: rows * cols * bytes, epilogue: [] });
}

/**
 * An elementwise op is a nest with K = 1: the k loop runs once wherever the order puts it, so the order only decides
 * whether m or n is outer. Blocks buy no reuse without a reduction, so `blocked` walks the tiles as `mnk` does.
 */
function lowerElementwise(op: TiledElementwise, order: LoopOrder, out: MicroOp[]): void {
  const bytes = dtypeBytes(op.dtype);
  const nest = singleLevelNest({ m: op.M, n: op.N, k: 1 }, { ...op.tile, k: 1 }, order === "blocked" ? "mnk" : order);
  forEachTileStep(nest, (m, n) => {
    emitElementwise(op, m, n, bytes, out);
  });
}

/**
 * Lowers a tiled program to micro-ops. For a matmul, each (m, n, k) step in `order` emits LOAD A(m,k), LOAD B(k,n),
 * EXEC(m,n,k), and after the last k of an output tile, STORE C(m,n). Redundant loads are left for the memory planner
 * to eliminate, so the stream states every operand each EXEC needs. The `blocked` order walks blocks of
 * `options.block` output tiles, k outermost within a block (elementwise ops lower as in `mnk`).
 */
export function lowerProgram(program: TiledProgram, order: LoopOrder = "mnk", options: LoweringOptions = {}): UopProgram {
  if (!isLoopOrder(order)) {
    throw new KpuError("KPU_BAD_LOOP_ORDER", `unknown loop order "${String(order)}"`, {
      where: "lowering",
      hint: `Use one of: ${LOOP_ORDERS.join(", ")}.`,
    });
  }
  const block = options.block ?? DEFAULT_BLOCK;
  if (order === "blocked" && !(Number.isSafeInteger(block.m) && Number.isSafeInteger(block.n) && block.m > 0 && block.n > 0)) {
    throw new KpuError("KPU_BAD_LOOP_ORDER", `block ${block.m}x${block.n} is not a positive number of tiles`, {
      where: "lowering",
      hint: "Pass a block such as 4x4 (output tiles per block).",
    });
  }
  const uops: MicroOp[] = [];
  for (const op of program.ops) {
    if (op.kind === "matmul") lowerMatmul(op, order, block, uops);
    else lowerElementwise(op, order, uops);
  }
  return order === "blocked"
    ? { tiled: program, loopOrder: order, block: { m: block.m, n: block.n }, uops }
    : { tiled: program, loopOrder: order, uops };
}

/**
 * The exact number of micro-ops `lowerProgram` emits for `program`, computed from the tile grids without emitting
 * them (the loop order and block change the order, not the count): 3 per matmul step (LOAD A, LOAD B, EXEC) plus a
 * STORE per output tile; per elementwise tile a LOAD per input, the EWISE and a STORE. Lets a caller refuse a program
 * too large to lower before allocating it.
 */
export function estimateUops(program: TiledProgram): number {
  let total = 0;
  for (const op of program.ops) {
    const { mt, nt } = op.grid;
    if (op.kind === "matmul") total += mt * nt * (3 * op.grid.kt + 1);
    else total += mt * nt * (op.fn === "add" || op.fn === "bias_add" ? 4 : 3);
  }
  return total;
}

export type UopCounts = Readonly<Record<MicroOpKind, number>>;

/** Micro-ops by kind, overall and per op id. */
export function countUops(uops: readonly MicroOp[]): { total: UopCounts; perOp: ReadonlyMap<string, UopCounts> } {
  const zero = (): Record<MicroOpKind, number> => ({ LOAD: 0, EXEC: 0, EWISE: 0, STORE: 0 });
  const total = zero();
  const perOp = new Map<string, Record<MicroOpKind, number>>();
  for (const u of uops) {
    total[u.kind]++;
    let c = perOp.get(u.op);
    if (c === undefined) perOp.set(u.op, (c = zero()));
    c[u.kind]++;
  }
  return { total, perOp };
}

export function loweringPass(order: LoopOrder = "mnk", options: LoweringOptions = {}): Pass<TiledProgram, UopProgram> {
  return {
    name: "lowering",
    run(program) {
      const output = lowerProgram(program, order, options);
      const { total } = countUops(output.uops);
      return {
        output,
        stats: { loopOrder: order, uops: output.uops.length, LOAD: total.LOAD, EXEC: total.EXEC, EWISE: total.EWISE, STORE: total.STORE },
      };
    },
    toJson: uopProgramToJson,
  };
}
