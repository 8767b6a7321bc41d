import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { KpuError } from "@kpu/ir";
import { supportedLanes, type HostModel } from "./host.js";
import { fitRidge, predict, rng } from "./internal/ridge.js";
import { measureKernels, type MeasureOptions, type Measurement } from "./measure.js";
import { hostRules } from "./rules.js";
import { validateSchedule, type LoopNest } from "./schedule.js";
import { elementBytes, shapeFlops, shapeKey, type MatmulShape } from "./shapes.js";
import { tiledKey, tiledNr, tiledSchedule, type TiledParams } from "./template.js";

/** One autotuner trial as logged (JSON Lines, one object per line). */
export interface TrialRecord {
  readonly shape: string;
  readonly trial: number;
  readonly round: number;
  /** "verify": a re-measurement of one of the best candidates after the search, with a full timing window. */
  readonly source: "rule" | "random" | "evolved" | "verify";
  readonly key: string;
  readonly params: TiledParams;
  readonly ok: boolean;
  readonly medianUs?: number;
  readonly p10Us?: number;
  readonly gflops?: number;
  readonly reason?: string;
  /** The machine that measured the trial, when it was not this one (a `kpu worker` through `--queue`). */
  readonly measuredOn?: string;
}

/** A candidate to measure: its id within the batch, its parameters and the validated loop nest they give. */
export interface TuneCandidate {
  readonly id: string;
  readonly params: TiledParams;
  readonly nest: LoopNest;
}

/** Measures a batch of candidates, one measurement each in order; `measuredOn` names a remote machine. */
export type CandidateMeasurer = (candidates: readonly TuneCandidate[], options: MeasureOptions) => Promise<(Measurement & { readonly measuredOn?: string })[]>;

/** The local measurer: every candidate compiled and timed here, together (`measureKernels`). */
export const measureHere: CandidateMeasurer = (candidates, options) => measureKernels(candidates.map((c) => ({ id: c.id, kind: "nest" as const, nest: c.nest })), options);

export interface TuneProgress {
  readonly shape: MatmulShape;
  readonly trials: number;
  readonly budget: number;
  readonly bestGflops: number;
}

export interface TuneOptions {
  readonly host: HostModel;
  readonly threads: number;
  /** Measured trials per shape (default 256). */
  readonly trials?: number;
  /** Candidates compiled and measured together (default 32). */
  readonly batchSize?: number;
  /** Share of each batch drawn at random instead of by the cost model (default 0.2). */
  readonly epsilon?: number;
  readonly seed?: number;
  /** JSON Lines log: every trial is appended; trials already there are reused (resume). */
  readonly logPath?: string;
  readonly measure?: Omit<MeasureOptions, "host" | "threads">;
  /**
   * After the search, the best this-many candidates are measured again in one runner with a full window (default 4;
   * 0: off), and the best of those re-measurements is the result: a candidate whose short search window was lucky does
   * not become the tuner's answer.
   */
  readonly verifyTop?: number;
  readonly verifyMeasure?: Omit<MeasureOptions, "host" | "threads">;
  readonly onProgress?: (p: TuneProgress) => void;
  /** Where trials are measured (default `measureHere`; `@kpu/queue` measures on `kpu worker` processes of the host's class). */
  readonly measurer?: CandidateMeasurer;
}

export interface TuneResult {
  readonly shape: MatmulShape;
  readonly best: TrialRecord | undefined;
  readonly trials: readonly TrialRecord[];
  /** Best score (GFLOP/s at p10) after each search trial (the best-so-far curve; re-measurements not included). */
  readonly curve: readonly number[];
  /** The rule schedule's score (GFLOP/s at p10), when it was measured. */
  readonly ruleGflops: number | undefined;
}

const KC_CHOICES = [16, 32, 48, 64, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024];
const UNROLL_CHOICES = [1, 2, 4, 8];
const PREFETCH_CHOICES = [0, 8, 16, 32];

/**
 * The search space: the same TiledParams the rule engine fills in, with domains for this shape and host. Besides
 * single-factor steps, the mutations include the moves of the regime rules H11-H13 (all rows in one block, MC = M; one
 * column slab per thread, NC = ceil(N / threads); B packed once per KC x NC block; a KC of half the prefetcher's
 * streams), so that the search reaches those schedules from any start and "rules within 1.05x of the tuner" compares
 * the rules with a search that could have found something else in each regime.
 */
export class TiledSpace {
  readonly lanes: number[];
  constructor(
    readonly shape: MatmulShape,
    readonly host: HostModel,
    readonly threads = 1,
  ) {
    this.lanes = supportedLanes(host).slice(0, 2);
  }

  /** NC of one column slab per thread (H11, H12), in NR panels. */
  slab(p: TiledParams): number {
    const nr = tiledNr(p);
    return Math.ceil(Math.ceil(this.shape.n / this.threads) / nr) * nr;
  }

  kcChoices(): number[] {
    const list = KC_CHOICES.filter((c) => c < this.shape.k);
    return [...list, this.shape.k];
  }

  /** Snaps mc and nc to multiples of the tile and clamps everything into the domains. */
  normalize(p: TiledParams): TiledParams {
    const mr = Math.min(16, Math.max(1, Math.round(p.mr)));
    const nrVectors = Math.min(4, Math.max(1, Math.round(p.nrVectors)));
    const nr = nrVectors * p.lanes;
    const mTiles = Math.max(1, Math.ceil(this.shape.m / mr));
    const nTiles = Math.max(1, Math.ceil(this.shape.n / nr));
    const mc = mr * Math.min(mTiles, Math.max(1, Math.round(p.mc / mr)));
    const nc = nr * Math.min(nTiles, Math.max(1, Math.round(p.nc / nr)));
    const kc = Math.min(this.shape.k, Math.max(1, p.kc));
    return { ...p, mr, nrVectors, mc, nc, kc };
  }

  random(r: () => number): TiledParams {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const mr = 1 + Math.floor(r() * 16);
    const nrVectors = 1 + Math.floor(r() * 4);
    const lanes = pick(this.lanes);
    const nr = nrVectors * lanes;
    return this.normalize({
      mr,
      nrVectors,
      lanes,
      kc: pick(this.kcChoices()),
      mc: mr * (1 + Math.floor(r() * Math.ceil(this.shape.m / mr))),
      nc: nr * (1 + Math.floor(r() * Math.ceil(this.shape.n / nr))),
      order: r() < 0.5 ? "ij" : "ji",
      kUnroll: pick(UNROLL_CHOICES),
      packA: r() < 0.3,
      packB: r() < 0.5,
      prefetchB: pick(PREFETCH_CHOICES),
    });
  }

  /** Changes one or two tile factors or annotations. */
  mutate(p: TiledParams, r: () => number): TiledParams {
    let q: TiledParams = p;
    const changes = r() < 0.7 ? 1 : 2;
    for (let c = 0; c < changes; c++) {
      const which = Math.floor(r() * 13);
      const step = r() < 0.5 ? -1 : 1;
      const kcs = this.kcChoices();
      switch (which) {
        case 0:
          q = { ...q, mr: q.mr + step, mc: Math.round(q.mc / q.mr) * (q.mr + step) };
          break;
        case 1:
          q = { ...q, nrVectors: q.nrVectors + step, nc: Math.round(q.nc / tiledNr(q)) * (q.nrVectors + step) * q.lanes };
          break;
        case 2: {
          const n = Math.max(0, kcs.findIndex((k) => k >= q.kc));
          q = { ...q, kc: kcs[Math.min(kcs.length - 1, Math.max(0, n + step))]! };
          break;
        }
        case 3:
          q = { ...q, mc: step > 0 ? q.mc * 2 : Math.max(q.mr, q.mc / 2) };
          break;
        case 4:
          q = { ...q, nc: step > 0 ? q.nc + tiledNr(q) * Math.max(1, Math.round(q.nc / tiledNr(q) / 2)) : Math.max(tiledNr(q), q.nc / 2) };
          break;
        case 5:
          q = { ...q, order: q.order === "ij" ? "ji" : "ij" };
          break;
        case 6: {
          const n = UNROLL_CHOICES.indexOf(q.kUnroll);
          q = { ...q, kUnroll: UNROLL_CHOICES[Math.min(UNROLL_CHOICES.length - 1, Math.max(0, n + step))]! };
          break;
        }
        case 7:
          q = { ...q, packB: !q.packB };
          break;
        case 8: {
          const n = Math.max(0, PREFETCH_CHOICES.indexOf(q.prefetchB ?? 0));
          q = { ...q, prefetchB: PREFETCH_CHOICES[Math.min(PREFETCH_CHOICES.length - 1, Math.max(0, n + step))]! };
          break;
        }
        case 10:
          // H12 / H13: all rows in one block, so no two tasks read (or copy) the same B block.
          q = { ...q, mc: Math.ceil(this.shape.m / q.mr) * q.mr };
          break;
        case 11:
          // H11 / H12: one column slab per thread; or (H13) a packed block of a few panels.
          q = r() < 0.5 ? { ...q, nc: this.slab(q) } : { ...q, nc: tiledNr(q) * (1 + Math.floor(r() * 8)), packB: true };
          break;
        case 12:
          // H11: MR = M for a GEMV (no padded rows), KC of half the prefetcher's streams.
          q = r() < 0.5 && this.shape.m <= 16 ? { ...q, mr: this.shape.m, mc: this.shape.m } : { ...q, kc: Math.max(16, Math.round(this.host.prefetchStreams / 2 / 16) * 16) };
          break;
        default:
          if (r() < 0.5) q = { ...q, packA: !q.packA };
          else {
            const lanes = this.lanes[Math.floor(r() * this.lanes.length)]!;
            q = { ...q, lanes, nc: Math.round(q.nc / tiledNr(q)) * q.nrVectors * lanes };
          }
      }
    }
    return this.normalize(q);
  }

  /** Features for the cost model (log-scaled factors, derived working sets, task balance). */
  features(p: TiledParams, threads: number): number[] {
    const nr = tiledNr(p);
    const tasks = Math.ceil(this.shape.m / p.mc) * Math.ceil(this.shape.n / p.nc);
    const regs = p.mr * p.nrVectors + p.nrVectors + 1;
    const fullM = (Math.floor(this.shape.m / p.mr) * p.mr) / this.shape.m;
    const fullN = (Math.floor(this.shape.n / nr) * nr) / this.shape.n;
    const l1 = ((p.kc * (nr + p.mr) * 4) / this.host.l1d.bytes);
    const balance = tasks / (Math.ceil(tasks / threads) * threads);
    // Regime features: rows in one block, columns per thread's slab, and the B block's bytes against L2.
    const allRows = p.mc >= this.shape.m ? 1 : 0;
    const slabShare = p.nc / this.slab(p);
    const bBlock = (p.kc * p.nc * (p.packB ? 4 : elementBytes(this.shape))) / this.host.l2.bytes;
    const base = [
      Math.log2(p.mr),
      p.nrVectors,
      p.lanes / 16,
      Math.log2(p.kc),
      Math.log2(p.mc),
      Math.log2(p.nc),
      p.order === "ji" ? 1 : 0,
      Math.log2(p.kUnroll),
      p.packA ? 1 : 0,
      p.packB ? 1 : 0,
      (p.prefetchB ?? 0) / 16,
      regs / this.host.vectorRegisters,
      (p.mr * p.nrVectors) / (p.mr + p.nrVectors),
      fullM,
      fullN,
      Math.min(4, l1),
      balance,
      Math.log2(tasks),
      allRows,
      Math.min(4, slabShare),
      Math.min(8, bBlock),
    ];
    return [1, ...base, ...base.map((v) => v * v)];
  }
}

/**
 * The tuner's objective: GFLOP/s at the p10 latency. On a shared machine other processes only ever add time, so the
 * fast tail is the stable estimate of a candidate's speed; the median is still logged.
 */
export function trialScore(shape: MatmulShape, t: TrialRecord): number {
  return t.ok && t.p10Us !== undefined && t.p10Us > 0 ? shapeFlops(shape) / t.p10Us / 1e3 : 0;
}

function parseLog(path: string, key: string): TrialRecord[] {
  if (!existsSync(path)) return [];
  const out: TrialRecord[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, n) => {
      if (line.trim() === "") return;
      let rec: TrialRecord;
      try {
        rec = JSON.parse(line) as TrialRecord;
      } catch {
        throw new KpuError("KPU_BAD_SYNTAX", `line ${n + 1} is not JSON`, { where: `${path}:${n + 1}`, hint: "Fix or delete the log to start over." });
      }
      if (rec.shape === key) out.push(rec);
    });
  return out;
}

/** The `n` best-scoring measured trials, distinct by key, best first. */
function bestOf(trials: readonly TrialRecord[], score: (t: TrialRecord) => number, n: number): TrialRecord[] {
  const out: TrialRecord[] = [];
  for (const t of [...trials].filter((x) => score(x) > 0).sort((a, b) => score(b) - score(a))) {
    if (out.length >= n) break;
    if (!out.some((o) => o.key === t.key)) out.push(t);
  }
  return out;
}

/**
 * The tuner's answer among a shape's trials: the best of the re-measurement round that follows the last search round,
 * else (no such round: an older log, or `verifyTop` 0) the best search trial.
 */
export function tunerAnswer(trials: readonly TrialRecord[], score: (t: TrialRecord) => number): TrialRecord | undefined {
  const lastSearch = trials.reduce((r, t) => (t.source === "verify" ? r : Math.max(r, t.round)), -1);
  const verified = trials.filter((t) => t.source === "verify" && t.round > lastSearch && score(t) > 0);
  return bestOf(verified.length > 0 ? verified : trials.filter((t) => t.source !== "verify"), score, 1)[0];
}

/**
 * MetaSchedule-like autotuner over the rule engine's space: the first batch is the rule schedule plus random
 * candidates; then each round mutates the best measured candidates, ranks the mutants with a ridge-regression cost model
 * trained on every measurement so far (log GFLOP/s), and measures the top of the ranking plus an epsilon share of
 * random ones. Candidates are de-duplicated; illegal ones are rejected before measuring; failures are recorded. The
 * best few are measured again at the end (`verifyTop`), and the best re-measurement is the result.
 */
export async function tuneShape(shape: MatmulShape, options: TuneOptions): Promise<TuneResult> {
  const budget = options.trials ?? 256;
  const batchSize = options.batchSize ?? 32;
  const epsilon = options.epsilon ?? 0.2;
  const space = new TiledSpace(shape, options.host, options.threads);
  const key = shapeKey(shape);
  const r = rng((options.seed ?? 1) ^ (shape.m * 7919 + shape.n * 104729 + shape.k * 1299709));
  const trials: TrialRecord[] = options.logPath === undefined ? [] : parseLog(options.logPath, key);
  const seen = new Set(trials.map((t) => t.key));
  const rule = hostRules(shape, options.host, options.threads).params;
  // H1-H10 alone: in the regimes of H11-H13 the alternative they replaced, measured in the first batch beside the rule.
  const baseRule = hostRules(shape, options.host, options.threads, { regimes: false }).params;
  const gf = (t: TrialRecord): number => trialScore(shape, t);
  const legal = (p: TiledParams): LoopNest | undefined => {
    const v = validateSchedule(tiledSchedule("tuned", p), shape, options.host);
    return v.ok ? v.nest : undefined;
  };
  let round = trials.reduce((m, t) => Math.max(m, t.round + 1), 0);
  const progress = (): void => {
    options.onProgress?.({ shape, trials: trials.length, budget, bestGflops: Math.max(0, ...trials.map(gf)) });
  };
  const searched = (): TrialRecord[] => trials.filter((t) => t.source !== "verify");
  const record = (rec: TrialRecord): void => {
    trials.push(rec);
    if (options.logPath !== undefined) appendFileSync(options.logPath, `${JSON.stringify(rec)}\n`);
  };
  const measure = options.measurer ?? measureHere;
  const toRecord = (m: Measurement & { readonly measuredOn?: string }, params: TiledParams, source: TrialRecord["source"]): TrialRecord => {
    const on = m.measuredOn === undefined ? {} : { measuredOn: m.measuredOn };
    return m.ok
      ? { shape: key, trial: trials.length, round, source, key: tiledKey(params), params, ok: true, medianUs: m.medianUs, p10Us: m.p10Us, gflops: shapeFlops(shape) / m.medianUs / 1e3, ...on }
      : { shape: key, trial: trials.length, round, source, key: tiledKey(params), params, ok: false, reason: m.reason, ...on };
  };
  progress();
  while (searched().length < budget) {
    const want = Math.min(batchSize, budget - searched().length);
    const batch: { params: TiledParams; source: TrialRecord["source"]; nest: LoopNest }[] = [];
    const take = (p: TiledParams, source: TrialRecord["source"]): void => {
      const k = tiledKey(p);
      if (seen.has(k) || batch.length >= want) return;
      const nest = legal(p);
      if (nest === undefined) return;
      seen.add(k);
      batch.push({ params: p, source, nest });
    };
    if (!seen.has(tiledKey(rule))) take(rule, "rule");
    if (!seen.has(tiledKey(baseRule))) take(baseRule, "rule");
    const measured = searched().filter((t) => gf(t) > 0);
    if (measured.length < 8) {
      for (let tries = 0; batch.length < want && tries < 50 * want; tries++) take(space.random(r), "random");
    } else {
      const w = fitRidge(
        measured.map((t) => space.features(t.params, options.threads)),
        measured.map((t) => Math.log(gf(t))),
        0.1,
      );
      const parents = [...measured].sort((a, b) => gf(b) - gf(a)).slice(0, 16);
      const pool = new Map<string, TiledParams>();
      for (let n = 0; n < 1024 && pool.size < 512; n++) {
        const parent = parents[Math.floor(r() * r() * parents.length)]!;
        const child = space.mutate(parent.params, r);
        const k = tiledKey(child);
        if (!seen.has(k) && !pool.has(k)) pool.set(k, child);
      }
      const ranked = [...pool.values()]
        .map((p) => ({ p, score: predict(w, space.features(p, options.threads)) }))
        .sort((a, b) => b.score - a.score);
      const exploit = Math.ceil(want * (1 - epsilon));
      for (const c of ranked) {
        if (batch.length >= exploit) break;
        take(c.p, "evolved");
      }
      for (let tries = 0; batch.length < want && tries < 50 * want; tries++) take(space.random(r), "random");
    }
    if (batch.length === 0) break; // the space is exhausted
    const candidates = batch.map((b, n) => ({ id: `c${n}`, params: b.params, nest: b.nest }));
    const results = await measure(candidates, { maxSecondsPerKernel: 1, ...(options.measure ?? {}), host: options.host, threads: options.threads });
    results.forEach((m, n) => { record(toRecord(m, batch[n]!.params, batch[n]!.source)); });
    round++;
    progress();
  }
  // Re-measure the best candidates once the search is done (again after a resumed search added rounds).
  const verifyTop = options.verifyTop ?? 4;
  const lastSearchRound = searched().reduce((m, t) => Math.max(m, t.round), -1);
  if (verifyTop > 0 && !trials.some((t) => t.source === "verify" && t.round > lastSearchRound)) {
    round = lastSearchRound + 1;
    const top = bestOf(searched(), gf, verifyTop).flatMap((t) => {
      const nest = legal(t.params);
      return nest === undefined ? [] : [{ t, nest }];
    });
    const candidates = top.map((c, n) => ({ id: `v${n}`, params: c.t.params, nest: c.nest }));
    const results = candidates.length === 0 ? [] : await measure(candidates, { minWindowMs: 100, maxAttempts: 3, ...(options.verifyMeasure ?? {}), host: options.host, threads: options.threads });
    results.forEach((m, n) => { record(toRecord(m, top[n]!.t.params, "verify")); });
  }
  let bestSoFar = 0;
  const curve = searched().map((t) => (bestSoFar = Math.max(bestSoFar, gf(t))));
  const best = tunerAnswer(trials, gf);
  const ruleTrial = searched().find((t) => t.key === tiledKey(rule) && t.ok);
  return { shape, best, trials, curve, ruleGflops: ruleTrial === undefined ? undefined : gf(ruleTrial) };
}
