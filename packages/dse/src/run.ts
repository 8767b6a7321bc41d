import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DSE_SCHEMA_VERSION, KpuError, graphToJson, paretoFront, parseDseResult, type DsePoint, type DseResult, type Graph } from "@kpu/ir";
import type { HardwareJson } from "@kpu/kpu-model";
import { createWorkerPool, ensureOutputDir, lockOutputDir, writeError, writeFileAtomic } from "@kpu/scheduler";
import { dseOutputs } from "./outputs.js";
import { applyParameters } from "./parameters.js";
import { dseToolVersion, evaluatePoint, modelHash, pointId, type PointTask, type Timing } from "./point.js";
import { spacePoints, type Space } from "./space.js";
import stringify from "safe-stable-stringify";

/** Runs point tasks somewhere (worker threads here, `kpu worker` processes through `@kpu/queue`), calling `done` once per task. */
export type PointExecutor = (tasks: readonly PointTask[], done: (point: DsePoint) => void) => Promise<void>;

export interface DseOptions {
  readonly graph: Graph;
  readonly model: { readonly name: string; readonly source: string };
  readonly space: Space;
  /** Output folder: points.jsonl (appended as points finish), dse.json, points.csv, pareto.svg, sensitivity.svg. */
  readonly outDir: string;
  /** Worker threads (default: every core); 1 runs in this thread. */
  readonly threads?: number;
  readonly timing?: Timing;
  readonly executor?: PointExecutor;
  /** Called with points done (resumed ones included) and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Resume's notes: unreadable lines of points.jsonl (default: stderr). */
  readonly onWarning?: (message: string) => void;
  /** The flag that named outDir, for error locations. */
  readonly outFlag?: string;
}

export interface DseOutcome {
  readonly result: DseResult;
  readonly resumed: number;
  readonly computed: number;
  readonly seconds: number;
  readonly files: { readonly log: string; readonly json: string; readonly csv: string; readonly paretoSvg: string; readonly sensitivitySvg: string };
}

/** The space's points as tasks (id, parameters, applied hardware), in the space's order. */
export function dseTasks(graph: Graph, space: Space, timing: Timing = "analysis"): PointTask[] {
  const model = modelHash(graph);
  const text = JSON.stringify(graphToJson(graph));
  return spacePoints(space).map((params) => {
    const hardware: HardwareJson = applyParameters(space.base, params);
    return { id: pointId(model, hardware, space.objective, timing), params, hardware, graph: text, objective: space.objective, timing };
  });
}

/** A points.jsonl line as a point, or why not. */
function readPoint(line: string): DsePoint | string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return "not JSON (a torn write)";
  }
  return checkDsePoint(raw);
}

/** A value checked as a `kpu.dse` point (the format's schema, through a one-point document), or why it is not one. */
export function checkDsePoint(raw: unknown): DsePoint | string {
  try {
    const doc = { kind: "kpu.dse", schemaVersion: DSE_SCHEMA_VERSION, model: { name: "", source: "" }, baseHardware: "", objective: "", tool: { name: "", version: "" }, parameters: [], points: [raw] };
    return parseDseResult(JSON.stringify(doc), "line").points[0]!;
  } catch (e) {
    return e instanceof KpuError ? `${e.message} (${e.where ?? ""})` : String(e);
  }
}

/** Reads points.jsonl: every line that checks, first copy of an id kept; the others are reported and dropped. */
function loadLog(path: string, warn: (m: string) => void): DsePoint[] {
  if (!existsSync(path)) return [];
  const seen = new Set<string>();
  const out: DsePoint[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const p = readPoint(line);
      if (typeof p === "string") warn(`${path}:${i + 1}: unreadable point (${p}); it is recomputed`);
      else if (seen.has(p.id)) warn(`${path}:${i + 1}: repeats point ${p.id}; the first copy is kept`);
      else {
        seen.add(p.id);
        out.push(p);
      }
    });
  return out;
}

/** A pool of worker threads that evaluate points (`evaluatePoint`, one mapper thread each); destroy it when done. */
export interface PointPool {
  run(task: PointTask): Promise<DsePoint>;
  destroy(): Promise<void>;
}

export function pointPool(threads: number): PointPool {
  const pool = createWorkerPool(import.meta.url, { built: "./point-worker.js", source: "./point-worker-source.mjs" }, threads);
  return { run: async (t) => (await pool.run(t)) as DsePoint, destroy: () => pool.destroy() };
}

async function localExecutor(tasks: readonly PointTask[], threads: number, done: (p: DsePoint) => void): Promise<void> {
  if (threads <= 1 || tasks.length <= 1) {
    for (const t of tasks) {
      done(await evaluatePoint(t));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return;
  }
  const pool = pointPool(Math.min(threads, tasks.length));
  try {
    await Promise.all(tasks.map(async (t) => { done(await pool.run(t)); }));
  } finally {
    await pool.destroy();
  }
}

const lineOf = (p: DsePoint): string => `${stringify(p)}\n`;

/**
 * Runs a design-space exploration: every point of the space (base hardware with the parameters applied) mapped and
 * timed, appended to points.jsonl as it finishes. Run again on the same folder, points already there (same key: model,
 * hardware, objective, timing, tool version) are not recomputed; a torn last line is dropped and recomputed. The
 * folder is locked against a second writer. At the end, dse.json (`kpu.dse`, Pareto front marked), points.csv and the
 * two SVGs. A model that fits no point: the files are written, then KPU_DSE_NO_FIT.
 */
export async function runDse(options: DseOptions): Promise<DseOutcome> {
  const start = performance.now();
  const dir = options.outDir;
  const flag = options.outFlag;
  const warn = options.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  ensureOutputDir(dir, flag);
  const release = await lockOutputDir(dir, flag);
  try {
    const timing = options.timing ?? "analysis";
    const tasks = dseTasks(options.graph, options.space, timing);
    const logPath = join(dir, "points.jsonl");
    const previous = loadLog(logPath, warn);
    // the log from here on holds exactly the lines that check; new points are appended as they finish
    writeFileAtomic(logPath, previous.map(lineOf).join(""), flag);
    const have = new Map(previous.map((p) => [p.id, p]));
    const wanted = new Set(tasks.map((t) => t.id));
    const queued = new Set<string>();
    const todo = tasks.filter((t) => {
      if (have.has(t.id) || queued.has(t.id)) return false;
      queued.add(t.id);
      return true;
    });
    const resumed = [...wanted].filter((id) => have.has(id)).length;
    let done = resumed;
    let computed = 0;
    options.onProgress?.(done, wanted.size);
    const executor: PointExecutor = options.executor ?? ((t, d) => localExecutor(t, options.threads ?? availableParallelism(), d));
    const byId = new Map(todo.map((t) => [t.id, t]));
    await executor(todo, (point) => {
      const task = byId.get(point.id);
      if (task === undefined || have.has(point.id)) return;
      // checked like a resumed point (and so in the format's field order, wherever it was computed)
      const p = checkDsePoint({ ...point, params: task.params });
      if (typeof p === "string") throw new KpuError("KPU_INTERNAL", `point ${point.id} does not check: ${p}`, { where: "runDse" });
      try {
        appendFileSync(logPath, lineOf(p));
      } catch (cause) {
        throw writeError(cause, logPath, flag);
      }
      have.set(p.id, p);
      computed++;
      options.onProgress?.(++done, wanted.size);
    });
    const points = tasks.map((t) => {
      const p = have.get(t.id);
      if (p === undefined) throw new KpuError("KPU_INTERNAL", `point ${t.id} was not computed`, { where: "runDse" });
      return { ...p, params: t.params };
    });
    const front = paretoFront(points);
    const result: DseResult = {
      kind: "kpu.dse",
      schemaVersion: DSE_SCHEMA_VERSION,
      model: options.model,
      baseHardware: options.space.baseHardware,
      objective: options.space.objective,
      tool: { name: "kpu", version: dseToolVersion() },
      parameters: options.space.parameters,
      points: points.map((p, i) => ({ ...p, pareto: front[i]! })),
    };
    const files = await dseOutputs(result, dir, flag);
    const outcome = { result, resumed, computed, seconds: (performance.now() - start) / 1000, files: { log: logPath, ...files } };
    if (!result.points.some((p) => p.feasible)) {
      const reasons = [...new Set(result.points.map((p) => (p.reason ?? "").split(":")[0]))].join(", ");
      throw new KpuError("KPU_DSE_NO_FIT", `the model fits none of the ${result.points.length} points of the space (${reasons})`, {
        where: dir,
        hint: `Widen the space: larger on-chip levels, or fewer or smaller arrays; every point's reason is in ${files.json}.`,
      });
    }
    return outcome;
  } finally {
    await release();
  }
}
