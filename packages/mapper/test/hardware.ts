import { HARDWARE_PRESETS, validateHardware, type Hardware } from "@kpu/kpu-model";

/** A small machine for exhaustive checks: `tiles` compute tiles, an `array` x `array` fabric, levels of the given KiB per tile. */
export function smallHardware(opts: { tiles: number; array: number; l1KiB: number; l2KiB: number; l3KiB: number }): Hardware {
  const json = structuredClone(HARDWARE_PRESETS.minimal!);
  json.name = `small-${opts.tiles}x${opts.array}`;
  json.computeTiles = opts.tiles;
  json.fabric.rows = opts.array;
  json.fabric.cols = opts.array;
  json.levels.l1 = { ...json.levels.l1, banks: opts.tiles, bankBytes: opts.l1KiB * 1024 };
  json.levels.l2 = { ...json.levels.l2, banks: opts.tiles, bankBytes: opts.l2KiB * 1024 };
  json.levels.l3 = { ...json.levels.l3, banks: opts.tiles, bankBytes: opts.l3KiB * 1024 };
  return validateHardware(json, json.name);
}
