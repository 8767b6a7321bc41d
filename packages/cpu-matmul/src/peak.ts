import { execFile } from "node:child_process";
import { compileObject, cacheDir, findCompiler, linkBinary, type CCompiler } from "./compiler.js";
import { KpuError } from "@kpu/ir";
import { vectorLanes, type HostModel } from "./host.js";
import { ceilingMain } from "./internal/ceiling-c.js";
import { PEAK_MAIN, bf16PeakMain } from "./internal/harness-c.js";
import { hostRules } from "./rules.js";

/** Read bandwidth (GB/s, all threads together) of data resident in L2, in L3, and in DRAM. */
export interface LevelBandwidth {
  readonly l2: number;
  readonly l3: number;
  readonly dram: number;
}

/** Smallest DRAM probe, in bytes over all threads: far beyond any L3 (the 512 MiB). */
export const DRAM_PROBE_BYTES = 512 * 1024 * 1024;

/**
 * Bytes each thread reads in the bandwidth probe of each level: half its L2 (the rest holds the stack and code), half
 * the shared L3 split over the threads (so the sum stays in L3 and beyond every L2), and max(512 MiB, 16 x L3) split
 * over the threads for DRAM (no cache level holds any useful part of it).
 */
export function bandwidthProbeBytes(host: HostModel, threads: number): LevelBandwidth {
  const line = (b: number): number => Math.max(64 * 1024, Math.floor(b / 4096) * 4096);
  return {
    l2: line(host.l2.bytes / 2),
    l3: line(host.l3.bytes / 2 / threads),
    dram: line(Math.max(DRAM_PROBE_BYTES, 16 * host.l3.bytes) / threads),
  };
}

export interface PeakResult {
  readonly threads: number;
  /** FMA peak: independent register-only FMA chains. */
  readonly gflops: number;
  /**
   * Register-kernel ceiling: the host rules' MR x NR tile stepping through L1-resident packed panels (MR broadcast
   * loads, NR/lanes vector loads, MR x NR/lanes FMAs per k): what the register kernel reaches with no cache misses at all.
   */
  readonly kernelGflops: number;
  /** Sequential read bandwidth of each level on all threads, GB/s, with buffers sized for it (`bandwidthProbeBytes`). */
  readonly bandwidthGBps: LevelBandwidth;
  /** The tile the ceiling was measured with. */
  readonly tile: string;
  /**
   * bf16 FMA peak: `vdpbf16ps` chains when the host has AVX512-BF16 (`native`), else the float32 FMA on bf16 operands
   * widened by a shift, one widened vector per FMA (the fallback kernels' instruction mix at its worst).
   */
  readonly bf16: { readonly gflops: number; readonly native: boolean };
}

/**
 * Measures the FMA peak: every thread runs 16 independent vector FMA chains (more than FMA units x latency) at the
 * host's widest vector width, for `iterations` steps; best of `repeats`. GFLOP/s = threads * iterations * 16 * lanes * 2 / s.
 * Also the register-kernel ceiling and the read bandwidth of L2, L3 and DRAM (see PeakResult), which bound what a
 * schedule can reach.
 */
export async function measurePeak(
  host: HostModel,
  threadCounts: readonly number[],
  options: { readonly compiler?: CCompiler; readonly cacheDir?: string; readonly iterations?: number; readonly repeats?: number } = {},
): Promise<PeakResult[]> {
  const cc = options.compiler ?? findCompiler();
  const dir = options.cacheDir ?? cacheDir();
  const lanes = Math.max(4, vectorLanes(host));
  const obj = await compileObject(cc, `#define LANES ${lanes}\n${PEAK_MAIN}`, dir);
  if (!obj.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `the peak kernel does not compile: ${obj.error}`, { where: cc.command });
  const bin = await linkBinary(cc, [obj.path], dir);
  if (!bin.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `linking the peak kernel failed: ${bin.error}`, { where: cc.command });
  // The tile H3 picks when no edge tiles are left (M and N multiples of every candidate), with its KC.
  const p = hostRules({ m: 5040, n: 768, k: 768 }, host, 1).params;
  const cobj = await compileObject(cc, ceilingMain(p.mr, p.nrVectors, p.lanes, p.kc), dir);
  if (!cobj.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `the ceiling kernel does not compile: ${cobj.error}`, { where: cc.command });
  const cbin = await linkBinary(cc, [cobj.path], dir);
  if (!cbin.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `linking the ceiling kernel failed: ${cbin.error}`, { where: cc.command });
  const bobj = await compileObject(cc, bf16PeakMain(lanes, Math.min(16, host.vectorRegisters - 4)), dir);
  if (!bobj.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `the bf16 peak kernel does not compile: ${bobj.error}`, { where: cc.command });
  const bbin = await linkBinary(cc, [bobj.path], dir);
  if (!bbin.ok) throw new KpuError("KPU_CPU_COMPILE_FAILED", `linking the bf16 peak kernel failed: ${bbin.error}`, { where: cc.command });
  const iterations = options.iterations ?? 20_000_000;
  const repeats = options.repeats ?? 5;
  // Ceiling reps: as many FMAs per thread as the peak loop (16 chains per iteration).
  const reps = Math.max(1, Math.round((iterations * 16) / (p.kc * p.mr * p.nrVectors)));
  const out: PeakResult[] = [];
  for (const threads of threadCounts) {
    const peak = JSON.parse(await runProbe(bin.path, [threads, iterations, repeats], threads)) as { gflops: number };
    // Right after the float32 probe, same FMAs per thread, so that the two see the same machine (their ratio is what
    // the bf16 / f32 targets are read against).
    const bf16 = JSON.parse(await runProbe(bbin.path, [threads, iterations, repeats], threads)) as { gflops: number; native: boolean };
    const sizes = bandwidthProbeBytes(host, threads);
    const ceiling = JSON.parse(await runProbe(cbin.path, [threads, reps, repeats, sizes.l2, sizes.l3, sizes.dram], threads)) as { kernelGflops: number; l2GBps: number; l3GBps: number; dramGBps: number };
    const bandwidthGBps = { l2: ceiling.l2GBps, l3: ceiling.l3GBps, dram: ceiling.dramGBps };
    out.push({ threads, gflops: peak.gflops, kernelGflops: ceiling.kernelGflops, bandwidthGBps, tile: `${p.mr} x ${p.nrVectors * p.lanes}`, bf16 });
  }
  return out;
}

function runProbe(path: string, args: readonly number[], threads: number): Promise<string> {
  return new Promise<string>((done, reject) => {
    execFile(path, args.map(String), { timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: String(threads) } }, (error, stdout) => {
      if (error !== null) reject(new KpuError("KPU_CPU_RUN_FAILED", `the peak probe failed: ${error.message}`, { where: path }));
      else done(stdout);
    });
  });
}
