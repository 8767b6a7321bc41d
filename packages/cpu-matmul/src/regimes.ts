import type { HostModel } from "./host.js";
import type { RuleDecision } from "./seed.js";
import { dtypeOf, elementBytes, type MatmulShape } from "./shapes.js";
import type { TiledParams } from "./template.js";

/**
 * The regimes beyond H1-H10 (which were derived on BERT shapes, whose B fits half the L3):
 * - `gemv`: M <= GEMV_MAX_M, a bandwidth kernel whatever B's size;
 * - `weights-stream`: B beyond half the L3, so it comes from DRAM on every call, and too few register tiles
 *   (ceil(M / MR) < PREFILL_MIN_TILES) reuse a panel to hide its copy: B read in place at memory bandwidth;
 * - `weights-block`: B beyond half the L3 and enough rows of A to be compute-bound: B packed once per L2-sized block;
 * - `cached`: everything else, H1-H10 as they are.
 */
export type Regime = "gemv" | "weights-stream" | "weights-block" | "cached";

/** Largest M run as a GEMV (decode of 1-4 sequences). */
export const GEMV_MAX_M = 4;
/** Register tiles that must reuse a packed B block for the copy to pay (H5's bound for a streamed B). */
export const PREFILL_MIN_TILES = 8;

/**
 * The regime of a shape. With the bf16 dot product (twice the float32 FMA rate) a register tile computes a panel in
 * half the time, so twice the tiles must reuse a packed block to hide its copy.
 */
export function regimeOf(shape: MatmulShape, host: HostModel, mr: number): Regime {
  if (shape.m <= GEMV_MAX_M) return "gemv";
  if (elementBytes(shape) * shape.k * shape.n <= host.l3.bytes / 2) return "cached";
  return Math.ceil(shape.m / mr) < PREFILL_MIN_TILES * peakFactor(shape, host) ? "weights-stream" : "weights-block";
}

/** The FMA rate of the shape's kernel over the float32 one: 2 for bf16 on a host with the bf16 dot product, else 1. */
export function peakFactor(shape: MatmulShape, host: HostModel): number {
  return dtypeOf(shape) === "bf16" && host.bf16Dot === true ? 2 : 1;
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * H11-H13: the parameters for the regimes past L3 and for GEMV, over H1-H10's `base`, with their decisions. `kcStream`
 * is H6's stream-count KC for the tile (the KC rows of an unpacked panel are KC concurrent streams).
 */
export function regimeRules(shape: MatmulShape, host: HostModel, threads: number, base: TiledParams, kcL1: number): { params: TiledParams; decisions: RuleDecision[] } | undefined {
  const regime = regimeOf(shape, host, base.mr);
  const bBytes = elementBytes(shape) * shape.k * shape.n;
  const slab = (nr: number): number => Math.ceil(Math.ceil(shape.n / threads) / nr) * nr;
  if (regime === "gemv") {
    // The widest tile of up to 4 vectors whose M x NRv accumulators, NRv B vectors and the broadcast fit the registers
    // (on 16-register AVX2, 4 x 4 vectors would need 21).
    let nv = 4;
    while (nv > 1 && shape.m * nv + nv + 1 > host.vectorRegisters) nv--;
    const nr = nv * base.lanes;
    const kc = Math.min(shape.k, Math.max(16, Math.round(host.prefetchStreams / 2 / 16) * 16));
    const params: TiledParams = { ...base, mr: shape.m, nrVectors: nv, kc, mc: shape.m, nc: slab(nr), order: "ji", kUnroll: 1, packA: false, packB: false };
    delete (params as { prefetchB?: number }).prefetchB;
    return {
      params,
      decisions: [
        {
          id: "H11",
          decides: "GEMV (M <= 4)",
          value: `MR = M = ${shape.m}, NR = ${nr}, KC = ${kc}, NC = ${params.nc} (one column slab per thread), B read in place, no prefetch`,
          because: `2M = ${2 * shape.m} flops per ${elementBytes(shape)} B of B: bound by the bytes of B (${mib(bBytes)}), not by FMAs, so no padded rows (MR = M, H2 waived) and the widest tile; each thread streams a disjoint slab of every row, ${kc} rows at a time (half the ${host.prefetchStreams} prefetcher streams, each advancing sequentially across the slab)`,
        },
      ],
    };
  }
  if (regime === "weights-stream") {
    const nr = base.nrVectors * base.lanes;
    const params: TiledParams = { ...base, mc: Math.ceil(shape.m / base.mr) * base.mr, nc: slab(nr), packB: false };
    return {
      params,
      decisions: [
        {
          id: "H12",
          decides: "small M, B from DRAM",
          value: `MC = ${params.mc} (all rows), NC = ${params.nc}: ${threads} tasks, one column slab per thread; B read in place${base.prefetchB === undefined ? "" : `, prefetched ${base.prefetchB} rows ahead`}`,
          because: `B (${mib(bBytes)}) exceeds L3 / 2 and only ceil(M / MR) = ${Math.ceil(shape.m / base.mr)} < ${PREFILL_MIN_TILES * peakFactor(shape, host)} register tiles reuse a panel${peakFactor(shape, host) > 1 ? " (twice H5's bound: the bf16 dot product computes a panel in half the time)" : ""}: the kernel streams B at memory bandwidth, so every core reads a disjoint slab of it once (no row block reads B twice) and no copy competes with the stream`,
        },
      ],
    };
  }
  if (regime === "weights-block") {
    const nr = base.nrVectors * base.lanes;
    const mc = Math.ceil(shape.m / base.mr) * base.mr;
    const kc = Math.min(shape.k, kcL1);
    // The packed KC x NC block within a quarter of L2 beside the A rows in flight; the C block (MC x NC) within half.
    const ncB = Math.floor(host.l2.bytes / 4 / (kc * 4));
    const ncC = Math.floor(host.l2.bytes / 2 / (mc * 4));
    const nc = Math.max(nr, Math.floor(Math.min(ncB, ncC, slab(nr)) / nr) * nr);
    const params: TiledParams = { ...base, kc, mc, nc, packB: true };
    delete (params as { prefetchB?: number }).prefetchB;
    return {
      params,
      decisions: [
        {
          id: "H13",
          decides: "large M, B from DRAM",
          value: `pack B once per KC x NC = ${kc} x ${nc} block (${Math.ceil(shape.n / nc)} blocks over ${threads} threads), MC = ${mc} (all rows), KC = ${kc}`,
          because: `B (${mib(bBytes)}) exceeds L3 / 2 and ceil(M / MR) = ${Math.ceil(shape.m / base.mr)} >= ${PREFILL_MIN_TILES * peakFactor(shape, host)} register tiles reuse each panel: a block copied row by row reads runs of NC x 4 = ${nc * 4} B (sequential for the prefetcher, few pages) and is then read from L2 by every tile; the packed block KC x NC x 4 B <= L2 / 4 and the C block MC x NC x 4 B <= L2 / 2; MC = M so no two tasks copy the same block, and the tasks (column blocks) split B between the cores`,
        },
      ],
    };
  }
  return undefined;
}
