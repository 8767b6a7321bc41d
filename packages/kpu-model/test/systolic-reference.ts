/**
 * A brute-force, register-level, cycle-by-cycle systolic array: the independent reference for the fabric formulas.
 * It moves real values through PE registers (A right, B or partial sums down), counts cycles until the last result
 * leaves the array, counts SRAM reads and writes as elements cross the array's edge, and returns the product.
 */
export interface RefResult {
  cycles: number;
  folds: number;
  sramReadsA: number;
  sramReadsB: number;
  sramReadsC: number;
  sramWritesC: number;
  c: number[][];
}

type Mat = number[][];
const zeros = (r: number, c: number): Mat => Array.from({ length: r }, () => new Array<number>(c).fill(0));

/** OS: C[m,n] stays in PE (i,j); A enters rows from the left, B enters columns from the top, both skewed. */
function outputStationary(R: number, C: number, a: Mat, b: Mat, M: number, N: number, K: number): RefResult {
  const out = zeros(M, N);
  const res: RefResult = { cycles: 0, folds: 0, sramReadsA: 0, sramReadsB: 0, sramReadsC: 0, sramWritesC: 0, c: out };
  for (let r0 = 0; r0 < M; r0 += R) {
    for (let c0 = 0; c0 < N; c0 += C) {
      const r = Math.min(R, M - r0);
      const c = Math.min(C, N - c0);
      res.folds++;
      let aReg: (number | null)[][] = Array.from({ length: r }, () => new Array<number | null>(c).fill(null));
      let bReg: (number | null)[][] = Array.from({ length: r }, () => new Array<number | null>(c).fill(null));
      const acc = zeros(r, c);
      let macs = 0;
      let t = 0;
      while (macs < r * c * K) {
        const na = aReg.map((row) => row.slice());
        const nb = bReg.map((row) => row.slice());
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < c; j++) {
            let ain: number | null;
            if (j === 0) {
              const kk = t - i;
              ain = kk >= 0 && kk < K ? a[r0 + i]![kk]! : null;
              if (ain !== null) res.sramReadsA++;
            } else ain = aReg[i]![j - 1]!;
            let bin: number | null;
            if (i === 0) {
              const kk = t - j;
              bin = kk >= 0 && kk < K ? b[kk]![c0 + j]! : null;
              if (bin !== null) res.sramReadsB++;
            } else bin = bReg[i - 1]![j]!;
            if (ain !== null && bin !== null) {
              acc[i]![j]! += ain * bin;
              macs++;
            }
            na[i]![j] = ain;
            nb[i]![j] = bin;
          }
        }
        aReg = na;
        bReg = nb;
        t++;
      }
      // Drain: results shift down one row per cycle and leave at the bottom.
      const col: (number | null)[][] = acc.map((row) => row.map((v) => v));
      let emitted = 0;
      let rowsOut = 0;
      while (emitted < r * c) {
        const bottom = col[r - 1 - rowsOut]!;
        for (let j = 0; j < c; j++) {
          out[r0 + r - 1 - rowsOut]![c0 + j] = bottom[j]!;
          res.sramWritesC++;
          emitted++;
        }
        rowsOut++;
        t++;
      }
      res.cycles += t;
    }
  }
  return res;
}

/**
 * WS: B[k,n] is preloaded (shifted down, one row per cycle), A streams in from the left with skew, partial sums flow
 * down the columns and leave at the bottom; later k folds read the earlier partial sums back.
 */
function weightStationary(R: number, C: number, a: Mat, b: Mat, M: number, N: number, K: number): RefResult {
  const out = zeros(M, N);
  const written = zeros(M, N);
  const res: RefResult = { cycles: 0, folds: 0, sramReadsA: 0, sramReadsB: 0, sramReadsC: 0, sramWritesC: 0, c: out };
  for (let r0 = 0; r0 < K; r0 += R) {
    for (let c0 = 0; c0 < N; c0 += C) {
      const r = Math.min(R, K - r0);
      const c = Math.min(C, N - c0);
      res.folds++;
      // Preload: each cycle every row takes the weight of the row above; row 0 takes the next row from SRAM.
      let w: (number | null)[][] = Array.from({ length: r }, () => new Array<number | null>(c).fill(null));
      let t = 0;
      for (let step = 0; step < r; step++) {
        const nw = w.map((row) => row.slice());
        for (let i = r - 1; i > 0; i--) nw[i] = w[i - 1]!.slice();
        nw[0] = Array.from({ length: c }, (_, j) => {
          res.sramReadsB++;
          return b[r0 + (r - 1 - step)]![c0 + j]!;
        });
        w = nw;
        t++;
      }
      let aReg: (number | null)[][] = Array.from({ length: r }, () => new Array<number | null>(c).fill(null));
      let pReg: ([number, number] | null)[][] = Array.from({ length: r }, () => new Array<[number, number] | null>(c).fill(null));
      let emitted = 0;
      while (emitted < M * c) {
        const na = aReg.map((row) => row.slice());
        const np = pReg.map((row) => row.slice());
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < c; j++) {
            let ain: number | null;
            let mIdx = -1;
            if (j === 0) {
              const m = t - r - i;
              ain = m >= 0 && m < M ? a[m]![r0 + i]! : null;
              if (ain !== null) res.sramReadsA++;
            } else ain = aReg[i]![j - 1]!;
            if (ain !== null) mIdx = t - r - i - j;
            na[i]![j] = ain;
            if (ain === null) {
              np[i]![j] = null;
              continue;
            }
            const above: [number, number] | null = i === 0 ? [mIdx, 0] : (pReg[i - 1]![j] ?? null);
            if (above === null || above[0] !== mIdx) throw new Error(`partial sum out of step at PE(${i},${j}) cycle ${t}`);
            const sum = above[1] + ain * w[i]![j]!;
            np[i]![j] = [mIdx, sum];
            if (i === r - 1) {
              if (written[mIdx]![c0 + j] === 1) res.sramReadsC++;
              out[mIdx]![c0 + j]! += sum;
              written[mIdx]![c0 + j] = 1;
              res.sramWritesC++;
              emitted++;
            }
          }
        }
        aReg = na;
        pReg = np;
        t++;
      }
      res.cycles += t;
    }
  }
  return res;
}

const transpose = (x: Mat): Mat => (x.length === 0 ? [] : x[0]!.map((_, j) => x.map((row) => row[j]!)));

/** Brute-force GEMM C = A x B on an R x C array with the given dataflow. */
export function referenceSystolic(R: number, C: number, dataflow: "os" | "ws" | "is", a: Mat, b: Mat): RefResult {
  const M = a.length;
  const K = b.length;
  const N = b[0]!.length;
  if (dataflow === "os") return outputStationary(R, C, a, b, M, N, K);
  if (dataflow === "ws") return weightStationary(R, C, a, b, M, N, K);
  // IS = WS on the transposed problem: C^T = B^T A^T with A^T stationary and B^T streaming.
  const r = weightStationary(R, C, transpose(b), transpose(a), N, M, K);
  return { ...r, sramReadsA: r.sramReadsB, sramReadsB: r.sramReadsA, c: transpose(r.c) };
}

export function naiveMatmul(a: Mat, b: Mat): Mat {
  const M = a.length;
  const K = b.length;
  const N = b[0]!.length;
  const c = zeros(M, N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) c[i]![j]! += a[i]![k]! * b[k]![j]!;
  return c;
}
