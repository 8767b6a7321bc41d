import type { Command } from "commander";
import type { CliIo } from "../../main.js";
import { registerCpuBench } from "./bench.js";
import { registerCpuPeak } from "./peak.js";
import { registerCpuReport } from "./report.js";
import { registerCpuSchedule } from "./schedule.js";
import { registerCpuTune } from "./tune.js";

export { cpuBenchCommand } from "./bench.js";
export { cpuPeakCommand } from "./peak.js";
export { cpuReportCommand } from "./report.js";
export { cpuScheduleCommand } from "./schedule.js";
export { cpuTuneCommand } from "./tune.js";

/** `kpu cpu schedule|bench|tune|report|peak`: CPU matmul schedules, measurement and the autotuner baseline. */
export function registerCpu(program: Command, io: CliIo): void {
  const cpu = program.command("cpu").description("CPU matmul: rule-based schedules, C code generation, measurement, autotuner baseline");
  registerCpuSchedule(cpu, io);
  registerCpuBench(cpu, io);
  registerCpuTune(cpu, io);
  registerCpuReport(cpu, io);
  registerCpuPeak(cpu, io);
}
