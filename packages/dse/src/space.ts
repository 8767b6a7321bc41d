import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KpuError, issuePath, issueRule, readErrorCode } from "@kpu/ir";
import { HARDWARE_PRESETS, hardwareToJson, parseHardware, type HardwareJson } from "@kpu/kpu-model";
import { OBJECTIVES, type Objective } from "@kpu/mapper";
import { PARAMETERS, PARAMETER_NAMES } from "./parameters.js";

/** A parsed space: the base hardware, the mapper's objective and each parameter's values, in the file's order. */
export interface Space {
  /** The preset name or the file the base hardware came from. */
  readonly baseHardware: string;
  readonly base: HardwareJson;
  readonly objective: Objective;
  readonly parameters: readonly { readonly name: string; readonly values: readonly number[] }[];
}

/** More points than this is refused (KPU_TOO_LARGE): a space that size is a typo in a range. */
export const MAX_POINTS = 100_000;
/** A range may give at most this many values. */
const MAX_VALUES = 10_000;

const rangeSchema = z.union([
  z.strictObject({ from: z.number(), to: z.number(), step: z.number() }),
  z.strictObject({ from: z.number(), to: z.number(), times: z.number() }),
]);
const valuesSchema = z.union([z.array(z.number()), rangeSchema]);

const spaceSchema = z.strictObject({
  hw: z.string().min(1),
  objective: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()),
});

function bad(where: string, message: string, hint: string): never {
  throw new KpuError("KPU_DSE_SPACE", message, { where, hint });
}

/** Values of a range, `to` included when the steps land on it (a relative 1e-9 slack absorbs rounding). */
function rangeValues(r: z.infer<typeof rangeSchema>, at: string): number[] {
  const hint = "A range is {from, to, step} (arithmetic) or {from, to, times} (geometric), with from <= to.";
  if (r.from > r.to) bad(at, `the range is inverted: from ${r.from} is above to ${r.to}`, hint);
  const out: number[] = [];
  const slack = Math.abs(r.to) * 1e-9;
  if ("step" in r) {
    if (!(r.step > 0)) bad(`${at}.step`, `step ${r.step} must be greater than 0`, hint);
    for (let i = 0; r.from + i * r.step <= r.to + slack; i++) {
      if (out.length >= MAX_VALUES) bad(at, `the range gives more than ${MAX_VALUES} values`, "Use a larger step.");
      out.push(Number((r.from + i * r.step).toPrecision(12)));
    }
  } else {
    if (!(r.times > 1)) bad(`${at}.times`, `times ${r.times} must be greater than 1`, hint);
    if (!(r.from > 0)) bad(`${at}.from`, `a geometric range starts above 0, not at ${r.from}`, hint);
    for (let v = r.from; v <= r.to + slack; v *= r.times) {
      if (out.length >= MAX_VALUES) bad(at, `the range gives more than ${MAX_VALUES} values`, "Use a larger factor.");
      out.push(Number(v.toPrecision(12)));
    }
  }
  return out;
}

function loadBase(spec: string, spaceFile: string, at: string): HardwareJson {
  const preset = HARDWARE_PRESETS[spec];
  if (preset !== undefined) return structuredClone(preset);
  const path = isAbsolute(spec) || spaceFile.startsWith("<") ? spec : resolve(dirname(spaceFile), spec);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new KpuError(readErrorCode(cause), `"${spec}" is neither a hardware preset (${Object.keys(HARDWARE_PRESETS).join(", ")}) nor a readable file`, {
      where: at,
      hint: "Name a preset or a hardware JSON/YAML file (relative to the space file).",
      cause,
    });
  }
  return hardwareToJson(parseHardware(text, path));
}

/**
 * Parses a space file (YAML or JSON):
 *
 *     hw: edge-ai            # a preset or a hardware file, relative to the space file
 *     objective: latency     # the mapper's objective per layer (latency, energy, edp, dram)
 *     parameters:
 *       rows: [8, 16, 32]                      # a list
 *       l2KiB: {from: 64, to: 256, step: 64}   # an arithmetic range
 *       dramGBps: {from: 32, to: 256, times: 2} # a geometric range
 *
 * Every error is KPU_DSE_SPACE (or KPU_BAD_SYNTAX) naming `file:field`.
 */
export function parseSpace(text: string, source = "<space>"): Space {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid YAML (${(cause as Error).message.split("\n")[0]})`, { where: source, hint: "Check the file for a syntax error.", cause });
  }
  const parsed = spaceSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    bad(`${source}:${path || "(root)"}`, `${path === "" ? "the document" : path} ${issueRule(issue)}`, "A space file has hw, objective and parameters; see the @kpu/dse README.");
  }
  const doc = parsed.data;
  const objectiveName = doc.objective ?? "latency";
  if (!(OBJECTIVES as readonly string[]).includes(objectiveName)) {
    bad(`${source}:objective`, `"${objectiveName}" is not an objective kpu's mapper knows (${OBJECTIVES.join(", ")})`, `Use one of: ${OBJECTIVES.join(", ")}.`);
  }
  const base = loadBase(doc.hw, source, `${source}:hw`);
  const parameters: { name: string; values: number[] }[] = [];
  for (const [name, value] of Object.entries(doc.parameters)) {
    const at = `${source}:parameters.${name}`;
    const param = PARAMETERS.find((p) => p.name === name);
    if (param === undefined) bad(at, `"${name}" is not a parameter kpu models`, `Use one of: ${PARAMETER_NAMES.join(", ")}.`);
    const v = valuesSchema.safeParse(value);
    if (!v.success) bad(at, `${name} must be a list of numbers or a range {from, to, step} / {from, to, times}`, "For example [8, 16, 32] or {from: 64, to: 256, step: 64}.");
    const values = Array.isArray(v.data) ? v.data : rangeValues(v.data, at);
    if (values.length === 0) bad(at, `${name} has no values`, "Give at least one value.");
    values.forEach((x, i) => {
      if (!Number.isFinite(x) || x <= 0) bad(Array.isArray(v.data) ? `${at}.${i}` : at, `${name} = ${x} must be greater than 0`, `${param.description} (${param.unit || "a count"}) is positive.`);
      if (param.integer && !Number.isInteger(x)) bad(Array.isArray(v.data) ? `${at}.${i}` : at, `${name} = ${x} must be a whole number`, `${param.description} is a count.`);
    });
    const distinct = [...new Set(values)];
    parameters.push({ name, values: distinct });
  }
  const points = parameters.reduce((n, p) => n * p.values.length, 1);
  if (points > MAX_POINTS) {
    throw new KpuError("KPU_TOO_LARGE", `the space has ${points} points, more than ${MAX_POINTS}`, { where: `${source}:parameters`, hint: "Use fewer values per parameter." });
  }
  return { baseHardware: doc.hw, base, objective: objectiveName as Objective, parameters };
}

/** Every point's parameter values, the last parameter varying fastest (the space file's order). */
export function spacePoints(space: Space): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const p of space.parameters) out = out.flatMap((prev) => p.values.map((v) => ({ ...prev, [p.name]: v })));
  return out;
}
