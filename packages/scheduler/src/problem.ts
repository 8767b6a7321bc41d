import { KpuError, MAX_TENSOR_ELEMENTS, type TileShape } from "@kpu/ir";

/** A matmul C[M,N] = A[M,K] x B[K,N], sizes in elements, with the element size in bytes (fp32 = 4). */
export interface MatmulProblem {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Bytes per element of A, B and C (default 4). */
  readonly elementBytes?: number;
}


export const DEFAULT_ELEMENT_BYTES = 4;

function checkDim(value: number, where: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new KpuError("KPU_BAD_DIM", `${String(value)} is not a positive integer`, {
      where,
      hint: "Matmul dimensions are whole numbers of elements, at least 1.",
    });
  }
}

/**
 * Validates a problem: positive integer dimensions and at most 2^31 elements per operand (A, B and C), so byte
 * offsets stay exact. `where` prefixes the field names in errors (a flag prefix such as `--` or a grid path).
 */
export function validateProblem(problem: MatmulProblem, where = ""): void {
  checkDim(problem.m, `${where}m`);
  checkDim(problem.n, `${where}n`);
  checkDim(problem.k, `${where}k`);
  const eb = problem.elementBytes ?? DEFAULT_ELEMENT_BYTES;
  if (!Number.isSafeInteger(eb) || eb <= 0 || eb > 16) {
    throw new KpuError("KPU_BAD_DIM", `element size ${String(eb)} is not 1 to 16 bytes`, {
      where: `${where}elementBytes`,
      hint: "Use 4 for fp32, 2 for fp16/bf16, 1 for int8.",
    });
  }
  const operands: [string, number][] = [
    ["A (m*k)", problem.m * problem.k],
    ["B (k*n)", problem.k * problem.n],
    ["C (m*n)", problem.m * problem.n],
  ];
  for (const [name, elements] of operands) {
    if (elements > MAX_TENSOR_ELEMENTS) {
      throw new KpuError("KPU_BAD_DIM", `${name} has ${elements} elements, above 2^31`, {
        where: `${where}m/n/k`,
        hint: "Split the matmul; each operand must have at most 2,147,483,648 elements.",
      });
    }
  }
}

/** Validates tile sizes: positive integers (edge tiles are shorter when a tile does not divide its dimension). */
export function validateTiles(tiles: TileShape, where = "tiles"): void {
  for (const [name, v] of [
    ["m", tiles.m],
    ["n", tiles.n],
    ["k", tiles.k],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0 || v > 2 ** 20) {
      throw new KpuError("KPU_BAD_TILES", `${name} = ${String(v)} is not a positive integer up to 2^20`, {
        where,
        hint: "Give tiles as Ti,Tj,Tk in elements, e.g. 64,64,96.",
      });
    }
  }
}

export function elementBytesOf(problem: MatmulProblem): number {
  return problem.elementBytes ?? DEFAULT_ELEMENT_BYTES;
}

/** Exact tensor sizes in bytes. */
export function tensorBytes(problem: MatmulProblem): { readonly a: number; readonly b: number; readonly c: number } {
  const eb = elementBytesOf(problem);
  return { a: problem.m * problem.k * eb, b: problem.k * problem.n * eb, c: problem.m * problem.n * eb };
}
