import { elementBytesOf, tensorBytes, type MatmulProblem } from "./problem.js";

/** Compulsory DRAM traffic in bytes: A and B read once, C written once. */
export function compulsoryBytes(problem: MatmulProblem): number {
  const t = tensorBytes(problem);
  return t.a + t.b + t.c;
}

/**
 * The matmul I/O lower bound for a fast memory of S words (Hong-Kung style, as in the issue):
 * max(2*M*N*K/sqrt(S) - 2*S, M*K + K*N) + M*N words, returned in bytes (words times element bytes).
 */
export function ioLowerBoundBytes(problem: MatmulProblem, fastMemoryBytes: number): number {
  const eb = elementBytesOf(problem);
  const { m, n, k } = problem;
  const s = Math.floor(fastMemoryBytes / eb);
  const words = Math.max((2 * m * n * k) / Math.sqrt(s) - 2 * s, m * k + k * n) + m * n;
  return words * eb;
}
