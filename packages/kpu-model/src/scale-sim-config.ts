import { KpuError } from "@kpu/ir";
import type { Dataflow } from "./hardware.js";

/** A SCALE-Sim v2 `.cfg` file as far as the stall-free model needs it; SRAM sizes and offsets are kept for reports. */
export interface ScaleSimConfig {
  /** `[general] run_name`. */
  readonly runName: string;
  /** `[architecture_presets] ArrayHeight` and `ArrayWidth`. */
  readonly rows: number;
  readonly cols: number;
  readonly dataflow: Dataflow;
  /** `IfmapSramSzkB`, `FilterSramSzkB`, `OfmapSramSzkB`, in KiB; they do not change stall-free numbers. */
  readonly ifmapSramKb: number;
  readonly filterSramKb: number;
  readonly ofmapSramKb: number;
  readonly ifmapOffset: number;
  readonly filterOffset: number;
  readonly ofmapOffset: number;
  /** `Bandwidth`, words per cycle; SCALE-Sim reads it only in USER mode, which is not modelled. */
  readonly bandwidth?: readonly number[];
  /** `[run_presets] InterfaceBandwidth`: only CALC (stall-free) is accepted. */
  readonly interfaceBandwidth: "CALC";
  /** `[network_presets] TopologyCsvLoc`, without its quotes, when present. */
  readonly topologyCsvLoc?: string;
}

interface IniEntry {
  readonly value: string;
  readonly line: number;
}

interface IniSection {
  readonly line: number;
  /** Keys lower-cased, as Python's configparser does; section names keep their case. */
  readonly entries: Map<string, IniEntry>;
}

type Ini = Map<string, IniSection>;

const CFG_HINT = "Start from one of SCALE-Sim's configs/*.cfg: [general], [architecture_presets] and [run_presets] sections of `Key: value` lines.";

function syntaxError(source: string, line: number, message: string, hint = CFG_HINT): KpuError {
  return new KpuError("KPU_BAD_SYNTAX", message, { where: `${source}:${line}`, hint });
}

/** Leading whitespace width; configparser treats a line indented deeper than its key as that key's continuation. */
function indentOf(raw: string): number {
  return raw.length - raw.trimStart().length;
}

/** Mutable state of the INI reader: the section being filled and the key a continuation line would extend. */
interface IniCursor {
  section: IniSection | undefined;
  key: { readonly name: string; readonly indent: number } | undefined;
}

function readSectionHeader(ini: Ini, cursor: IniCursor, text: string, source: string, line: number): void {
  // Like configparser, `[name]` starts a section and anything after the closing bracket is ignored.
  const name = /^\[(.+)\]/.exec(text)?.[1];
  if (name === undefined) throw syntaxError(source, line, `"${text}" is not a section header`);
  if (ini.has(name)) throw syntaxError(source, line, `section [${name}] appears twice`, "Merge the two sections into one.");
  cursor.section = { line, entries: new Map() };
  cursor.key = undefined;
  ini.set(name, cursor.section);
}

function readKeyValue(cursor: IniCursor, text: string, indent: number, source: string, line: number): void {
  // configparser splits at the first `=` or `:`, whichever comes first.
  const match = /^(.*?)\s*[=:]\s*(.*)$/.exec(text);
  const key = match?.[1]?.trim().toLowerCase();
  if (match === null || key === undefined || key === "") {
    throw syntaxError(source, line, `"${text}" is not a \`Key: value\` line`);
  }
  if (cursor.section === undefined) {
    throw syntaxError(source, line, "a key comes before any [section]", "Put the key under [architecture_presets] or the section it belongs to.");
  }
  if (cursor.section.entries.has(key)) throw syntaxError(source, line, `key ${key} appears twice in its section`, "Keep one of the two lines.");
  cursor.section.entries.set(key, { value: (match[2] ?? "").trim(), line });
  cursor.key = { name: key, indent };
}

function continueValue(cursor: IniCursor, text: string): void {
  const { section, key } = cursor;
  const entry = key === undefined ? undefined : section?.entries.get(key.name);
  if (section === undefined || key === undefined || entry === undefined) return;
  section.entries.set(key.name, { value: `${entry.value}\n${text}`, line: entry.line });
}

/** A small reader for the INI dialect Python's configparser accepts by default (what SCALE-Sim uses). */
function parseIni(text: string, source: string): Ini {
  const ini: Ini = new Map();
  const cursor: IniCursor = { section: undefined, key: undefined };
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    const indent = indentOf(raw);
    if (trimmed === "") {
      cursor.key = undefined;
    } else if (trimmed.startsWith("#") || trimmed.startsWith(";")) {
      // A full-line comment; configparser keeps `#` or `;` later in a line as part of the value.
    } else if (cursor.key !== undefined && indent > cursor.key.indent) {
      continueValue(cursor, trimmed);
    } else if (trimmed.startsWith("[")) {
      readSectionHeader(ini, cursor, trimmed, source, line);
    } else {
      readKeyValue(cursor, trimmed, indent, source, line);
    }
  });
  return ini;
}

/** Looks a key up the way configparser does: case-insensitively, falling back to [DEFAULT]. */
function lookup(ini: Ini, section: string, key: string, source: string): { value: string; where: string } | undefined {
  const own = ini.get(section);
  if (own === undefined) {
    throw new KpuError("KPU_SCALESIM_CFG_MISSING", `section [${section}] is missing`, {
      where: source,
      hint: `Add a [${section}] section (section names are case-sensitive, as in SCALE-Sim).`,
    });
  }
  const entry = own.entries.get(key.toLowerCase()) ?? ini.get("DEFAULT")?.entries.get(key.toLowerCase());
  return entry === undefined ? undefined : { value: entry.value, where: `${source}:${entry.line} [${section}] ${key}` };
}

function required(ini: Ini, section: string, key: string, source: string): { value: string; where: string } {
  const found = lookup(ini, section, key, source);
  if (found === undefined) {
    const at = ini.get(section)?.line;
    throw new KpuError("KPU_SCALESIM_CFG_MISSING", `key ${key} is missing`, {
      where: `${source}${at === undefined ? "" : `:${at}`} [${section}] ${key}`,
      hint: `Add a line \`${key}: <value>\` to [${section}], as SCALE-Sim requires it.`,
    });
  }
  return found;
}

/** A whole number as Python's int() reads one (optional sign, digits, single underscores between digits). */
function parseInteger(text: string): number | undefined {
  if (!/^[+-]?\d+(_\d+)*$/.test(text)) return undefined;
  const value = Number(text.replace(/_/g, ""));
  return Number.isSafeInteger(value) ? value : undefined;
}

function integerField(ini: Ini, section: string, key: string, source: string, min: number): number {
  const { value, where } = required(ini, section, key, source);
  const parsed = parseInteger(value);
  if (parsed === undefined || parsed < min) {
    throw new KpuError("KPU_SCALESIM_CFG_VALUE", `"${value}" is not a whole number${min > 0 ? " >= 1" : " >= 0"}`, {
      where,
      hint: "Write a plain whole number; configparser keeps a trailing `# comment` as part of the value, so put comments on their own line.",
    });
  }
  return parsed;
}

function dataflowField(ini: Ini, source: string): Dataflow {
  const { value, where } = required(ini, "architecture_presets", "Dataflow", source);
  if (value === "os" || value === "ws" || value === "is") return value;
  throw new KpuError("KPU_SCALESIM_CFG_VALUE", `dataflow "${value}" is not os, ws or is`, {
    where,
    hint: "Use lower-case os, ws or is; SCALE-Sim only warns on anything else and then runs its output-stationary code.",
  });
}

function interfaceBandwidthField(ini: Ini, source: string): "CALC" {
  const { value, where } = required(ini, "run_presets", "InterfaceBandwidth", source);
  if (value === "CALC") return value;
  if (value === "USER") {
    throw new KpuError("KPU_SCALESIM_USER_BANDWIDTH", "InterfaceBandwidth USER (a given DRAM bandwidth, with stalls) is not modelled; only stall-free CALC is", {
      where,
      hint: "Set `InterfaceBandwidth: CALC` to get SCALE-Sim's stall-free cycles and SRAM traffic.",
    });
  }
  throw new KpuError("KPU_SCALESIM_CFG_VALUE", `InterfaceBandwidth "${value}" is neither CALC nor USER`, {
    where,
    hint: "Set `InterfaceBandwidth: CALC` (stall-free, the only mode modelled).",
  });
}

function bandwidthField(ini: Ini, source: string): readonly number[] | undefined {
  const found = lookup(ini, "architecture_presets", "Bandwidth", source);
  if (found === undefined) return undefined;
  const words = found.value.split(",").map((part) => parseInteger(part.trim()));
  if (words.some((w) => w === undefined || w <= 0)) {
    throw new KpuError("KPU_SCALESIM_CFG_VALUE", `"${found.value}" is not a comma-separated list of whole numbers >= 1`, {
      where: found.where,
      hint: "Write the words per cycle, e.g. `Bandwidth: 10`, or drop the line: CALC mode does not use it.",
    });
  }
  return words as number[];
}

function topologyField(ini: Ini, source: string): string | undefined {
  if (!ini.has("network_presets")) return undefined;
  const found = lookup(ini, "network_presets", "TopologyCsvLoc", source);
  return found === undefined ? undefined : found.value.replace(/^"(.*)"$/, "$1");
}

/**
 * Reads a SCALE-Sim v2 `.cfg` file. Required keys are those SCALE-Sim's scale_config requires; keys it does not read
 * (MemoryBanks, ...) are ignored. Refuses InterfaceBandwidth USER: only stall-free runs are modelled.
 */
export function parseScaleSimConfig(text: string, source = "<cfg>"): ScaleSimConfig {
  const ini = parseIni(text, source);
  const arch = (key: string, min: number) => integerField(ini, "architecture_presets", key, source, min);
  const runName = required(ini, "general", "run_name", source).value;
  const interfaceBandwidth = interfaceBandwidthField(ini, source);
  const bandwidth = bandwidthField(ini, source);
  const topologyCsvLoc = topologyField(ini, source);
  return {
    runName,
    rows: arch("ArrayHeight", 1),
    cols: arch("ArrayWidth", 1),
    dataflow: dataflowField(ini, source),
    ifmapSramKb: arch("IfmapSramSzkB", 1),
    filterSramKb: arch("FilterSramSzkB", 1),
    ofmapSramKb: arch("OfmapSramSzkB", 1),
    ifmapOffset: arch("IfmapOffset", 0),
    filterOffset: arch("FilterOffset", 0),
    ofmapOffset: arch("OfmapOffset", 0),
    interfaceBandwidth,
    ...(bandwidth === undefined ? {} : { bandwidth }),
    ...(topologyCsvLoc === undefined ? {} : { topologyCsvLoc }),
  };
}
