import { bandwidthProbeBytes, describeHost, measurePeak, type PeakResult } from "@kpu/cpu-matmul";
import { KpuError } from "@kpu/ir";
import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { addHostFlags, loadHost, type HostFlags } from "./common.js";

export interface PeakFlags extends HostFlags {
  readonly threadList?: string;
  readonly json?: boolean;
}

function parseThreadList(text: string): number[] {
  const list = text.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isSafeInteger(n) || n <= 0 || n > 1024)) {
    throw new KpuError("KPU_BAD_FLAG", `"${text}" is not a list of thread counts`, { where: "--thread-list", hint: "Pass e.g. --thread-list 1,2." });
  }
  return list;
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0);

/** `kpu cpu peak`: the host's FMA peak in GFLOP/s per thread count. */
export async function cpuPeakCommand(flags: PeakFlags, io: CliIo): Promise<PeakResult[]> {
  const host = loadHost(flags);
  const counts = flags.threadList !== undefined ? parseThreadList(flags.threadList) : flags.threads !== undefined ? [flags.threads] : [...new Set([1, host.cores])];
  const results = await measurePeak(host, counts);
  if (flags.json === true) {
    io.stdout(toJsonText({ host: describeHost(host), results }));
    return results;
  }
  io.stdout(`FMA peak, register-kernel ceiling and read bandwidth of each level on ${describeHost(host)}\n`);
  io.stdout(
    renderTable(
      ["threads", "FMA peak GFLOP/s", "bf16 peak GFLOP/s", "kernel ceiling GFLOP/s", "ceiling / peak", "L2 GB/s", "L3 GB/s", "DRAM GB/s"],
      results.map((r) => [
        r.threads,
        r.gflops.toFixed(1),
        `${r.bf16.gflops.toFixed(1)} (${r.bf16.native ? "native" : "fallback"})`,
        `${r.kernelGflops.toFixed(1)} (${r.tile})`,
        `${((100 * r.kernelGflops) / r.gflops).toFixed(1)}%`,
        r.bandwidthGBps.l2.toFixed(1),
        r.bandwidthGBps.l3.toFixed(1),
        r.bandwidthGBps.dram.toFixed(1),
      ]),
    ),
  );
  const sizes = counts.map((t) => {
    const b = bandwidthProbeBytes(host, t);
    return `${t} thread(s): ${mib(b.l2)} / ${mib(b.l3)} / ${mib(b.dram)} MiB per thread`;
  });
  io.stdout(`bandwidth buffers (L2 / L3 / DRAM): ${sizes.join("; ")}\n`);
  io.stdout(
    results.some((r) => r.bf16.native)
      ? "bf16 peak: native vdpbf16ps (AVX512-BF16), two multiply-adds per float32 lane per instruction\n"
      : "bf16 peak: fallback, no AVX512-BF16 here: float32 FMAs on bf16 widened by a 16-bit shift, one widened vector per FMA (the worst case; the register kernel widens NR/lanes vectors per MR x NR/lanes FMAs)\n",
  );
  return results;
}

export function registerCpuPeak(cpu: Command, io: CliIo): void {
  addHostFlags(
    cpu
      .command("peak")
      .description("measure the host's FMA peak (independent vector FMA chains on every thread), the register-kernel ceiling and the read bandwidth of L2, L3 and DRAM")
      .option("--thread-list <list>", "comma-separated thread counts (default: 1 and all cores)")
      .option("--json", "machine-readable output"),
  ).action(async (flags: PeakFlags) => {
    await cpuPeakCommand(flags, io);
  });
}
