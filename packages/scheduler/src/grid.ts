import { KpuError, issueRule, parseByteSize } from "@kpu/ir";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { C_ACCOUNTINGS, L3_MODELS, type CAccounting, type L3Model } from "./l3.js";
import type { TileShape } from "@kpu/ir";
import type { Workload } from "./presets.js";
import { SWEEP_PRESETS } from "./presets.js";
import { STRATEGIES, type Strategy } from "./strategy.js";
import { TILE_RULES, type TileRule } from "./tiles.js";

/** What a sweep runs: workloads x strategies x L3 sizes, in one model. */
export interface SweepSpec {
  readonly workloads: readonly Workload[];
  readonly strategies: readonly Strategy[];
  readonly l3Bytes: readonly number[];
  readonly model: L3Model;
  readonly cAccounting: CAccounting;
  readonly tiles?: TileShape;
  readonly tileRule?: TileRule;
}

const gridSchema = z.strictObject({
  workloads: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        m: z.number(),
        n: z.number(),
        k: z.number(),
        category: z.string().optional(),
        aspect: z.string().optional(),
      }),
    )
    .min(1),
  strategies: z.array(z.enum(STRATEGIES)).min(1).optional(),
  l3: z.array(z.union([z.string(), z.number()])).min(1),
  model: z.enum(L3_MODELS).optional(),
  cAccounting: z.enum(C_ACCOUNTINGS).optional(),
  tiles: z.strictObject({ ti: z.number().int().positive(), tj: z.number().int().positive(), tk: z.number().int().positive() }).optional(),
  tileRule: z.enum(TILE_RULES).optional(),
});

/**
 * Parses a user grid (JSON or YAML, chosen by the file name, else sniffed). Workload dimensions are checked per point
 * when the sweep runs (a bad point becomes a failed row); the file's structure and L3 sizes are checked here.
 */
export function parseGridFile(text: string, file: string, onWarning: (message: string) => void = defaultWarning): SweepSpec {
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) || /^\s*[[{]/.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `not valid JSON or YAML (${(cause as Error).message.split("\n")[0] ?? ""})`, {
      where: file,
      hint: "Write a grid with workloads: [{name, m, n, k}], l3: [16MiB, ...] and optional strategies, model.",
      cause,
    });
  }
  const parsed = gridSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join("."); // grid paths are dotted (l3.0), as in the size errors below
    throw new KpuError("KPU_SCHEMA", issue.code === "custom" ? issue.message : `${path === "" ? "the document" : path} ${issueRule(issue)}`, {
      where: `${file}:${path === "" ? "(root)" : path}`,
      hint: "A grid has workloads: [{name, m, n, k}], l3: [\"16MiB\", ...], optional strategies: [ws, is, os], model: kpu|kpu-sim.",
    });
  }
  const g = parsed.data;
  // sizes need a unit: a bare number is refused like any unitless size
  const l3Bytes = g.l3.map((s, i) => parseByteSize(String(s), `${file}:l3.${i}`));
  const spec: SweepSpec = {
    workloads: g.workloads.map((w) => ({ name: w.name, category: w.category ?? "", aspect: w.aspect ?? "", m: w.m, n: w.n, k: w.k })),
    strategies: g.strategies ?? STRATEGIES,
    l3Bytes,
    model: g.model ?? "kpu",
    cAccounting: g.cAccounting ?? "rmw",
    ...(g.tiles ? { tiles: { m: g.tiles.ti, n: g.tiles.tj, k: g.tiles.tk } } : {}),
    ...(g.tileRule ? { tileRule: g.tileRule } : {}),
  };
  return dedupeSweepSpec(spec, file, onWarning);
}

function defaultWarning(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Drops repeated grid entries by their normalised key, with a warning each: a workload repeated with the same
 * dimensions (by name), an L3 size given twice (by bytes: 1MiB and 1024KiB are one), a strategy given twice. Two
 * different workloads under one name are refused (rows are keyed by name), naming `where` (the grid file).
 */
export function dedupeSweepSpec(spec: SweepSpec, where = "grid", onWarning: (message: string) => void = defaultWarning): SweepSpec {
  const workloads = new Map<string, { w: Workload; i: number }>();
  spec.workloads.forEach((w, i) => {
    const seen = workloads.get(w.name);
    if (seen === undefined) {
      workloads.set(w.name, { w, i });
      return;
    }
    const same = seen.w.m === w.m && seen.w.n === w.n && seen.w.k === w.k && seen.w.category === w.category && seen.w.aspect === w.aspect;
    if (!same) {
      throw new KpuError("KPU_SCHEMA", `two different workloads are named ${JSON.stringify(w.name)} (workloads.${seen.i} and workloads.${i})`, {
        where: `${where}:workloads.${i}.name`,
        hint: "Give every workload its own name: rows are keyed by the name.",
      });
    }
    onWarning(`${where}: workloads.${i} repeats workload ${JSON.stringify(w.name)} (workloads.${seen.i}); it is run once`);
  });
  const l3 = new Map<number, number>();
  spec.l3Bytes.forEach((b, i) => {
    const seen = l3.get(b);
    if (seen === undefined) l3.set(b, i);
    else onWarning(`${where}: l3.${i} is the same size as l3.${seen} (${b} bytes); it is run once`);
  });
  const strategies = new Map<Strategy, number>();
  spec.strategies.forEach((s, i) => {
    const seen = strategies.get(s);
    if (seen === undefined) strategies.set(s, i);
    else onWarning(`${where}: strategies.${i} repeats ${s} (strategies.${seen}); it is run once`);
  });
  if (workloads.size === spec.workloads.length && l3.size === spec.l3Bytes.length && strategies.size === spec.strategies.length) return spec;
  return { ...spec, workloads: [...workloads.values()].map((e) => e.w), l3Bytes: [...l3.keys()], strategies: [...strategies.keys()] };
}

/** A preset as a sweep spec. */
export function presetSpec(name: "focused" | "comprehensive", model: L3Model = "kpu", cAccounting: CAccounting = "rmw"): SweepSpec {
  const p = SWEEP_PRESETS[name];
  return { workloads: p.workloads, strategies: STRATEGIES, l3Bytes: p.l3Bytes, model, cAccounting };
}
