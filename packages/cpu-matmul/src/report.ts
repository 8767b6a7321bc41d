import { heatmapSvg, lineChartSvg } from "@kpu/plot";
import { describeHost } from "./host.js";
import { PEERS, isPeer, type PeerName } from "./peers.js";
import { docRoofline, geomean, geomeanRatio, rooflineGeomean, rooflineOf, variantSummary, type BenchResult, type ResultsDoc, type StreamLevel } from "./results.js";
import { VARIANTS, type Variant } from "./variants.js";

/** `.bf16` after names of bf16 measurements: their kernels, classes and shapes are kept apart from float32 ones. */
const dt = (r: { dtype?: "bf16" }): string => (r.dtype === undefined ? "" : `.${r.dtype}`);

function kernelOf(r: { kernel?: string; n: number; k: number; dtype?: "bf16" }): string {
  return `${r.kernel ?? `N${r.n}_K${r.k}`}${dt(r)}`;
}

/** Pivot per kernel (as the seed's print script): one row per variant, one column per M, cells median latency in us. */
export function pivotTables(doc: ResultsDoc): { kernel: string; n: number; k: number; ms: number[]; rows: { variant: Variant; cells: (BenchResult | undefined)[] }[] }[] {
  const kernels = [...new Set(doc.results.map(kernelOf))];
  return kernels.map((kernel) => {
    const rs = doc.results.filter((r) => kernelOf(r) === kernel);
    const ms = [...new Set(rs.map((r) => r.m))].sort((a, b) => a - b);
    const variants = VARIANTS.filter((v) => rs.some((r) => r.variant === v));
    return {
      kernel,
      n: rs[0]!.n,
      k: rs[0]!.k,
      ms,
      rows: variants.map((variant) => ({ variant, cells: ms.map((m) => rs.find((r) => r.variant === variant && r.m === m)) })),
    };
  });
}

/** The headline numbers: geometric means and the issue's target ratios. */
export function headline(doc: ResultsDoc): string[] {
  const lines: string[] = [];
  lines.push(`host: ${describeHost(doc.host)}`);
  lines.push(`compiler: ${doc.compiler.command} (${doc.compiler.version}) ${doc.compiler.flags.join(" ")}`);
  const peers = doc.peers ?? { openblas: doc.openblas };
  lines.push(`threads: ${doc.threads}`);
  for (const peer of PEERS) {
    const p = peers[peer];
    if (p !== undefined && (p.available || doc.results.some((r) => r.variant === peer) || doc.failures.some((f) => f.variant === peer))) {
      lines.push(`${peer}: ${p.available ? `selected ${p.core ?? "?"}; ` : "missing; "}${p.note}`);
    }
  }
  if (doc.peakGflops !== undefined) lines.push(`FMA peak (measured, ${doc.threads} threads): ${doc.peakGflops.toFixed(1)} GFLOP/s`);
  if (doc.bf16PeakGflops !== undefined) {
    lines.push(
      `bf16 FMA peak (measured, ${doc.threads} threads): ${doc.bf16PeakGflops.toFixed(1)} GFLOP/s, ${doc.bf16Native === true ? "native vdpbf16ps" : "fallback: float32 FMAs on bf16 widened by a shift, one widened vector per FMA (no AVX512-BF16 on this host)"}`,
    );
  }
  const roof = rooflineGeomean(doc, "host-rules");
  const bw = doc.bandwidthGBps;
  if (doc.kernelCeilingGflops !== undefined && (doc.streamGBps !== undefined || bw !== undefined)) {
    const share = doc.peakGflops === undefined ? "" : ` (${((100 * doc.kernelCeilingGflops) / doc.peakGflops).toFixed(1)}% of FMA peak)`;
    const bandwidth = bw !== undefined ? `read bandwidth L2 ${bw.l2.toFixed(1)}, L3 ${bw.l3.toFixed(1)}, DRAM ${bw.dram.toFixed(1)} GB/s` : `stream bandwidth beyond L2: ${doc.streamGBps!.toFixed(1)} GB/s`;
    lines.push(`register-kernel ceiling (L1-resident panels): ${doc.kernelCeilingGflops.toFixed(1)} GFLOP/s${share}; ${bandwidth}`);
    if (roof !== undefined) {
      const ofPeak = doc.peakGflops === undefined ? "" : ` = ${((100 * roof) / doc.peakGflops).toFixed(1)}% of FMA peak`;
      const what = bw !== undefined ? "ceiling, or moving the operands from the level they stream from" : "ceiling, or streaming B at that bandwidth";
      lines.push(`roofline bound (${what}), geomean over the host-rules shapes: ${roof.toFixed(1)} GFLOP/s${ofPeak}`);
    }
  }
  const pct = (g: number): string => (doc.peakGflops === undefined ? "" : ` ${((100 * g) / doc.peakGflops).toFixed(1).padStart(5)}% of peak`);
  lines.push("geomean GFLOP/s            at median             at p10");
  for (const s of variantSummary(doc)) {
    lines.push(`  ${`${s.variant}${s.dtype === "bf16" ? ".bf16" : ""}`.padEnd(15)} ${s.geomeanGflops.toFixed(1).padStart(7)}${pct(s.geomeanGflops)}  ${s.geomeanGflopsP10.toFixed(1).padStart(7)}${pct(s.geomeanGflopsP10)}  (${s.shapes} shapes)`);
  }
  const has = (v: Variant): boolean => doc.results.some((r) => r.variant === v);
  const both = (a: Variant, b: Variant, invert: boolean): string => {
    const f = (x: number): string => (invert ? 1 / x : x).toFixed(3);
    return `${f(geomeanRatio(doc, a, b))}x at median, ${f(geomeanRatio(doc, a, b, "p10"))}x at p10`;
  };
  const hostRules = variantSummary(doc).find((v) => v.variant === "host-rules" && v.dtype === "f32");
  if (roof !== undefined && hostRules !== undefined) {
    lines.push(`host-rules at ${((100 * hostRules.geomeanGflops) / roof).toFixed(1)}% of the roofline bound (geomean)`);
  }
  if (has("host-rules") && has("openblas")) lines.push(`host-rules / openblas throughput: ${both("host-rules", "openblas", false)} (target >= 1.25x)`);
  for (const peer of ["blis", "onednn"] as const) {
    if (has("host-rules") && has(peer)) lines.push(`host-rules / ${peer} throughput: ${both("host-rules", peer, false)}`);
  }
  if (has("host-rules") && has("tuned")) lines.push(`host-rules latency / tuned latency: ${both("host-rules", "tuned", true)} (target <= 1.05x)`);
  if (has("seed-rules") && has("tuned")) lines.push(`seed-rules latency / tuned latency: ${both("seed-rules", "tuned", true)} (the seed reported 1.23-1.32x vs MetaSchedule)`);
  if (has("host-rules") && has("seed-rules")) lines.push(`host-rules / seed-rules throughput: ${both("host-rules", "seed-rules", false)}`);
  const b = bf16Summary(doc);
  if (b !== undefined) {
    const parts = b.byBound.map((x) => `${x.bound}-bound ${x.ratio.toFixed(3)}x over ${x.shapes}`).join(", ");
    lines.push(`host-rules bf16 / f32 throughput: ${b.ratio.toFixed(3)}x geomean over ${b.shapes} shapes measured in both (${parts}); target >= 1.6x on compute-bound shapes`);
  }
  const noisy = doc.results.filter((r) => r.noisy).length;
  if (noisy > 0) lines.push(`warning: ${noisy} measurement(s) stayed disturbed after re-measuring (stolen CPU time or a slow canary; flagged noisy)`);
  if (doc.failures.length > 0) lines.push(`failed: ${doc.failures.length} variant x shape (see failures)`);
  return lines;
}

/** Geomeans of one workload class: host rules, each peer, the ratio host rules / peer, and against the best peer. */
export interface ClassSummary {
  readonly shapeClass: string;
  readonly shapes: number;
  readonly hostRulesGflops: number;
  readonly peers: readonly { readonly peer: PeerName; readonly gflops: number; readonly ratio: number; readonly worst: number }[];
  /** Host rules over the fastest peer of the class (by geomean), when any peer was measured. */
  readonly vsBestPeer?: { readonly peer: PeerName; readonly ratio: number };
  /** Host rules' geomean share of the roofline bound, when the doc has the probe's figures. */
  readonly rooflineShare?: number;
}

const classOf = (r: { shapeClass?: string; dtype?: "bf16" }): string => `${r.shapeClass ?? "all"}${dt(r)}`;
const shapeId = (r: { m: number; n: number; k: number; dtype?: "bf16" }): string => `${r.m}x${r.n}x${r.k}${dt(r)}`;

/** Per workload class (`shapeClass`; `all` for shapes without one): host rules against every peer measured. */
export function classSummary(doc: ResultsDoc): ClassSummary[] {
  const host = doc.results.filter((r) => r.variant === "host-rules");
  const classes = [...new Set(host.map(classOf))];
  return classes.map((shapeClass) => {
    const mine = host.filter((r) => classOf(r) === shapeClass);
    const peers = PEERS.flatMap((peer) => {
      const theirs = new Map(doc.results.filter((r) => r.variant === peer && classOf(r) === shapeClass).map((r) => [shapeId(r), r]));
      const pairs = mine.filter((r) => theirs.has(shapeId(r))).map((r) => [r, theirs.get(shapeId(r))!] as const);
      if (pairs.length === 0) return [];
      const ratios = pairs.map(([a, b]) => b.medianUs / a.medianUs);
      return [{ peer, gflops: geomean(pairs.map(([, b]) => b.gflops)), ratio: geomean(ratios), worst: Math.min(...ratios) }];
    });
    const best = [...peers].sort((a, b) => b.gflops - a.gflops)[0];
    const bounds = mine.map((r) => docRoofline(doc, r));
    const share = bounds.every((b) => b !== undefined) ? geomean(mine.map((r, n) => r.gflops / bounds[n]!)) : undefined;
    return {
      shapeClass,
      shapes: mine.length,
      hostRulesGflops: geomean(mine.map((r) => r.gflops)),
      peers,
      ...(best === undefined ? {} : { vsBestPeer: { peer: best.peer, ratio: best.ratio } }),
      ...(share === undefined ? {} : { rooflineShare: share }),
    };
  });
}

/** One shape's roofline next to what the host rules and the fastest peer reached. */
export interface RooflineRow {
  readonly shapeClass: string;
  readonly kernel?: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly dtype?: "bf16";
  readonly level: StreamLevel;
  readonly bound: "compute" | "bandwidth";
  readonly boundGflops: number;
  readonly hostRulesGflops: number;
  readonly bestPeer?: { readonly peer: PeerName; readonly gflops: number };
}

/** The roofline bound per host-rules shape (schemaVersion 4 files, which carry the bandwidth of every level). */
export function rooflineRows(doc: ResultsDoc): RooflineRow[] {
  const ceiling = doc.kernelCeilingGflops;
  const bw = doc.bandwidthGBps;
  if (ceiling === undefined || bw === undefined) return [];
  return doc.results
    .filter((r) => r.variant === "host-rules")
    .map((r) => {
      const bf16 = r.dtype === "bf16";
      const roof = rooflineOf(r, doc.host, doc.threads, ceiling * (bf16 && doc.bf16Native === true ? 2 : 1), bw, bf16 ? 2 : 4);
      const peer = doc.results.filter((p) => isPeer(p.variant) && shapeId(p) === shapeId(r)).sort((a, b) => b.gflops - a.gflops)[0];
      return {
        shapeClass: classOf(r),
        ...(r.kernel === undefined ? {} : { kernel: r.kernel }),
        m: r.m,
        n: r.n,
        k: r.k,
        ...(r.dtype === undefined ? {} : { dtype: r.dtype }),
        level: roof.level,
        bound: roof.bound,
        boundGflops: roof.gflops,
        hostRulesGflops: r.gflops,
        ...(peer === undefined ? {} : { bestPeer: { peer: peer.variant as PeerName, gflops: peer.gflops } }),
      };
    });
}

/** SVG plots: latency against M per variant, one chart per kernel, and a heatmap of speed-up over the baseline. */
export async function reportSvgs(doc: ResultsDoc): Promise<{ name: string; svg: string }[]> {
  const out: { name: string; svg: string }[] = [];
  for (const t of pivotTables(doc)) {
    const points = t.rows.flatMap((row) => row.cells.flatMap((c) => (c === undefined ? [] : [{ x: c.m, y: c.medianUs, series: row.variant }])));
    out.push({
      name: `latency-${t.kernel}.svg`,
      svg: await lineChartSvg(points, { title: `${t.kernel} (N=${t.n}, K=${t.k}): median latency, ${doc.threads} threads`, xTitle: "M", yTitle: "latency (us)", yLog: true }),
    });
  }
  const ref: Variant | undefined = (["baseline", "seed-rules", "openblas"] as const).find((v) => doc.results.some((r) => r.variant === v));
  if (ref !== undefined) {
    const base = new Map(doc.results.filter((r) => r.variant === ref).map((r) => [`${kernelOf(r)}/${r.m}`, r.medianUs]));
    const cells = doc.results.flatMap((r) => {
      const b = base.get(`${kernelOf(r)}/${r.m}`);
      return b === undefined ? [] : [{ x: `${kernelOf(r)} M=${r.m}`, y: r.variant, value: b / r.medianUs, label: (b / r.medianUs).toFixed(1) }];
    });
    const xSort = pivotTables(doc).flatMap((t) => t.ms.map((m) => `${t.kernel} M=${m}`));
    out.push({
      name: "speedup-heatmap.svg",
      svg: await heatmapSvg(cells, { title: `speed-up over ${ref}`, xTitle: "kernel and M", yTitle: "variant", xSort, ySort: VARIANTS.filter((v) => doc.results.some((r) => r.variant === v)) }),
    });
  }
  return out;
}

/** The autotuner's best-so-far curve (GFLOP/s against trial), one line per shape. */
export function tuneCurveSvg(results: readonly { readonly shape: { m: number; n: number; k: number }; readonly curve: readonly number[] }[], threads: number): Promise<string> {
  const points = results.flatMap((r) => r.curve.map((y, x) => ({ x: x + 1, y, series: `${r.shape.m}x${r.shape.n}x${r.shape.k}` })));
  return lineChartSvg(points, { title: `autotuner best-so-far, ${threads} threads`, xTitle: "trial", yTitle: "best GFLOP/s" });
}

/**
 * Host rules in bf16 against host rules in float32, over the shapes measured in both: the geomean of bf16 / f32
 * throughput, overall and per roofline bound of the float32 shape (compute or bandwidth; "all" without the probe).
 */
export function bf16Summary(doc: ResultsDoc): { shapes: number; ratio: number; byBound: { bound: string; shapes: number; ratio: number }[] } | undefined {
  const f32 = new Map(doc.results.filter((r) => r.variant === "host-rules" && r.dtype === undefined).map((r) => [`${r.m}x${r.n}x${r.k}`, r]));
  const pairs = doc.results.filter((r) => r.variant === "host-rules" && r.dtype === "bf16" && f32.has(`${r.m}x${r.n}x${r.k}`)).map((r) => [r, f32.get(`${r.m}x${r.n}x${r.k}`)!] as const);
  if (pairs.length === 0) return undefined;
  const ceiling = doc.kernelCeilingGflops;
  const bw = doc.bandwidthGBps;
  const boundOf = (r: BenchResult): string => (ceiling === undefined || bw === undefined ? "all" : rooflineOf(r, doc.host, doc.threads, ceiling, bw).bound);
  const groups = new Map<string, (readonly [BenchResult, BenchResult])[]>();
  for (const p of pairs) groups.set(boundOf(p[1]), [...(groups.get(boundOf(p[1])) ?? []), p]);
  const ratio = (ps: readonly (readonly [BenchResult, BenchResult])[]): number => geomean(ps.map(([b, f]) => f.medianUs / b.medianUs));
  return { shapes: pairs.length, ratio: ratio(pairs), byBound: [...groups].map(([bound, ps]) => ({ bound, shapes: ps.length, ratio: ratio(ps) })) };
}
