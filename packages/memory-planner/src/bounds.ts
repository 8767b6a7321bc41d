/**
 * The data-movement lower bound of a matmul C[M,N] = A[M,K] x B[K,N] on a machine with S words of fast memory
 * (Hong-Kung / Irony-Toledo-Tiskin style):
 *
 *   words >= max(2*M*N*K / sqrt(S) - 2*S, M*K + K*N) + M*N
 *
 * The first term counts operand words read (every input at least once), the last the output written once. In tiles,
 * the same formula holds with tile counts Mt, Nt, Kt and S in tiles.
 */
export function matmulTrafficLowerBound(M: number, N: number, K: number, S: number): number {
  const reads = Math.max((2 * M * N * K) / Math.sqrt(S) - 2 * S, M * K + K * N);
  return reads + M * N;
}

/** Per-matmul statistics: actual traffic against the lower bound for the schedule's SRAM size. */
export interface MatmulTraffic {
  readonly op: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly loadsEmitted: number;
  readonly loadsEliminated: number;
  readonly stores: number;
  /** Tiles moved (loads emitted + stores to DRAM). */
  readonly actualTiles: number;
  /** Words (elements) moved. */
  readonly actualWords: number;
  /** The bound in tiles: Mt, Nt, Kt tile counts and S = SRAM bytes / bytes of a full output tile. */
  readonly lowerBoundTiles: number;
  /** The bound in words with S = SRAM bytes / element bytes. */
  readonly lowerBoundWords: number;
  /** actualTiles / lowerBoundTiles (>= 1 unless forwarding keeps inputs on chip). */
  readonly ratioTiles: number;
  readonly ratioWords: number;
}
