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
 * Counts distinct input elements read by windows, reusing its marks between calls (no allocation per count).
 * `count(pixels, taps)`: output pixels [p0, p1) of one image (row-major over OH x OW) under kernel taps [t0, t1)
 * (row-major over KH x KW) of one channel touch which (h, w) of the H x W input, padding excluded.
 */
class WindowCounter {
  private readonly plane: Uint32Array;
  private readonly line: Uint32Array;
  private epoch = 0;
  private readonly cache = new Map<string, number>();

  constructor(private readonly g: ConvGemm) {
    this.plane = new Uint32Array(g.height * g.width);
    this.line = new Uint32Array(Math.max(g.height, g.width));
  }

  count(p0: number, p1: number, t0: number, t1: number): number {
    const key = `${p0},${p1},${t0},${t1}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const g = this.g;
    const stamp = ++this.epoch;
    let distinct = 0;
    // The union over pixel rectangles x tap rectangles of product sets rows x cols of the input.
    for (const px of runRects(p0, p1, g.outW)) {
      for (const tp of runRects(t0, t1, g.kernelW)) {
        const rows = this.axis(px.r0, px.r1, tp.r0, tp.r1, g.stride[0], g.padding[0], g.dilation[0], g.height);
        const cols = this.axis(px.c0, px.c1, tp.c0, tp.c1, g.stride[1], g.padding[1], g.dilation[1], g.width);
        for (const h of rows) {
          for (const w of cols) {
            const at = h * g.width + w;
            if (this.plane[at] !== stamp) {
              this.plane[at] = stamp;
              distinct++;
            }
          }
        }
      }
    }
    this.cache.set(key, distinct);
    return distinct;
  }

  /** Distinct in-bounds input coordinates o * stride - pad + t * dilation along one axis. */
  private axis(o0: number, o1: number, t0: number, t1: number, stride: number, pad: number, dilation: number, size: number): number[] {
    const mark = ++this.epoch;
    const out: number[] = [];
    for (let o = o0; o < o1; o++) {
      for (let t = t0; t < t1; t++) {
        const x = o * stride - pad + t * dilation;
        if (x >= 0 && x < size && this.line[x] !== mark) {
          this.line[x] = mark;
          out.push(x);
        }
      }
    }
    return out;
  }
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
