import type { DType } from "./dtype.js";
import type { EpilogueStep, Graph } from "./graph.js";

/** Tile sizes in elements along M (rows of A and C), N (columns of B and C) and K (the reduction). */
export interface TileShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** Number of tiles along each dimension (edge tiles included). */
export interface TileGrid {
  readonly mt: number;
  readonly nt: number;
  readonly kt: number;
}

/** Tiles needed to cover `dim` elements with tiles of `tile` elements. */
export function tileCount(dim: number, tile: number): number {
  return Math.ceil(dim / tile);
}

/** Elements covered by tile `index` along a dimension: `tile`, except for a shorter edge tile at the end. */
export function tileExtent(dim: number, tile: number, index: number): number {
  return Math.min(tile, dim - index * tile);
}

export function tileGrid(m: number, n: number, k: number, tile: TileShape): TileGrid {
  return { mt: tileCount(m, tile.m), nt: tileCount(n, tile.n), kt: tileCount(k, tile.k) };
}

/** A matmul (with its fused epilogue) cut into tiles: C[M,N] = epilogue(A[M,K] x B[K,N]). */
export interface TiledMatmul {
  readonly kind: "matmul";
  readonly opId: string;
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly dtype: DType;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly tile: TileShape;
  readonly grid: TileGrid;
  readonly epilogue: readonly EpilogueStep[];
}

export type ElementwiseFn = "add" | "bias_add" | "relu" | "gelu";

/** A standalone elementwise op (one fusion could not absorb), viewed as [M, N] and cut into M x N tiles. */
export interface TiledElementwise {
  readonly kind: "elementwise";
  readonly opId: string;
  readonly fn: ElementwiseFn;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly dtype: DType;
  readonly M: number;
  readonly N: number;
  readonly tile: { readonly m: number; readonly n: number };
  readonly grid: { readonly mt: number; readonly nt: number };
}

export type TiledOp = TiledMatmul | TiledElementwise;

/** The output of tiling: the graph and, for each op in order, its tiling. */
export interface TiledProgram {
  readonly graph: Graph;
  readonly ops: readonly TiledOp[];
}

export const TILED_SCHEMA_VERSION = 1;

export function tiledProgramToJson(program: TiledProgram): object {
  return { schemaVersion: TILED_SCHEMA_VERSION, kind: "kpu.tiled", graph: program.graph.name, ops: program.ops };
}
