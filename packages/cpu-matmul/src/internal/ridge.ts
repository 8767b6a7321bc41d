/** Ridge regression by the normal equations (X'X + lambda I) w = X'y, solved by Gaussian elimination. */
export function fitRidge(xs: readonly (readonly number[])[], ys: readonly number[], lambda = 1e-2): number[] {
  const d = xs[0]?.length ?? 0;
  const a = Array.from({ length: d }, (_, r) => Array.from({ length: d + 1 }, (_, c) => (c === r ? lambda : 0)));
  xs.forEach((x, n) => {
    for (let r = 0; r < d; r++) {
      const row = a[r]!;
      for (let c = 0; c < d; c++) row[c] = row[c]! + x[r]! * x[c]!;
      row[d] = row[d]! + x[r]! * ys[n]!;
    }
  });
  for (let col = 0; col < d; col++) {
    let piv = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    const p = a[col]![col]!;
    if (Math.abs(p) < 1e-12) continue;
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= d; c++) a[r]![c] = a[r]![c]! - f * a[col]![c]!;
    }
  }
  return a.map((row, r) => (Math.abs(row[r]!) < 1e-12 ? 0 : row[d]! / row[r]!));
}

export function predict(w: readonly number[], x: readonly number[]): number {
  return x.reduce((s, v, n) => s + v * (w[n] ?? 0), 0);
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
