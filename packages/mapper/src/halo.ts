import { convHalo, type ConvGemm } from "@kpu/passes";

/**
 * The halo factor of an implicit-GEMM conv's A operand under a tile: the distinct input elements every A tile of the
 * tile.m x tile.k grid over the GEMM's M x K reads, over M x K (`convHalo`, what `kpu analyze` scales A's bytes and
 * busy time by). It depends on (tile.m, tile.k) only, so a search computes it once per pair: `cache` maps
 * tile.m * 2^24 + tile.k (each below 2^24) to the factor, per conv geometry.
 */
export function haloFactor(cache: Map<ConvGemm, Map<number, number>>, conv: ConvGemm | undefined, tileM: number, tileK: number): number {
  if (conv === undefined) return 1;
  let byTile = cache.get(conv);
  if (byTile === undefined) {
    byTile = new Map();
    cache.set(conv, byTile);
  }
  const key = tileM * 16_777_216 + tileK;
  let f = byTile.get(key);
  if (f === undefined) {
    f = convHalo(conv, tileM, tileK).factor;
    byTile.set(key, f);
  }
  return f;
}

/**
 * A lower bound on a conv's DRAM words (one group): its distinct input (one tile spanning A), its weights and its
 * output, each moved once. The matmul's I/O bound does not hold for a conv: A's rows overlap in the input.
 */
export function convCompulsoryWords(conv: ConvGemm): number {
  return convHalo(conv, conv.m, conv.k).distinctElements + conv.k * conv.n + conv.m * conv.n;
}
