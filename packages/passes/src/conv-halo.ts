import type { ConvGemm } from "./conv-gemm.js";

/** A rectangle [r0, r1) x [c0, c1) of a row-major grid. */
interface Rect {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

/** The run [p0, p1) of a row-major grid `width` wide as at most three rectangles: a partial row, full rows, a partial row. */
function runRects(p0: number, p1: number, width: number): Rect[] {
  const rects: Rect[] = [];
  let p = p0;
  while (p < p1) {
    const r = Math.floor(p / width);
    const c = p % width;
    if (c !== 0 || p1 - p < width) {
      const end = Math.min(p1 - p, width - c);
      rects.push({ r0: r, r1: r + 1, c0: c, c1: c + end });
      p += end;
    } else {
      const rows = Math.floor((p1 - p) / width);
      rects.push({ r0: r, r1: r + rows, c0: 0, c1: width });
      p += rows * width;
    }
  }
  return rects;
}

/**
 * Counts distinct input elements read by windows, reusing its marks between calls.
 * `count(pixels, taps)`: output pixels [p0, p1) of one image (row-major over OH x OW) under kernel taps [t0, t1)
 * (row-major over KH x KW) of one channel touch which (h, w) of the H x W input, padding excluded.
 */
class WindowCounter {
  private readonly rowMask: Uint16Array;
  private readonly line: Uint32Array;
  /** Rows of the input per mask of the products holding them (at most 9 products: masks below 512). */
  private readonly rowsPerMask = new Uint32Array(512);
  private readonly words: number;
  private readonly union: Uint32Array;
  private epoch = 0;
  private readonly cache = new Map<number, number>();
  /** Per column range of pixels and of taps: the input columns they touch, as a bit set. */
  private readonly colSets = new Map<number, Uint32Array>();

  constructor(private readonly g: ConvGemm) {
    this.rowMask = new Uint16Array(g.height);
    this.line = new Uint32Array(g.height);
    this.words = Math.ceil(g.width / 32);
    this.union = new Uint32Array(this.words);
  }

  count(p0: number, p1: number, t0: number, t1: number): number {
    // p0, p1 <= OH x OW and t0, t1 <= KH x KW: a number below 2^53 for any conv kpu lowers
    const g = this.g;
    const taps = g.kernelH * g.kernelW + 1;
    const key = ((p0 * (g.outH * g.outW + 1) + p1) * taps + t0) * taps + t1;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    // The union over pixel rectangles x tap rectangles of product sets rows x cols of the input: an input row holds
    // the union of the cols of the products whose rows hold it, so rows are grouped by that set of products (mask).
    const cols: Uint32Array[] = [];
    const touched: number[] = [];
    for (const px of runRects(p0, p1, g.outW)) {
      for (const tp of runRects(t0, t1, g.kernelW)) {
        const rs = this.rows(px.r0, px.r1, tp.r0, tp.r1);
        if (rs.length === 0) continue;
        const bit = 1 << cols.length;
        cols.push(this.cols(px.c0, px.c1, tp.c0, tp.c1));
        for (const h of rs) {
          if (this.rowMask[h] === 0) touched.push(h);
          this.rowMask[h]! |= bit;
        }
      }
    }
    const masks: number[] = [];
    for (const h of touched) {
      const mask = this.rowMask[h]!;
      this.rowMask[h] = 0;
      if (this.rowsPerMask[mask] === 0) masks.push(mask);
      this.rowsPerMask[mask]!++;
    }
    let distinct = 0;
    for (const mask of masks) {
      this.union.fill(0);
      for (let i = 0; i < cols.length; i++) if ((mask >> i) & 1) for (let j = 0; j < this.words; j++) this.union[j]! |= cols[i]![j]!;
      let width = 0;
      for (let j = 0; j < this.words; j++) width += popcount(this.union[j]!);
      distinct += this.rowsPerMask[mask]! * width;
      this.rowsPerMask[mask] = 0;
    }
    this.cache.set(key, distinct);
    return distinct;
  }

  /** Distinct in-bounds input rows oh * stride - pad + kh * dilation of output rows [o0, o1) and kernel rows [t0, t1). */
  private rows(o0: number, o1: number, t0: number, t1: number): number[] {
    const g = this.g;
    const mark = ++this.epoch;
    const out: number[] = [];
    for (let o = o0; o < o1; o++) {
      for (let t = t0; t < t1; t++) {
        const x = o * g.stride[0] - g.padding[0] + t * g.dilation[0];
        if (x >= 0 && x < g.height && this.line[x] !== mark) {
          this.line[x] = mark;
          out.push(x);
        }
      }
    }
    return out;
  }

  /** The in-bounds input columns ow * stride - pad + kw * dilation of output columns [o0, o1) and kernel columns [t0, t1), as bits. */
  private cols(o0: number, o1: number, t0: number, t1: number): Uint32Array {
    const g = this.g;
    const key = ((o0 * (g.outW + 1) + o1) * (g.kernelW + 1) + t0) * (g.kernelW + 1) + t1;
    let set = this.colSets.get(key);
    if (set === undefined) {
      set = new Uint32Array(this.words);
      for (let o = o0; o < o1; o++) {
        for (let t = t0; t < t1; t++) {
          const x = o * g.stride[1] - g.padding[1] + t * g.dilation[1];
          if (x >= 0 && x < g.width) set[x >>> 5]! |= 1 << (x & 31);
        }
      }
      this.colSets.set(key, set);
    }
    return set;
  }
}

/** Set bits of a 32-bit word. */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * Distinct input elements (padding zeros excluded) that the A tile rows [r0, r1) x columns [c0, c1) of one group of
 * the implicit GEMM reads: for each image the tile's output pixels span and each channel its columns span, the
 * union of the windows. Channels whose columns cover the same taps read the same count, so each distinct (pixel run,
 * tap run) is counted once. Equals |{convInputOffset(g, group, r, c) >= 0}| over the tile (tested against that).
 */
export function convTileInputElements(g: ConvGemm, r0: number, r1: number, c0: number, c1: number): number {
  return tileElements(g, r0, r1, c0, c1, new WindowCounter(g));
}

function tileElements(g: ConvGemm, r0: number, r1: number, c0: number, c1: number, counter: WindowCounter): number {
  const pixels = g.outH * g.outW;
  const taps = g.kernelH * g.kernelW;
  let total = 0;
  for (let n = Math.floor(r0 / pixels); n * pixels < r1; n++) {
    const p0 = Math.max(r0, n * pixels) - n * pixels;
    const p1 = Math.min(r1, (n + 1) * pixels) - n * pixels;
    for (let c = Math.floor(c0 / taps); c * taps < c1; ) {
      const t0 = Math.max(c0, c * taps) - c * taps;
      const t1 = Math.min(c1, (c + 1) * taps) - c * taps;
      // full-tap channels in a row share one count
      let same = 1;
      if (t0 === 0 && t1 === taps) same = Math.max(1, Math.floor(c1 / taps) - c);
      total += same * counter.count(p0, p1, t0, t1);
      c += same;
    }
  }
  return total;
}

/** What the A operand of an implicit GEMM reads per tile: distinct input elements against the tile's rows x columns. */
export interface ConvHalo {
  /** Sum over every A tile of one group of its distinct input elements. */
  readonly distinctElements: number;
  /** Sum over every A tile of rows x columns (= M x K): what an explicit im2col matrix would hold. */
  readonly denseElements: number;
  /** distinct / dense: the factor on the A operand's bytes. */
  readonly factor: number;
}

/** The halo of every A tile of a tileM x tileK grid over one group's M x K (every group has the same count). */
export function convHalo(g: ConvGemm, tileM: number, tileK: number): ConvHalo {
  const counter = new WindowCounter(g);
  let distinct = 0;
  for (let r = 0; r < g.m; r += tileM) {
    for (let c = 0; c < g.k; c += tileK) distinct += tileElements(g, r, Math.min(g.m, r + tileM), c, Math.min(g.k, c + tileK), counter);
  }
  const dense = g.m * g.k;
  return { distinctElements: distinct, denseElements: dense, factor: dense === 0 ? 1 : distinct / dense };
}
