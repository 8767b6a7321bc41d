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
  return ioLowerBoundWords(problem.m, problem.n, problem.k, Math.floor(fastMemoryBytes / eb)) * eb;
}

/**
 * The one matmul I/O lower bound, in words for a fast memory of S words (or, with tile counts and S in tiles, in
 * tiles): max(2*M*N*K/sqrt(S) - 2*S, M*K + K*N) operand words read, plus M*N written once.
 */
export function ioLowerBoundWords(m: number, n: number, k: number, s: number): number {
  return Math.max((2 * m * n * k) / Math.sqrt(s) - 2 * s, m * k + k * n) + m * n;
}
