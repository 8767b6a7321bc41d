import { ioLowerBoundWords } from "@kpu/scheduler";

/**
 * The data-movement lower bound of a matmul on a machine with S words of fast memory, @kpu/scheduler's one bound:
 * words >= max(2*M*N*K / sqrt(S) - 2*S, M*K + K*N) + M*N. In tiles, the same formula holds with tile counts Mt, Nt,
 * Kt and S in tiles.
 */
export const matmulTrafficLowerBound = ioLowerBoundWords;

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
