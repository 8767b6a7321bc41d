import { existsSync } from "node:fs";
import type { Command } from "commander";
import { KpuError } from "@kpu/ir";
import { LEVELS, PRESET_NAMES, hardwarePreset, hardwareToJson, hardwareToYaml, parseHardware, type Hardware } from "@kpu/kpu-model";
import type { CliIo } from "../../main.js";
import { readTextFile } from "../../util/files.js";
import { renderTable, toJsonText } from "../../util/print.js";

/** A preset name, or a path to a JSON/YAML hardware file (anything with a path separator or extension, or that exists). */
export function loadHardware(spec: string, flag = "--hw"): Hardware {
  const looksLikeFile = /[/\\]|\.(json|ya?ml)$/i.test(spec) || (!PRESET_NAMES.includes(spec) && existsSync(spec));
  if (!looksLikeFile) return hardwarePreset(spec, flag);
  return parseHardware(readTextFile(spec), spec);
}

const fmtBytes = (b: number): string => {
  for (const [unit, scale] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (b >= scale && b % scale === 0) return `${b / scale} ${unit}`;
  }
  return `${b} B`;
};

/** Human summary of a hardware description: clocks, fabric and one row per memory level. */
export function describeHardware(hw: Hardware): string {
  const d = hw.derived;
  const head =
    `${hw.name}${hw.description === undefined ? "" : `: ${hw.description}`}\n` +
    `compute: ${hw.computeTiles} tile(s) x ${hw.fabric.rows}x${hw.fabric.cols} ${hw.fabric.dataflow.toUpperCase()} array, ` +
    `${d.peakTmacs.toFixed(3)} TMAC/s peak (${hw.elementType}, ${hw.fabric.macEnergyPj} pJ/MAC)\n` +
    `clocks: DMA ${hw.clocks.dmaMhz} MHz, block mover ${hw.clocks.blockMoverMhz} MHz, streamer ${hw.clocks.streamerMhz} MHz, ` +
    `fabric ${hw.clocks.fabricMhz} MHz (timebase ${d.timebaseMhz} MHz)\n` +
    `vector unit: ${hw.vector.lanes} lanes per tile at ${hw.vector.clockMhz} MHz, ops/cycle/lane add-mul ${hw.vector.opsPerCyclePerLane.alu}, ` +
    `transcendental ${hw.vector.opsPerCyclePerLane.transcendental}, reduce ${hw.vector.opsPerCyclePerLane.reduce}; ` +
    `pJ/op ${hw.vector.energyPjPerOp.alu}, ${hw.vector.energyPjPerOp.transcendental}, ${hw.vector.energyPjPerOp.reduce}\n`;
  const rows = LEVELS.map((name) => {
    const l = hw.levels[name];
    const ld = d.levels[name];
    return [
      name.toUpperCase(),
      `${l.banks} x ${fmtBytes(l.bankBytes)}`,
      name === "dram" ? "shared" : fmtBytes(ld.perTileCapacityBytes),
      l.busWidthBytes,
      `${l.bandwidthBytesPerCycle} B/cyc @ ${ld.clockMhz} MHz`,
      Number(ld.bandwidthGBps.toFixed(1)),
      `${l.latencyCycles} cyc (${((l.latencyCycles / ld.clockMhz) * 1000).toFixed(1)} ns)`,
      l.energyPjPerByte,
    ];
  });
  return head + renderTable(["level", "banks x size", "per tile", "bus B", "bandwidth per bank", "GB/s", "latency", "pJ/B"], rows);
}

export interface HwShowFlags {
  readonly json?: boolean;
  readonly yaml?: boolean;
}

/** `kpu hw show <preset|file>`: the description as a table, or as a loadable JSON / YAML file. */
export function hwShowCommand(spec: string, flags: HwShowFlags, io: CliIo): void {
  const hw = loadHardware(spec, "hw show");
  if (flags.json === true) io.stdout(toJsonText(hardwareToJson(hw)));
  else if (flags.yaml === true) io.stdout(hardwareToYaml(hw));
  else io.stdout(describeHardware(hw));
}

/** `kpu hw validate <file>`: exit 0 with a one-line summary, or exit 2 with the field and the rule. */
export function hwValidateCommand(file: string, flags: { readonly json?: boolean }, io: CliIo): void {
  if (!existsSync(file)) {
    throw new KpuError("KPU_NO_SUCH_FILE", "no such file", { where: file, hint: "Pass the path of a hardware JSON or YAML file." });
  }
  const hw = parseHardware(readTextFile(file), file);
  if (flags.json === true) io.stdout(toJsonText({ valid: true, file, name: hw.name, schemaVersion: hw.schemaVersion }));
  else io.stdout(`${file}: valid kpu.hardware v${hw.schemaVersion} "${hw.name}" (${hw.computeTiles} compute tiles, ${hw.fabric.rows}x${hw.fabric.cols})\n`);
}

export function registerHw(program: Command, io: CliIo): void {
  const hw = program.command("hw").description(`hardware descriptions: presets ${PRESET_NAMES.join(", ")}, or JSON/YAML files`);
  hw.command("show")
    .description("show a preset or a hardware file (--json or --yaml writes a file you can edit and load)")
    .argument("<preset|file>", `a preset (${PRESET_NAMES.join(", ")}) or a hardware JSON/YAML file`)
    .option("--json", "the description as kpu.hardware JSON")
    .option("--yaml", "the description as YAML")
    .action((spec: string, flags: HwShowFlags) => {
      hwShowCommand(spec, flags, io);
    });
  hw.command("validate")
    .description("validate a hardware JSON/YAML file; errors name the field and the rule")
    .argument("<file>", "hardware JSON/YAML file")
    .option("--json", "machine-readable output")
    .action((file: string, flags: { json?: boolean }) => {
      hwValidateCommand(file, flags, io);
    });
  for (const c of hw.commands) c.exitOverride().configureOutput(program.configureOutput());
}
