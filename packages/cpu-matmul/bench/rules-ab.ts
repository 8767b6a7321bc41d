// `pnpm --filter @kpu/cpu-matmul bench:ab`: the side-by-side measurements behind the regime rules (README, "Rules for
// LLM-scale weights, GEMV and odd sizes"). Each case is a shape and alternatives of the tiled parameters (the rule's
// choice first), measured with the peers in one runner, in KPU_AB_ROUNDS interleaved rounds (default 3); the median
// over rounds of each alternative's median latency is printed with its ratio to the rule's choice.
import { describeHost, detectHost, hostRules, measureKernels, shapeFlops, tiledSchedule, validateSchedule, type KernelSpec, type MatmulShape, type TiledParams } from "../src/index.js";

const host = detectHost();
const threads = Number(process.env.KPU_BENCH_THREADS ?? 2);
const rounds = Number(process.env.KPU_AB_ROUNDS ?? 3);
const only = process.env.KPU_AB_CASES?.split(",");

type Alt = { readonly label: string; readonly params: (rule: TiledParams, s: MatmulShape) => TiledParams | "peer" };
interface Case {
  readonly name: string;
  readonly shapes: readonly MatmulShape[];
  readonly alts: readonly Alt[];
}

const rule: Alt = { label: "rules", params: (p) => p };
const h10: Alt = { label: "H1-H10", params: (_, s) => hostRules(s, host, threads, { regimes: false }).params };
const peers: Alt[] = [
  { label: "openblas", params: () => "peer" },
  { label: "onednn", params: () => "peer" },
];
const slab = (s: MatmulShape, nr: number): number => Math.ceil(s.n / threads / nr) * nr;
const CASES: Case[] = [
  {
    name: "gemv",
    shapes: [{ m: 1, n: 4096, k: 4096 }, { m: 4, n: 14336, k: 4096 }, { m: 1, n: 3584, k: 18944 }],
    alts: [
      rule,
      h10,
      { label: "kc=32", params: (p) => ({ ...p, kc: 32 }) },
      { label: "kc=128", params: (p) => ({ ...p, kc: 128 }) },
      { label: "pf8", params: (p) => ({ ...p, prefetchB: 8 }) },
      { label: "nc=NR (many tasks)", params: (p) => ({ ...p, nc: 64 }) },
      ...peers,
    ],
  },
  {
    name: "decode",
    shapes: [{ m: 16, n: 4096, k: 4096 }, { m: 16, n: 14336, k: 4096 }, { m: 16, n: 3584, k: 18944 }],
    alts: [
      rule,
      h10,
      { label: "kc=32", params: (p) => ({ ...p, kc: 32 }) },
      { label: "no prefetch", params: (p) => ({ ...p, prefetchB: 0 }) },
      { label: "packB nc=NR", params: (p) => ({ ...p, packB: true, prefetchB: 0, nc: p.nrVectors * p.lanes }) },
      ...peers,
    ],
  },
  {
    name: "prefill",
    shapes: [{ m: 128, n: 14336, k: 4096 }, { m: 512, n: 4096, k: 4096 }, { m: 128, n: 4096, k: 14336 }],
    alts: [
      rule,
      h10,
      { label: "packB nc=NR", params: (p) => ({ ...p, nc: p.nrVectors * p.lanes }) },
      { label: "packB nc x2", params: (p, s) => ({ ...p, nc: Math.min(slab(s, p.nrVectors * p.lanes), 2 * p.nc) }) },
      { label: "packB pf8", params: (p) => ({ ...p, prefetchB: 8 }) },
      { label: "mc=M/2", params: (p, s) => ({ ...p, mc: Math.ceil(s.m / 2 / p.mr) * p.mr }) },
      ...peers,
    ],
  },
];

console.log(`host: ${describeHost(host)}; ${threads} threads; ${rounds} interleaved rounds`);
for (const c of CASES.filter((x) => only === undefined || only.includes(x.name))) {
  const specs: KernelSpec[] = [];
  for (const shape of c.shapes) {
    const base = hostRules(shape, host, threads).params;
    for (const alt of c.alts) {
      const id = `${alt.label}@${shape.m}x${shape.n}x${shape.k}`;
      const p = alt.params(base, shape);
      if (p === "peer") {
        specs.push({ id, kind: "peer", peer: alt.label as "openblas" | "onednn", shape });
        continue;
      }
      const v = validateSchedule(tiledSchedule(alt.label, p), shape, host);
      if (!v.ok) console.log(`  ${id}: illegal (${v.reason})`);
      else specs.push({ id, kind: "nest", nest: v.nest });
    }
  }
  const medians = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    const out = await measureKernels(r % 2 === 0 ? specs : [...specs].reverse(), { host, threads, minRuns: 10, minWindowMs: 150, maxAttempts: 3 });
    for (const m of out) {
      if (m.ok) medians.set(m.id, [...(medians.get(m.id) ?? []), m.medianUs]);
      else console.log(`  ${m.id}: ${m.reason}`);
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${c.name}: GFLOP/s (median of ${rounds} rounds' medians), ratio to the rules`);
  for (const shape of c.shapes) {
    const key = `${shape.m}x${shape.n}x${shape.k}`;
    const ruleUs = medians.get(`rules@${key}`);
    const row = c.alts.map((alt) => {
      const us = medians.get(`${alt.label}@${key}`);
      return us === undefined ? `${alt.label} -` : `${alt.label} ${(shapeFlops(shape) / med(us) / 1e3).toFixed(1)}${ruleUs === undefined ? "" : ` (${(med(ruleUs) / med(us)).toFixed(2)}x)`}`;
    });
    console.log(`  ${key}: ${row.join(" | ")}`);
  }
}
