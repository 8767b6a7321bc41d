import { KpuError, type Strategy, type TileShape } from "@kpu/ir";

export type { Strategy } from "@kpu/ir";

/** A tiled matmul C[M,N] = A[M,K] x B[K,N]: one compute tile's block as the timing model simulated it. */
export interface MatmulWorkload {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** The step (L1) tile. */
  readonly tiles: TileShape;
  readonly strategy: Strategy;
}

/** Largest operand the model accepts along one dimension. */
export const MAX_DIM = 2 ** 31;

export function checkDim(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_DIM) {
    throw new KpuError("KPU_BAD_DIM", `${name} = ${value} must be a positive integer up to 2^31`, {
      where: `--${name}`,
      hint: `Pass a whole number such as --${name} 1024.`,
    });
  }
}

/** One compute tile's block of C (a share of the grid split), and how many compute tiles get a block of that shape. */
export interface WorkShare {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly count: number;
}
