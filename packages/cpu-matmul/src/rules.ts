import { vectorLanes, type HostModel } from "./host.js";
import type { Schedule } from "./schedule.js";
import type { RuleDecision } from "./seed.js";
import { dtypeOf, elementBytes, type MatmulShape } from "./shapes.js";
import { regimeOf, regimeRules } from "./regimes.js";
import { tiledSchedule, type TiledParams } from "./template.js";

/** The rule engine's output: the parameters, the schedule, and every rule's decision with its reason. */
export interface RulePlan {
  readonly params: TiledParams;
  readonly schedule: Schedule;
  readonly decisions: readonly RuleDecision[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Score of an axis split into tiles: full tiles count 1 per element, edge tiles 1 / EDGE_SLOWDOWN. */
function edgeEfficiency(extent: number, tile: number): number {
  const full = (Math.floor(extent / tile) * tile) / extent;
  return full / (full + EDGE_SLOWDOWN * (1 - full));
}

/**
 * Penalty of an element in an edge tile against one in a full tile, in H3's score. Edge tiles run the register kernel
 * on padded operands (wasted lanes, a B copy, a write-back through a local tile). Calibrated: on M = 64 and 128, 6 x 64
 * tiles with one edge tile ran 5-8% slower than 8 x 48 tiles without one, although their FMAs per loaded element are
 * 10% higher; any value from 7 up reproduces that choice.
 */
export const EDGE_SLOWDOWN = 10;

/**
 * Busiest thread's work over the mean when OpenMP's static schedule deals the fused (row block, panel block) tasks, row
 * blocks outer, in contiguous chunks (the first T mod threads threads take one task more). Work = rows x panels.
 */
function staticImbalance(rowBlocks: readonly number[], panelBlocks: readonly number[], threads: number): number {
  const work = rowBlocks.flatMap((r) => panelBlocks.map((p) => r * p));
  const total = work.reduce((a, b) => a + b, 0);
  const base = Math.floor(work.length / threads);
  const extra = work.length % threads;
  let start = 0;
  let max = 0;
  for (let t = 0; t < threads; t++) {
    const n = base + (t < extra ? 1 : 0);
    max = Math.max(max, work.slice(start, start + n).reduce((a, b) => a + b, 0));
    start += n;
  }
  return total === 0 ? 1 : (max * threads) / total;
}

/**
 * Share of L2 the C block (MC x NC) of an unpacked-B task may take. Calibrated (AMD Zen 4, 2 threads, interleaved
 * rounds): on the 9 BERT shapes with M >= 128, C blocks of 1/4 and 1/8 of L2 gained 1.3% and 2.4% geomean over
 * NC = N / 2; a second run over all 24 shapes gave +0.8% (single shapes vary by about 5% between runs).
 */
const C_L2_SHARE = 1 / 8;

/** Extra imbalance H8 accepts for a wider NC: 2% of a thread's work. */
const SPLIT_SLACK = 0.02;

/** Bytes of a virtual-memory page: hardware prefetchers do not follow a stream across one. */
const PAGE_BYTES = 4096;

/**
 * Software prefetch distance of a streamed B, in k rows. Calibrated on the 24 BERT shapes (AMD Zen 4, 2 threads,
 * 4 interleaved rounds): 8 and 16 rows gained 1.7% and 1.4% geomean over none (up to 13% on 64 x 768 x 3072), 32 lost.
 */
export const PREFETCH_ROWS = 8;

/**
 * The host rule set H1-H10: every choice derived from the host model and the shape, no search (BLIS analytical model,
 * Low et al., "Analytical modeling is enough for high-performance BLIS", TOMS 2016).
 */
export function hostRules(shape: MatmulShape, host: HostModel, threads: number, options: { readonly regimes?: boolean } = {}): RulePlan {
  const d: RuleDecision[] = [];
  // Bytes of an element of A and B where they are read in place (2 for bf16); packed copies are float32 (4).
  const eb = elementBytes(shape);
  const bf16 = dtypeOf(shape) === "bf16";
  // H1: vector width.
  const lanes = Math.max(4, vectorLanes(host));
  d.push({ id: "H1", decides: "lanes", value: String(lanes), because: `vectorBits / 32 = ${host.vectorBits} / 32: the widest FMA the host has` });
  // H2: independent accumulators to hide FMA latency.
  const minAcc = host.fmaUnits * host.fmaLatencyCycles;
  d.push({ id: "H2", decides: "accumulators >=", value: String(minAcc), because: `fmaUnits x fmaLatency = ${host.fmaUnits} x ${host.fmaLatencyCycles} independent FMA chains keep every unit busy` });
  // H3: register tile.
  let best: { mr: number; nv: number; score: number; regs: number } | undefined;
  for (let nv = 1; nv <= 4; nv++) {
    for (let mr = 1; mr <= 16; mr++) {
      const regs = mr * nv + nv + 1;
      if (regs > host.vectorRegisters || mr * nv < minAcc) continue;
      const intensity = (mr * nv) / (mr + nv);
      const edge = edgeEfficiency(shape.m, mr) * edgeEfficiency(shape.n, nv * lanes);
      const score = intensity * edge;
      if (best === undefined || score > best.score + 1e-9 || (Math.abs(score - best.score) <= 1e-9 && regs < best.regs)) best = { mr, nv, score, regs };
    }
  }
  const mr = best?.mr ?? 1;
  const nv = best?.nv ?? 1;
  const nr = nv * lanes;
  d.push({
    id: "H3",
    decides: "MR x NR",
    value: `${mr} x ${nr} (${mr} x ${nv} vectors, ${mr * nv + nv + 1} registers)`,
    because: `max FMAs per loaded element MR*NRv/(MR+NRv) x edge efficiency f/(f + 10(1-f)) of M and N (f: share in full tiles; 10: calibrated edge-tile penalty), with MR*NRv + NRv + 1 <= ${host.vectorRegisters} registers and MR*NRv >= ${minAcc}`,
  });
  // H4: does B stay in this core's L2 between uses, or does every call stream it from L3 / DRAM?
  const bShareBytes = shape.k * Math.ceil(shape.n / threads) * eb;
  const streamB = bShareBytes > host.l2.bytes;
  // H5 (decided before KC because it changes KC): pack B when its rows conflict in L1 and a packed panel is reused enough.
  const wayBytes = host.l1d.bytes / host.l1d.ways;
  const strideBytes = shape.n * eb;
  const distinct = wayBytes / gcd(strideBytes % wayBytes === 0 ? wayBytes : strideBytes % wayBytes, wayBytes);
  const conflictRows = distinct * host.l1d.ways;
  const reuse = Math.ceil(shape.m / mr);
  // L1 ways of the B micro-panel (bBytes per element: a packed copy is float32, B read in place is eb) and of A's MR rows.
  const ways = (kc: number, bBytes: number): number => Math.ceil((kc * nr * bBytes) / wayBytes) + Math.ceil((kc * mr * eb) / wayBytes);
  const l1Bound = (bBytes: number): number => {
    let kc = 16;
    while (kc + 16 <= shape.k && ways(kc + 16, bBytes) <= host.l1d.ways - 1) kc += 16;
    return kc;
  };
  let kcL1 = l1Bound(eb);
  // H10 (decided here because it changes H5): B's rows are N * 4 bytes apart; once a page holds at most two of them,
  // the hardware prefetchers (which stop at page boundaries) no longer run ahead of a B streamed from L3 / DRAM, so the
  // code does it PREFETCH_ROWS rows ahead.
  const rowsPerPage = Math.floor(PAGE_BYTES / strideBytes);
  const prefetchB = streamB && rowsPerPage <= 2 ? PREFETCH_ROWS : 0;
  // A streamed B pays twice for a copy (its write and re-read compete with the stream for L2 bandwidth): ask for more
  // reuse. A prefetched B arrives in L1 just before its row is used, so conflicts no longer evict it early: no copy.
  const minReuse = streamB ? 8 : 4;
  const packB = prefetchB === 0 && reuse >= minReuse && Math.min(kcL1, shape.k) > conflictRows;
  // A packed bf16 B is widened to float32 by the copy: its micro-panel takes twice the L1 of one read in place.
  if (packB && eb !== 4) kcL1 = l1Bound(4);
  d.push({
    id: "H4",
    decides: "B residency",
    value: streamB ? "streamed from L3 / DRAM on every call" : "stays in L2",
    because: `this thread's share of B, K x ceil(N / ${threads}) x ${eb} B = ${bShareBytes} B, ${streamB ? "exceeds" : "fits"} L2 = ${host.l2.bytes} B`,
  });
  d.push({
    id: "H5",
    decides: "pack B",
    value: packB ? `yes, width ${nr}` : "no",
    because:
      prefetchB > 0
        ? `B is prefetched in software (H10): each row reaches L1 just before use, so L1 conflicts cost no misses and a copy only adds traffic`
        : `B rows ${strideBytes} B apart fall on ${distinct} L1 set group(s) (${conflictRows} rows fit) vs KC <= ${kcL1}; a packed panel is reused by ceil(M / MR) = ${reuse} register tiles (>= ${minReuse} pays for the copy${streamB ? " of a streamed B" : ""})`,
  });
  // H6: KC. Unpacked streamed B: each of the KC rows of a B panel is its own sequential stream, so KC stays near the
  // prefetcher's stream count; each register tile more that reuses the panel (ceil(M / MR)) buys compute time for a
  // quarter more streams. Calibrated on this rule's shapes (README). Otherwise the B micro-panel (KC x NR) and the A
  // micro-panel (MR x KC) fit L1 leaving a way free.
  const kcStream = Math.round((host.prefetchStreams * (1 + reuse / 4)) / 16) * 16;
  // A B prefetched in software (H10) no longer depends on the hardware prefetcher's stream count: the L1 bound applies.
  const hwStreams = !packB && streamB && prefetchB === 0;
  const kcBound = hwStreams ? Math.max(16, Math.min(kcL1, kcStream)) : kcL1;
  let kc = Math.min(kcBound, shape.k);
  for (let c = kc; c >= Math.max(16, kc / 2); c -= 16) {
    if (shape.k % c === 0) {
      kc = c;
      break;
    }
  }
  d.push({
    id: "H6",
    decides: "KC",
    value: String(kc),
    because:
      hwStreams
        ? `unpacked B streamed from beyond L2: the KC rows of a B panel are KC concurrent streams, prefetchStreams x (1 + ceil(M / MR) / 4) = ${host.prefetchStreams} x ${1 + reuse / 4}, rounded to 16`
        : `ceil(KC*NR*${packB ? 4 : eb}/way) + ceil(MR*KC*${eb}/way) <= ways - 1 = ${host.l1d.ways - 1} with way = ${wayBytes} B gives KC <= ${kcL1}; the largest multiple of 16 within half of that dividing K = ${shape.k}`,
  });
  // H7: MC so that the A block (MC x KC) takes at most half of L2.
  const mcBound = Math.max(mr, Math.floor(host.l2.bytes / 2 / (kc * eb) / mr) * mr);
  const mc = Math.min(mcBound, Math.ceil(shape.m / mr) * mr);
  d.push({ id: "H7", decides: "MC", value: String(mc), because: `A block MC x KC x ${eb} B <= L2 / 2 = ${host.l2.bytes / 2} B gives MC <= ${mcBound}; clamped to M rounded up to MR` });
  // H8: NC and the parallel split over the fused (MC, NC) tasks.
  const iBlocks = Math.ceil(shape.m / mc);
  const nPanels = Math.ceil(shape.n / nr);
  let nc: number;
  let ncWhy: string;
  if (packB) {
    nc = nr;
    ncWhy = `each task packs one KC x NR panel into L1 and all ${Math.ceil(mc / mr)} register tiles of its MC rows use it at once (a wider packed block would be written out to L2 and read back); the C block MC x NR stays in L2 across the K / KC passes; ${iBlocks} x ${nPanels} tasks split evenly over ${threads} threads`;
  } else {
    // The B block stays in L3; the C block, read and written on every KC pass, stays in L2 within C_L2_SHARE of it
    // (beside the A block and the B rows in flight).
    const ncL3 = Math.floor(host.l3.bytes / 2 / (kc * eb));
    const ncL2 = Math.floor((host.l2.bytes * C_L2_SHARE) / (mc * 4));
    const ncBound = Math.max(nr, Math.floor(Math.min(ncL3, ncL2) / nr) * nr);
    // The widest NC within the bound whose tasks OpenMP's static schedule spreads within SPLIT_SLACK of the most even
    // split any NC gives (small M still feeds every core).
    const rowBlocks = Array.from({ length: iBlocks }, (_, b) => Math.min(mc, shape.m - b * mc));
    const widths = Array.from({ length: Math.max(1, Math.min(nPanels, Math.floor(ncBound / nr))) }, (_, n) => n + 1);
    const imbalance = widths.map((p) => staticImbalance(rowBlocks, Array.from({ length: Math.ceil(nPanels / p) }, (_, b) => Math.min(p, nPanels - b * p)), threads));
    const even = Math.min(...imbalance);
    const pick = widths.length - 1 - [...imbalance].reverse().findIndex((x) => x <= even + SPLIT_SLACK);
    const best = { panels: widths[pick]!, imbalance: imbalance[pick]! };
    nc = best.panels * nr;
    ncWhy = `B block KC x NC x ${eb} B <= L3 / 2 = ${host.l3.bytes / 2} B and C block MC x NC x 4 B <= L2 x ${C_L2_SHARE} = ${host.l2.bytes * C_L2_SHARE} B give NC <= ${ncBound}; the widest NC (in NR panels) whose tasks OpenMP's static schedule spreads over ${threads} threads with the least imbalance (${((best.imbalance - 1) * 100).toFixed(1)}% above even), so small M still feeds every core`;
  }
  const tasks = iBlocks * Math.ceil(shape.n / nc);
  d.push({ id: "H8", decides: "NC, parallel split", value: `NC = ${nc}; fuse(ic, jc): ${iBlocks} x ${Math.ceil(shape.n / nc)} = ${tasks} tasks of ${mc} x ${nc}`, because: ncWhy });
  d.push({ id: "H9", decides: "order, pack A, unroll", value: "jr outside ir; no pack A; k not unrolled", because: "the B micro-panel stays in L1 across the MR tiles (BLIS loop 2); A's MR rows are MR sequential streams the prefetcher follows; the compiler schedules the k loop" });
  d.push({
    id: "H10",
    decides: "prefetch B",
    value: prefetchB > 0 ? `${prefetchB} rows ahead` : "no",
    because: `B ${streamB ? "streams from beyond L2 (H4)" : "stays in L2 (H4)"} and a ${PAGE_BYTES} B page holds ${rowsPerPage} of its ${strideBytes} B rows; hardware prefetchers stop at pages, so a streamed B with <= 2 rows per page is prefetched in software ${PREFETCH_ROWS} rows ahead (calibrated)`,
  });
  const base: TiledParams = { mr, nrVectors: nv, lanes, kc, mc, nc, order: "ji", kUnroll: 1, packA: false, packB, ...(prefetchB > 0 ? { prefetchB } : {}) };
  // H11-H13: GEMV, and B beyond L3 (read at memory bandwidth, or packed once per block).
  // `regimes: false` gives H1-H10 alone (the alternative the README measures H11-H13 against).
  const regime = options.regimes === false ? undefined : regimeRules(shape, host, threads, base, l1Bound(4));
  let params = regime?.params ?? base;
  d.push(...(regime?.decisions ?? [{ id: "H11-H13", decides: "regime", value: "none", because: `M = ${shape.m} > 4 and B (${shape.k * shape.n * eb} B) fits L3 / 2 = ${host.l3.bytes / 2} B: H1-H10 as they are` }]));
  // H14: bf16. The bytes of A and B are halved everywhere above (eb). With the bf16 dot product (twice the float32
  // FMA rate) the compute-bound regimes pack B in k-pairs, the layout vdpbf16ps reads; the bandwidth-bound ones (GEMV,
  // B streamed at memory bandwidth) and hosts without it widen bf16 to float32 where it is read.
  if (bf16) {
    const regimeName = options.regimes === false ? "cached" : regimeOf(shape, host, mr);
    const dot = host.bf16Dot === true && params.lanes === 16 && (regimeName === "cached" || regimeName === "weights-block");
    if (dot) {
      const { prefetchB: _drop, ...rest } = params;
      // The pairs panel (KC x NR x 2 B) and A's MR rows (MR x KC x 2 B) within the L1 bound of H6.
      const kcPairs = Math.min(shape.k, l1Bound(2));
      params = { ...rest, packA: false, packB: true, kc: kcPairs, nc: params.packB ? params.nc : nr };
    }
    d.push({
      id: "H14",
      decides: "bf16 kernel",
      value: dot ? `bf16 dot product (vdpbf16ps): B packed in k-pairs NR = ${nr} wide, KC = ${params.kc}, A's pairs read in place` : "widen bf16 to float32 (16-bit shift) where read, float32 FMAs",
      because: dot
        ? `the host has AVX512-BF16: two multiply-adds per lane per instruction, twice the float32 peak, on k-pairs of B; the ${regimeName} regime is compute-bound, so the pair copy pays (twice the register tiles must reuse a block streamed from DRAM, H12 / H13)`
        : host.bf16Dot === true
          ? `the ${regimeName} regime is bound by the bytes of B (halved by bf16), not by FMAs: B is read in place and widened, no pair copy`
          : "no AVX512-BF16 on this host: the float32 FMA on widened operands, so bf16 gains only its halved bytes (bandwidth-bound shapes up to 2x, compute-bound ones none)",
    });
  }
  return { params, schedule: tiledSchedule("host-rules", params), decisions: d };
}
