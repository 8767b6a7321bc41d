/**
 * A brute-force re-creation of SCALE-Sim v2's compute model for a GEMM, independent of src/: it builds the operand
 * address matrices, the prefetch matrices and the per-cycle demand matrices (one row per cycle, one column per array
 * row or column port, -1 for an empty slot) fold by fold, the way SCALE-Sim's systolic_compute_os/ws/is do, and counts
 * rows and entries. Nothing here is shared with the closed form in src/scale-sim.ts.
 */

type Mat = number[][];
const EMPTY = -1;

const blank = (rows: number, cols: number): Mat => Array.from({ length: rows }, () => new Array<number>(cols).fill(EMPTY));
const width = (a: Mat, fallback: number) => a[0]?.length ?? fallback;
const cols = (a: Mat, c0: number, c1: number): Mat => a.map((row) => row.slice(c0, c1));
const rowsOf = (a: Mat, r0: number, r1: number): Mat => a.slice(r0, r1).map((row) => [...row]);
const transpose = (a: Mat): Mat => Array.from({ length: width(a, 0) }, (_, j) => a.map((row) => row[j]!));
const padRight = (a: Mat, to: number): Mat => a.map((row) => [...row, ...new Array<number>(to - row.length).fill(EMPTY)]);
const padBelow = (a: Mat, to: number, w: number): Mat => [...a, ...blank(to - a.length, w)];
const flipVertical = (a: Mat): Mat => [...a].reverse();
const stack = (...parts: Mat[]): Mat => parts.flat();

/** Delays column c by c cycles: the systolic skew (a rows x cols matrix becomes rows + cols - 1 rows). */
function skew(a: Mat, w: number): Mat {
  const out = blank(a.length + w - 1, w);
  a.forEach((row, r) => row.forEach((v, c) => (out[r + c]![c] = v)));
  return out;
}

const countFilled = (a: Mat) => a.reduce((s, row) => s + row.filter((v) => v !== EMPTY).length, 0);
const addresses = (a: Mat) => new Set(a.flat().filter((v) => v !== EMPTY));

export interface ReferenceRun {
  readonly rowFolds: number;
  readonly colFolds: number;
  /** Rows of each demand matrix (they must agree: one row per cycle). */
  readonly ifmapDemandRows: number;
  readonly filterDemandRows: number;
  readonly ofmapDemandRows: number;
  /** Stall-free: the cycle index of the last demand row. */
  readonly totalCycles: number;
  /** SCALE-Sim's own counters, accumulated fold by fold from the slices' shapes. */
  readonly ifmapReads: number;
  readonly filterReads: number;
  readonly ofmapWrites: number;
  /** Non-empty entries of the demand matrices. */
  readonly ifmapDemanded: number;
  readonly filterDemanded: number;
  readonly ofmapDemanded: number;
  /** Every demanded address was prefetched, and every operand word is prefetched. */
  readonly demandWithinPrefetch: boolean;
  readonly prefetchCoversOperands: boolean;
  readonly mappingEfficiencyPercent: number;
  readonly computeUtilPercent: number;
}

interface Operands {
  readonly ifmap: Mat;
  readonly filter: Mat;
  readonly ofmap: Mat;
}

/** GEMM operand addresses as SCALE-Sim's operand_matrix lays them out for a GEMM row (input M x K, filter K x N). */
function operands(m: number, n: number, k: number): Operands {
  const ifmapBase = 0;
  const filterBase = 10_000_000;
  const ofmapBase = 20_000_000;
  return {
    ifmap: Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => ifmapBase + i * k + j)),
    filter: Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => filterBase + j * k + i)),
    ofmap: Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => ofmapBase + i * n + j)),
  };
}

interface Fold {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

/** Column folds outer, row folds inner, as SCALE-Sim iterates them. */
function foldsOf(sr: number, sc: number, R: number, C: number): Fold[] {
  const out: Fold[] = [];
  for (let c0 = 0; c0 < sc; c0 += C) {
    for (let r0 = 0; r0 < sr; r0 += R) out.push({ r0, r1: Math.min(r0 + R, sr), c0, c1: Math.min(c0 + C, sc) });
  }
  return out;
}

interface FoldDemand {
  readonly ifmap: Mat;
  readonly filter: Mat;
  readonly ofmap: Mat;
  readonly reads: { ifmap: number; filter: number; ofmap: number };
  /** The matrix whose (rows + cols - 1) SCALE-Sim divides by for this fold's compute utilisation. */
  readonly utilShape: Mat;
  readonly utilWidth: number;
}

function osFold(o: Operands, f: Fold, R: number, C: number, T: number): FoldDemand {
  const a = cols(transpose(o.ifmap), f.r0, f.r1);
  const b = cols(o.filter, f.c0, f.c1);
  const c = rowsOf(o.ofmap, f.r0, f.r1).map((row) => row.slice(f.c0, f.c1));
  const cPadded = flipVertical(padBelow(padRight(c, C), R, C));
  const cDemand = stack(blank(T - 1, C), cPadded);
  return {
    ifmap: skew(stack(padRight(a, R), blank(C - 1, R)), R),
    filter: skew(stack(padRight(b, C), blank(R - 1, C)), C),
    ofmap: skew(cDemand, C),
    // SCALE-Sim counts the written block and then, again, the padded block's row and column counts.
    reads: { ifmap: T * (f.r1 - f.r0), filter: T * (f.c1 - f.c0), ofmap: c.length * (f.c1 - f.c0) + cPadded.length + width(cPadded, C) },
    utilShape: cDemand,
    utilWidth: C,
  };
}

function wsFold(o: Operands, f: Fold, R: number, C: number, T: number): FoldDemand {
  const a = cols(o.ifmap, f.r0, f.r1);
  const b = rowsOf(o.filter, f.r0, f.r1).map((row) => row.slice(f.c0, f.c1));
  const c = cols(o.ofmap, f.c0, f.c1);
  const bDemand = stack(flipVertical(padBelow(padRight(b, C), R, C)), blank(R + C + T - 2, C));
  return {
    ifmap: skew(stack(blank(R, R), padRight(a, R), blank(C - 1, R)), R),
    filter: bDemand,
    ofmap: skew(stack(blank(2 * R - 1, C), padRight(c, C)), C),
    reads: { ifmap: T * (f.r1 - f.r0), filter: b.length * (f.c1 - f.c0), ofmap: T * (f.c1 - f.c0) },
    utilShape: bDemand,
    utilWidth: C,
  };
}

function isFold(o: Operands, f: Fold, R: number, C: number, T: number): FoldDemand {
  const a = rowsOf(transpose(o.ifmap), f.r0, f.r1).map((row) => row.slice(f.c0, f.c1));
  const b = transpose(rowsOf(o.filter, f.r0, f.r1));
  const c = transpose(rowsOf(o.ofmap, f.c0, f.c1));
  const aDemand = stack(flipVertical(padBelow(padRight(a, C), R, C)), blank(R + C + T - 2, C));
  return {
    ifmap: aDemand,
    filter: skew(stack(blank(R, R), padRight(b, R), blank(C - 1, R)), R),
    ofmap: skew(stack(blank(2 * R - 1, C), padRight(c, C)), C),
    reads: { ifmap: a.length * (f.c1 - f.c0), filter: T * (f.r1 - f.r0), ofmap: T * (f.c1 - f.c0) },
    utilShape: aDemand,
    utilWidth: C,
  };
}

/** The prefetch matrices (the address streams SCALE-Sim fetches into the read buffers), without the diagonal order. */
function prefetch(dataflow: "os" | "ws" | "is", o: Operands, sr: number, sc: number, R: number, C: number): { ifmap: Mat; filter: Mat } {
  const rowStripes = (src: Mat, to: number) => Array.from({ length: Math.ceil(sr / R) }, (_, fr) => padRight(cols(src, fr * R, Math.min(fr * R + R, sr)), to));
  const colStripes = (src: Mat, to: number) => Array.from({ length: Math.ceil(sc / C) }, (_, fc) => padRight(cols(src, fc * C, Math.min(fc * C + C, sc)), to));
  switch (dataflow) {
    case "os":
      return { ifmap: stack(...rowStripes(transpose(o.ifmap), R)), filter: stack(...colStripes(o.filter, C)) };
    case "ws":
      return { ifmap: stack(...rowStripes(o.ifmap, R)), filter: stack(...colStripes(o.filter, C)) };
    case "is":
      return { ifmap: stack(...colStripes(transpose(o.ifmap), C)), filter: stack(...rowStripes(transpose(o.filter), R)) };
  }
}

const subset = (a: Set<number>, b: Set<number>) => [...a].every((v) => b.has(v));

/** Runs SCALE-Sim's compute model for one GEMM by building every matrix; meant for small shapes and arrays. */
export function referenceScaleSim(R: number, C: number, dataflow: "os" | "ws" | "is", m: number, n: number, k: number): ReferenceRun {
  const o = operands(m, n, k);
  // Sr, Sc, T from the operand matrices' shapes, as each systolic_compute_* class derives them.
  const [sr, sc, T] = dataflow === "os" ? [m, n, k] : dataflow === "ws" ? [k, n, m] : [k, m, n];
  const build = dataflow === "os" ? osFold : dataflow === "ws" ? wsFold : isFold;
  const folds = foldsOf(sr, sc, R, C).map((f) => ({ f, d: build(o, f, R, C, T) }));
  const ifmap = stack(...folds.map((x) => x.d.ifmap));
  const filter = stack(...folds.map((x) => x.d.filter));
  const ofmap = stack(...folds.map((x) => x.d.ofmap));
  const sum = (pick: (x: (typeof folds)[number]) => number) => folds.reduce((s, x) => s + pick(x), 0);
  const mappingEff = sum(({ f }) => ((f.r1 - f.r0) * (f.c1 - f.c0)) / (R * C)) / folds.length;
  const computeUtil =
    sum(({ f, d }) => ((f.r1 - f.r0) * (f.c1 - f.c0) * T) / (R * C * (d.utilShape.length + d.utilWidth - 1))) / folds.length;
  const pre = prefetch(dataflow, o, sr, sc, R, C);
  const allA = addresses(o.ifmap);
  const allB = addresses(o.filter);
  return {
    rowFolds: Math.ceil(sr / R),
    colFolds: Math.ceil(sc / C),
    ifmapDemandRows: ifmap.length,
    filterDemandRows: filter.length,
    ofmapDemandRows: ofmap.length,
    totalCycles: ofmap.length - 1,
    ifmapReads: sum(({ d }) => d.reads.ifmap),
    filterReads: sum(({ d }) => d.reads.filter),
    ofmapWrites: sum(({ d }) => d.reads.ofmap),
    ifmapDemanded: countFilled(ifmap),
    filterDemanded: countFilled(filter),
    ofmapDemanded: countFilled(ofmap),
    demandWithinPrefetch: subset(addresses(ifmap), addresses(pre.ifmap)) && subset(addresses(filter), addresses(pre.filter)),
    prefetchCoversOperands: subset(allA, addresses(pre.ifmap)) && subset(allB, addresses(pre.filter)),
    mappingEfficiencyPercent: mappingEff * 100,
    computeUtilPercent: computeUtil * 100,
  };
}
