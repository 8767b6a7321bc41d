import { execFile } from "node:child_process";
import { compileObject, cacheDir, findCompiler, linkBinary, type CCompiler } from "./compiler.js";
import { KpuError } from "@kpu/ir";
import { vectorLanes, type HostModel } from "./host.js";
import { ceilingMain } from "./internal/ceiling-c.js";
import { PEAK_MAIN } from "./internal/harness-c.js";
import { hostRules } from "./rules.js";

export interface PeakResult {
  readonly threads: number;
  /** FMA peak: independent register-only FMA chains. */
  readonly gflops: number;
  /**
   * Register-kernel ceiling: the host rules' MR x NR tile stepping through L1-resident packed panels (MR broadcast
   * loads, NR/lanes vector loads, MR x NR/lanes FMAs per k): what the register kernel reaches with no cache misses at all.
   */
  readonly kernelGflops: number;
  /** Sequential read bandwidth of a buffer 4x the L2 per thread (where a streamed B comes from), GB/s. */
  readonly streamGBps: number;
  /** The tile the ceiling was measured with. */
  readonly tile: string;
}

/**
 * Measures the FMA peak: every thread runs 16 independent vector FMA chains (more than FMA units x latency) at the
 * host's widest vector width, for `iterations` steps; best of `repeats`. GFLOP/s = threads * iterations * 16 * lanes * 2 / s.
 * Also the register-kernel ceiling and the stream bandwidth (see PeakResult), which bound what a schedule can reach.
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
  const iterations = options.iterations ?? 20_000_000;
  const repeats = options.repeats ?? 5;
  // Ceiling reps: as many FMAs per thread as the peak loop (16 chains per iteration).
  const reps = Math.max(1, Math.round((iterations * 16) / (p.kc * p.mr * p.nrVectors)));
  const out: PeakResult[] = [];
  for (const threads of threadCounts) {
    const peak = JSON.parse(await runProbe(bin.path, [threads, iterations, repeats], threads)) as { gflops: number };
    const ceiling = JSON.parse(await runProbe(cbin.path, [threads, reps, repeats, 4 * host.l2.bytes * threads], threads)) as { kernelGflops: number; streamGBps: number };
    out.push({ threads, gflops: peak.gflops, kernelGflops: ceiling.kernelGflops, streamGBps: ceiling.streamGBps, tile: `${p.mr} x ${p.nrVectors * p.lanes}` });
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
