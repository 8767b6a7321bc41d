import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STRATEGIES, kpuSimTiles, l3Traffic, strategyTiles, type MatmulProblem, type Strategy } from "@kpu/scheduler";

// Everything below is written from the README's "Tiles" section, sharing no code with src/tiles.ts.

interface Tile {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

const up = (x: number, g: number): number => Math.ceil(x / g) * g;
const setElements = (t: Tile): number => t.m * t.k + t.k * t.n + t.m * t.n;

/** The granule the rules must use: the requested one if three of its squares fit, else the largest power of two
 *  below it that fits. */
function expectedGranule(budgetBytes: number, eb: number, requested: number): number {
  const fits = (g: number): boolean => 3 * g * g * eb <= budgetBytes;
  if (fits(requested)) return requested;
  let best = 1;
  for (let p = 1; p < requested; p *= 2) if (fits(p)) best = p;
  return best;
}

/** DRAM bytes the README claims for the streaming regime, per tensor. */
function claimedBytes(s: Strategy, p: Required<MatmulProblem>, t: Tile): number {
  const mt = Math.ceil(p.m / t.m);
  const nt = Math.ceil(p.n / t.n);
  const kt = Math.ceil(p.k / t.k);
  const sizeA = p.m * p.k * p.elementBytes;
  const sizeB = p.k * p.n * p.elementBytes;
  const sizeC = p.m * p.n * p.elementBytes;
  // how many times each operand is read: once when its reuse is caught by a one-tile-set L3, else once per pass
  const passes = {
    ws: { a: 1, b: nt === 1 ? 1 : mt },
    is: { a: mt === 1 ? 1 : nt, b: 1 },
    os: { a: kt === 1 ? 1 : nt, b: kt === 1 && nt === 1 ? 1 : mt },
  }[s];
  // partial sums of C go back to DRAM and come back once per extra k pass, unless there is a single C tile (or OS)
  const cRereads = s === "os" || mt * nt === 1 ? 0 : kt - 1;
  const reads = passes.a * sizeA + passes.b * sizeB + cRereads * sizeC;
  const writes = sizeC * (1 + cRereads);
  return reads + writes;
}

/** Every tile on the granule grid, each edge at most the dimension rounded up, whose full tile set fits. */
function allTiles(p: Required<MatmulProblem>, budgetBytes: number, g: number): Tile[] {
  const out: Tile[] = [];
  for (let m = g; m <= up(p.m, g); m += g) {
    for (let n = g; n <= up(p.n, g); n += g) {
      for (let k = g; k <= up(p.k, g); k += g) {
        if (setElements({ m, n, k }) * p.elementBytes <= budgetBytes) out.push({ m, n, k });
      }
    }
  }
  return out;
}

/** The README's order: claimed bytes, then padded MACs, then tile steps (fewer first), then larger Ti, larger Tj. */
function key(s: Strategy, p: Required<MatmulProblem>, t: Tile): number[] {
  const mt = Math.ceil(p.m / t.m);
  const nt = Math.ceil(p.n / t.n);
  const kt = Math.ceil(p.k / t.k);
  const padding = mt * t.m * nt * t.n * kt * t.k - p.m * p.n * p.k;
  return [claimedBytes(s, p, t), padding, mt * nt * kt, -t.m, -t.n];
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function bestByEnumeration(s: Strategy, p: Required<MatmulProblem>, budgetBytes: number, g: number): Tile {
  let best: Tile | undefined;
  let bestKey: number[] = [];
  for (const t of allTiles(p, budgetBytes, g)) {
    const kk = key(s, p, t);
    if (best === undefined || lexLess(kk, bestKey)) {
      best = t;
      bestKey = kk;
    }
  }
  return best!;
}

/** The grid's largest tiles: edges clipped to the dimensions (the kpu model sizes tiles exactly, so the trace and
 *  the traffic are those of the unclipped tiles; l3Traffic only checks the L3 against the tiles it is given). */
const clipped = (p: Required<MatmulProblem>, t: Tile): Tile => ({ m: Math.min(t.m, p.m), n: Math.min(t.n, p.n), k: Math.min(t.k, p.k) });

/** The reference L3: one set of the grid's largest A, B and C tiles. */
const referenceL3 = (p: Required<MatmulProblem>, t: Tile): number => setElements(clipped(p, t)) * p.elementBytes;

function engineBytes(s: Strategy, p: Required<MatmulProblem>, t: Tile): number {
  const r = l3Traffic(p, { strategy: s, l3Bytes: referenceL3(p, t), tiles: clipped(p, t) });
  return r.dramReadBytes + r.dramWriteBytes;
}

const SMALL_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [1, 40, 7],
  [24, 20, 28],
  [17, 33, 9],
  [40, 8, 36],
  [13, 13, 50],
  [32, 32, 32],
  [5, 30, 7],
  [48, 12, 24],
  [64, 48, 40],
  [30, 70, 21],
  [100, 9, 60],
  [96, 96, 8],
];

describe("strategyTiles is the cheapest tile for the cost it claims", () => {
  it("equals an exhaustive search over every granule tile (fixed shapes, budgets, granules, element sizes)", () => {
    let cases = 0;
    let notLargestTk = 0;
    for (const [m, n, k] of SMALL_SHAPES) {
      for (const elementBytes of [1, 2, 4]) {
        for (const granule of [16, 8, 4, 3]) {
          for (const budgetBytes of [3 * elementBytes, 700, 2600, 5000, 9001]) {
            if (budgetBytes < 3 * elementBytes) continue;
            const p = { m, n, k, elementBytes };
            const g = expectedGranule(budgetBytes, elementBytes, granule);
            if (Math.ceil(m / g) * Math.ceil(n / g) * Math.ceil(k / g) > 20000) continue; // keep the enumeration small
            for (const s of STRATEGIES) {
              const want = bestByEnumeration(s, p, budgetBytes, g);
              expect(strategyTiles(p, s, { budgetBytes, granule }), `${s} ${m}x${n}x${k} eb${elementBytes} g${granule} ${budgetBytes}B`).toEqual(want);
              const tkMax = Math.floor((budgetBytes / elementBytes - want.m * want.n) / (want.m + want.n) / g) * g;
              if (want.k < Math.min(tkMax, up(k, g))) notLargestTk++;
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(500);
    // the optimum is often not "the largest Tk that fits" (the former rule's only candidate)
    expect(notLargestTk).toBeGreaterThan(50);
  });

  it("equals an exhaustive search on random small shapes, budgets, granules and element sizes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.constantFrom(1, 2, 4),
        fc.constantFrom(1, 2, 4, 6, 8, 16),
        fc.integer({ min: 3, max: 3000 }),
        (m, n, k, elementBytes, granule, budgetElements) => {
          const budgetBytes = budgetElements * elementBytes + (budgetElements % elementBytes); // not a multiple of eb
          const p = { m, n, k, elementBytes };
          const g = expectedGranule(budgetBytes, elementBytes, granule);
          fc.pre(Math.ceil(m / g) * Math.ceil(n / g) * Math.ceil(k / g) <= 30000);
          for (const s of STRATEGIES) expect(strategyTiles(p, s, { budgetBytes, granule })).toEqual(bestByEnumeration(s, p, budgetBytes, g));
        },
      ),
      { numRuns: 300, seed: 20240611 },
    );
  });
});

describe("the claimed cost against the L3 engine (l3Traffic, kpu model, rmw) at the reference L3 (one tile set)", () => {
  it("is exact when every tile along a dimension has the same size, an upper bound otherwise", () => {
    let exact = 0;
    let bounded = 0;
    let worstOver = 0; // claimed / engine - 1 with edge tiles
    for (const [m, n, k] of SMALL_SHAPES) {
      const p = { m, n, k, elementBytes: 4 };
      for (const t of allTiles(p, 6000, 4)) {
        const even = (d: number, e: number): boolean => d % e === 0 || e >= d;
        for (const s of STRATEGIES) {
          const engine = engineBytes(s, p, t);
          const claimed = claimedBytes(s, p, t);
          if (even(m, t.m) && even(n, t.n) && even(k, t.k)) {
            expect(engine, `${s} ${m}x${n}x${k} ${t.m},${t.n},${t.k}`).toBe(claimed);
            exact++;
          } else {
            expect(engine, `${s} ${m}x${n}x${k} ${t.m},${t.n},${t.k}`).toBeLessThanOrEqual(claimed);
            worstOver = Math.max(worstOver, claimed / engine - 1);
            bounded++;
          }
        }
      }
    }
    expect(exact).toBeGreaterThan(300);
    expect(bounded).toBeGreaterThan(1000);
    // small edge tiles (a 1-row remainder) let the one-tile-set L3 keep more than the claim assumes
    expect(worstOver).toBeGreaterThan(0.5);
  });

  it("the rule's pick moves at most 5% more than the engine-best tile of the enumerated space", () => {
    let cases = 0;
    let best = 0;
    let worst = 0;
    let worstKpuSim = 0;
    for (const [m, n, k] of SMALL_SHAPES) {
      for (const granule of [4, 8]) {
        for (const budgetBytes of [3 * granule * granule * 4, 1000, 2600, 5000, 9000]) {
          const p = { m, n, k, elementBytes: 4 };
          const g = expectedGranule(budgetBytes, 4, granule);
          const tiles = allTiles(p, budgetBytes, g);
          for (const s of STRATEGIES) {
            const engineBest = Math.min(...tiles.map((t) => engineBytes(s, p, t)));
            const pick = engineBytes(s, p, strategyTiles(p, s, { budgetBytes, granule }));
            const gap = pick / engineBest - 1;
            if (gap === 0) best++;
            worst = Math.max(worst, gap);
            worstKpuSim = Math.max(worstKpuSim, engineBytes(s, p, kpuSimTiles(p, { budgetBytes, granule })) / engineBest - 1);
            cases++;
          }
        }
      }
    }
    // measured: 390 cases, the pick is engine-best in 388, worst gap 5.0% (WS 40x8x36 at 2600 B: 8,8,24 pads less
    // than the engine-best 8,8,32, whose 4-row edge tile is caught by the L3); kpu-sim's rule is up to 194% above
    expect(cases).toBe(390);
    expect(best / cases).toBeGreaterThan(0.99);
    expect(worst).toBeLessThanOrEqual(0.05 + 1e-12);
    expect(worstKpuSim).toBeGreaterThan(1);
  });
});

describe("both rules are total", () => {
  const budget = fc
    .record({ eb: fc.constantFrom(1, 2, 4), bytes: fc.integer({ min: 3, max: 1024 * 1024 }) })
    .map(({ eb, bytes }) => ({ eb, bytes: Math.max(3 * eb, bytes) }))
    .filter(({ bytes }) => (bytes & (bytes - 1)) !== 0); // not powers of two

  it("positive tiles on the granule grid that fit the budget and are at most the dimension rounded up", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        budget,
        fc.integer({ min: 1, max: 64 }),
        (m, n, k, { eb, bytes }, granule) => {
          const p = { m, n, k, elementBytes: eb };
          const g = expectedGranule(bytes, eb, granule);
          const rules = [kpuSimTiles(p, { budgetBytes: bytes, granule }), ...STRATEGIES.map((s) => strategyTiles(p, s, { budgetBytes: bytes, granule }))];
          for (const t of rules) {
            for (const [edge, dim] of [
              [t.m, m],
              [t.n, n],
              [t.k, k],
            ] as const) {
              expect(Number.isSafeInteger(edge) && edge > 0).toBe(true);
              expect(edge % g).toBe(0);
              expect(edge).toBeLessThanOrEqual(up(dim, g));
            }
            expect(setElements(t) * eb).toBeLessThanOrEqual(bytes);
          }
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });

  it("a budget just above three elements gives 1x1x1 tiles; below it, a clear error", () => {
    const p = { m: 5000, n: 3, k: 77, elementBytes: 2 };
    for (const bytes of [6, 7, 9]) {
      expect(kpuSimTiles(p, { budgetBytes: bytes })).toEqual({ m: 1, n: 1, k: 1 });
      for (const s of STRATEGIES) expect(strategyTiles(p, s, { budgetBytes: bytes })).toEqual({ m: 1, n: 1, k: 1 });
    }
    expect(() => kpuSimTiles(p, { budgetBytes: 5 })).toThrow(/cannot hold one A, B and C element/);
    expect(() => strategyTiles(p, "ws", { budgetBytes: 5 })).toThrow(/cannot hold one A, B and C element/);
    expect(() => kpuSimTiles(p, { budgetBytes: 1000.5 })).toThrow(/whole number/);
  });
});
