import { execFile } from "node:child_process";
import { compileObject, cacheDir, findCompiler, linkBinary, type CCompiler } from "./compiler.js";
import { KpuError } from "@kpu/ir";
import { vectorLanes, type HostModel } from "./host.js";
import { PEAK_MAIN } from "./internal/harness-c.js";

export interface PeakResult {
  readonly threads: number;
  readonly gflops: number;
}

/**
 * Measures the FMA peak: every thread runs 16 independent vector FMA chains (more than FMA units x latency) at the
 * host's widest vector width, for `iterations` steps; best of `repeats`. GFLOP/s = threads * iterations * 16 * lanes * 2 / s.
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
  const out: PeakResult[] = [];
  for (const threads of threadCounts) {
    const text = await new Promise<string>((done, reject) => {
      execFile(
        bin.path,
        [String(threads), String(options.iterations ?? 20_000_000), String(options.repeats ?? 5)],
        { timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: String(threads) } },
        (error, stdout) => {
          if (error !== null) reject(new KpuError("KPU_CPU_RUN_FAILED", `the peak kernel failed: ${error.message}`, { where: bin.path }));
          else done(stdout);
        },
      );
    });
    const parsed = JSON.parse(text) as { gflops: number };
    out.push({ threads, gflops: parsed.gflops });
  }
  return out;
}
