import type { EpilogueStep } from "./graph.js";
import { NEST_ORDERS, isNestOrder } from "./nest.js";
import type { ElementwiseFn, TiledProgram } from "./tile.js";

/** Which matmul operand a LOAD brings in: A tiles are indexed (m, k), B tiles (k, n). */
export type Operand = "A" | "B";

/** Bring tile (row, col) of `tensor` on chip. For an elementwise op, A is the first input and B the second. */
export interface LoadUop {
  readonly kind: "LOAD";
  readonly op: string;
  readonly operand: Operand;
  readonly tensor: string;
  readonly row: number;
  readonly col: number;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
}

/** C(m,n) += A(m,k) x B(k,n) on tiles of tm x tk and tk x tn elements. */
export interface ExecUop {
  readonly kind: "EXEC";
  readonly op: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly tm: number;
  readonly tn: number;
  readonly tk: number;
}

/** out(m,n) = fn(A(m,n)[, B(m,n)]) for a standalone elementwise op. */
export interface EwiseUop {
  readonly kind: "EWISE";
  readonly op: string;
  readonly fn: ElementwiseFn;
  readonly m: number;
  readonly n: number;
  readonly rows: number;
  readonly cols: number;
}

/** Write output tile (row, col) of `tensor` back, applying the op's epilogue on the way out. */
export interface StoreUop {
  readonly kind: "STORE";
  readonly op: string;
  readonly tensor: string;
  readonly row: number;
  readonly col: number;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
  readonly epilogue: readonly EpilogueStep[];
}

export type MicroOp = LoadUop | ExecUop | EwiseUop | StoreUop;
export type MicroOpKind = MicroOp["kind"];

/**
 * The six nestings of the (m, n, k) tile loops, outermost first, and `blocked`: the output tiles are cut into blocks
 * of `block.m x block.n` tiles (block rows outer, block columns inner); within a block, k is outermost, then m, then
 * n, so the block's accumulators stay resident while each A(m,k) and B(k,n) tile is used by the whole block.
 */
export const LOOP_ORDERS = [...NEST_ORDERS, "blocked"] as const;
export type LoopOrder = (typeof LOOP_ORDERS)[number];

/** Whether `value` names a lowering order: one of the tile-loop nest orders, or `blocked`. */
export function isLoopOrder(value: string): value is LoopOrder {
  return value === "blocked" || isNestOrder(value);
}

/** The output of lowering: the tiled program, the loop order used, and the micro-op stream. */
export interface UopProgram {
  readonly tiled: TiledProgram;
  readonly loopOrder: LoopOrder;
  /** The block of output tiles (counted in tiles) for the `blocked` order only. */
  readonly block?: { readonly m: number; readonly n: number };
  readonly uops: readonly MicroOp[];
}

export const UOPS_SCHEMA_VERSION = 1;

export function uopProgramToJson(program: UopProgram): object {
  return {
    schemaVersion: UOPS_SCHEMA_VERSION,
    kind: "kpu.uops",
    graph: program.tiled.graph.name,
    loopOrder: program.loopOrder,
    ...(program.block === undefined ? {} : { block: program.block }),
    uops: program.uops,
  };
}

/** `LOAD x(0,1) [32x32] 4096B`, `EXEC mm1 (0,0,1)`, `STORE h1(0,0) relu`: one line per micro-op. */
export function formatUop(u: MicroOp): string {
  switch (u.kind) {
    case "LOAD":
      return `LOAD ${u.operand} ${u.tensor}(${u.row},${u.col}) [${u.rows}x${u.cols}] ${u.bytes}B`;
    case "EXEC":
      return `EXEC ${u.op} (${u.m},${u.n},${u.k}) [${u.tm}x${u.tn}x${u.tk}]`;
    case "EWISE":
      return `EWISE ${u.op} ${u.fn} (${u.m},${u.n}) [${u.rows}x${u.cols}]`;
    case "STORE": {
      const epi = u.epilogue.map((s) => s.kind).join("+");
      return `STORE ${u.tensor}(${u.row},${u.col}) [${u.rows}x${u.cols}] ${u.bytes}B${epi === "" ? "" : ` ${epi}`}`;
    }
  }
}
