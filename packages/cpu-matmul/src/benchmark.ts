import { existsSync, readFileSync } from "node:fs";
import { findCompiler, type CCompiler } from "./compiler.js";
import type { HostModel } from "./host.js";
import { measureKernels, type KernelSpec, type MeasureOptions } from "./measure.js";
import { PEERS, PEER_INFO, isPeer, peerMissingReason, type PeerName, type PeerStatus } from "./peers.js";
import { RESULTS_SCHEMA_VERSION, type BenchFailure, type BenchResult, type ResultsDoc } from "./results.js";
import { validateSchedule } from "./schedule.js";
import { dtypeOf, shapeFlops, shapeKey, type MatmulShape } from "./shapes.js";
import type { TiledParams } from "./template.js";
import { trialScore, tunerAnswer, type TrialRecord } from "./tuner.js";
import { variantSchedule, type Variant } from "./variants.js";

export interface BenchOptions {
  readonly host: HostModel;
  readonly threads: number;
  readonly compiler?: CCompiler;
  /** Best parameters per shape key (`MxNxK`) for the `tuned` variant. */
  readonly tuned?: ReadonlyMap<string, TiledParams>;
  readonly peakGflops?: number;
  readonly measure?: Omit<MeasureOptions, "host" | "threads" | "compiler">;
}

/**
 * The tuner's answer per shape in a tune log (JSON Lines), by its objective (GFLOP/s at p10): the best of the last
 * re-measurement round ("verify" trials) when there is one, else the best search trial.
 */
export function bestFromTuneLog(path: string): Map<string, TiledParams> {
  if (!existsSync(path)) return new Map();
  const byShape = new Map<string, TrialRecord[]>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const t = JSON.parse(line) as TrialRecord;
    byShape.set(t.shape, [...(byShape.get(t.shape) ?? []), t]);
  }
  const out = new Map<string, TiledParams>();
  for (const [shape, trials] of byShape) {
    const [m, n, k] = shape.replace(/\.[a-z0-9]+$/, "").split("x").map(Number);
    const best = tunerAnswer(trials, (t) => trialScore({ m: m ?? 0, n: n ?? 0, k: k ?? 0 }, t));
    if (best !== undefined) out.set(shape, best.params);
  }
  return out;
}

const bf16Field = (shape: MatmulShape): { dtype?: "bf16" } => (dtypeOf(shape) === "bf16" ? { dtype: "bf16" } : {});

/** How a peer was called and what it selected, or why it is missing. */
function peerStatus(peer: PeerName, host: HostModel, missing: boolean, core: string | undefined): PeerStatus {
  const info = PEER_INFO[peer];
  if (missing) return { available: false, note: `${info.library} not found: no ${peer} numbers. Debian: apt-get install ${info.debian}` };
  const avx512 = host.isa === "avx512";
  const how =
    peer === "openblas" && avx512
      ? " with OPENBLAS_CORETYPE=SkylakeX (AVX-512 kernels)"
      : peer === "blis" && avx512
        ? " with BLIS_ARCH_TYPE = its skx configuration (AVX-512 kernels) unless set"
        : peer === "onednn"
          ? " (row-major, OpenMP threads; bf16 shapes: dnnl_gemm_bf16bf16f32)"
          : "";
  return { available: true, ...(core === undefined ? {} : { core }), note: `${info.call} via dlopen(${info.library})${how}` };
}

/**
 * Measures variants x shapes in one runner (one compile of every kernel, then the runs); failures are records.
 */
export async function runBench(shapes: readonly MatmulShape[], variants: readonly Variant[], options: BenchOptions): Promise<ResultsDoc> {
  const cc = options.compiler ?? findCompiler();
  const specs: KernelSpec[] = [];
  const meta = new Map<string, { variant: Variant; shape: MatmulShape }>();
  const failures: BenchFailure[] = [];
  const fail = (variant: Variant, shape: MatmulShape, reason: string): void => {
    failures.push({ variant, ...(shape.kernel === undefined ? {} : { kernel: shape.kernel }), m: shape.m, n: shape.n, k: shape.k, threads: options.threads, reason, ...bf16Field(shape) });
  };
  for (const shape of shapes) {
    for (const variant of variants) {
      const id = `${variant}/${shapeKey(shape)}`;
      if (meta.has(id)) continue;
      meta.set(id, { variant, shape });
      if (isPeer(variant)) {
        specs.push({ id, kind: "peer", peer: variant, shape });
        continue;
      }
      const tuned = options.tuned?.get(shapeKey(shape));
      const schedule = variantSchedule(variant, shape, options.host, options.threads, tuned);
      if (schedule === undefined) {
        fail(variant, shape, "no tuning record for this shape; run `kpu cpu tune` first (or pass --tune-log)");
        continue;
      }
      const v = validateSchedule(schedule, shape, options.host);
      if (!v.ok) {
        fail(variant, shape, `illegal schedule: ${v.reason}`);
        continue;
      }
      specs.push({ id, kind: "nest", nest: v.nest });
    }
  }
  const measured = await measureKernels(specs, { ...(options.measure ?? {}), host: options.host, threads: options.threads, compiler: cc });
  const results: BenchResult[] = [];
  const cores = new Map<PeerName, string>();
  const missing = new Set<PeerName>();
  for (const m of measured) {
    const { variant, shape } = meta.get(m.id)!;
    if (!m.ok) {
      if (isPeer(variant) && m.reason === peerMissingReason(variant)) missing.add(variant);
      fail(variant, shape, m.reason);
      continue;
    }
    if (isPeer(variant) && m.blasCore !== undefined) cores.set(variant, m.blasCore);
    results.push({
      variant,
      ...(shape.kernel === undefined ? {} : { kernel: shape.kernel }),
      m: shape.m,
      n: shape.n,
      k: shape.k,
      threads: options.threads,
      medianUs: m.medianUs,
      p10Us: m.p10Us,
      gflops: shapeFlops(shape) / m.medianUs / 1e3,
      runs: m.runs,
      attempts: m.attempts,
      stolenFraction: m.stolenFraction,
      slowdown: m.slowdown,
      noisy: m.noisy,
      ...(shape.shapeClass === undefined ? {} : { shapeClass: shape.shapeClass }),
      ...bf16Field(shape),
    });
  }
  const peers: Partial<Record<PeerName, PeerStatus>> = {};
  for (const peer of PEERS.filter((p) => variants.includes(p))) peers[peer] = peerStatus(peer, options.host, missing.has(peer), cores.get(peer));
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: "kpu.cpu.results",
    host: options.host,
    compiler: { command: cc.command, version: cc.version, flags: cc.flags },
    threads: options.threads,
    openblas: peers.openblas ?? { available: false, note: "not requested" },
    peers,
    ...(options.peakGflops === undefined ? {} : { peakGflops: options.peakGflops }),
    results,
    failures,
  };
}
