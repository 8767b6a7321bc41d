import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { KpuError, issuePath, issueRule } from "@kpu/ir";
import { SIM_TRACE_KIND, SIM_TRACE_SCHEMA_VERSION, type SimReport } from "@kpu/kpu-model";
import { z } from "zod";

/** At most this many tasks go into a page (earliest first); the page says when more were left out. */
export const MAX_EMBEDDED_TASKS = 200_000;

const num = z.number().nonnegative();
/** The fields of a `kpu sim --json` result the page reads. */
const simReportSchema = z.looseObject({
  hardware: z.string(),
  m: num,
  n: num,
  k: num,
  strategy: z.string(),
  totalCycles: num,
  timeNs: num,
  fabricUtilisation: num,
  macUtilisation: num,
  resources: z.array(z.looseObject({ resource: z.string(), clockMhz: num, busyCycles: num, stalledDataCycles: num, stalledCreditCycles: num, idleCycles: num, busyFraction: num })),
  levels: z.array(z.looseObject({ level: z.string(), readBytes: num, writeBytes: num, achievedGBps: num, peakGBps: num, energyPj: num })),
  energyPj: z.looseObject({ total: num }),
});

const traceSchema = z.looseObject({
  traceEvents: z.array(z.looseObject({ name: z.string(), ph: z.string(), ts: z.number(), pid: z.number(), tid: z.number(), dur: z.number().optional(), cat: z.string().optional(), args: z.record(z.string(), z.unknown()).optional() })),
  // version 1 (one process) reads as the first compute tile of version 2 (one process per compute tile)
  otherData: z.looseObject({ kind: z.literal(SIM_TRACE_KIND), schemaVersion: z.union([z.literal(1), z.literal(SIM_TRACE_SCHEMA_VERSION)]), report: z.unknown() }),
});

/** Tasks in columns (times in ns), lanes in thread order; stalls separately. */
export interface Timeline {
  readonly lanes: readonly string[];
  readonly lane: number[];
  readonly startNs: number[];
  readonly endNs: number[];
  readonly kind: string[];
  readonly label: string[];
  readonly bytes: number[];
  readonly stallLane: number[];
  readonly stallStartNs: number[];
  readonly stallEndNs: number[];
  readonly stallCause: string[];
  /** The tasks in the trace, how many the page holds, and up to when the page's timeline is complete. */
  readonly totalTasks: number;
  readonly embeddedTasks: number;
  readonly completeUntilNs: number;
  /** The end of the last task in the trace. */
  readonly spanNs: number;
  /** The compute tile shown (the trace's first process: the largest block) and how many the trace has. */
  readonly tile: string;
  readonly tiles: number;
}

export interface SimView {
  readonly report: SimReport;
  readonly timeline: Timeline | null;
  /** Why there is no timeline, when there is none. */
  readonly note: string | null;
}

function schemaError(path: (string | number)[], rule: string, where: string, hint: string): KpuError {
  const p = issuePath(path);
  return new KpuError("KPU_SCHEMA", `${p === "" ? "the document" : p} ${rule}`, { where: `${where}:${p || "(root)"}`, hint });
}

/** A `kpu sim --json` result, recognised by its fields (it has no kind). */
export function isSimReport(doc: unknown): boolean {
  const d = doc as Record<string, unknown> | null;
  return d !== null && typeof d === "object" && "totalCycles" in d && Array.isArray(d.resources) && Array.isArray(d.levels);
}

export function isSimTrace(doc: unknown): boolean {
  return (doc as { otherData?: { kind?: unknown } } | null)?.otherData?.kind === SIM_TRACE_KIND;
}

function parseReport(doc: unknown, where: string): SimReport {
  const r = simReportSchema.safeParse(doc);
  if (!r.success) throw schemaError(r.error.issues[0]!.path as (string | number)[], issueRule(r.error.issues[0]!), where, "Pass the output of `kpu sim ... --json`.");
  return r.data as unknown as SimReport;
}

/** The parts of a trace document the timeline reads. */
export interface TraceInput {
  readonly traceEvents: readonly {
    readonly name: string;
    readonly ph: string;
    readonly ts: number;
    readonly pid: number;
    readonly tid: number;
    readonly dur?: number | undefined;
    readonly cat?: string | undefined;
    readonly args?: Readonly<Record<string, unknown>> | undefined;
  }[];
}

/** An event argument as text (absent or not text: the fallback). */
const argText = (args: Readonly<Record<string, unknown>> | undefined, key: string, fallback: string): string => {
  const v = args?.[key];
  return typeof v === "string" ? v : fallback;
};

/**
 * The timeline of a `kpu sim --trace` file: the first compute tile's (its first process: the largest block, whose
 * times the report gives), the earliest MAX_EMBEDDED_TASKS tasks and their stalls.
 */
export function timelineOf(trace: TraceInput, maxTasks = MAX_EMBEDDED_TASKS): Timeline {
  const processes = trace.traceEvents.filter((e) => e.ph === "M" && e.name === "process_name").sort((a, b) => a.pid - b.pid);
  const pid = processes[0]?.pid ?? Math.min(...trace.traceEvents.map((e) => e.pid));
  const ev = trace.traceEvents.filter((e) => e.pid === pid);
  const threads = ev.filter((e) => e.ph === "M" && e.name === "thread_name").sort((a, b) => a.tid - b.tid);
  const laneOf = new Map(threads.map((t, i) => [t.tid, i]));
  const spans = ev.filter((e) => e.ph === "X" && laneOf.has(e.tid)).sort((a, b) => a.ts - b.ts);
  const tasks = spans.filter((e) => e.cat !== "stall");
  const kept = tasks.slice(0, maxTasks);
  const completeUntilNs = kept.length < tasks.length ? tasks[kept.length]!.ts * 1000 : Number.POSITIVE_INFINITY;
  const stalls = spans.filter((e) => e.cat === "stall" && e.ts * 1000 < completeUntilNs);
  const end = Math.max(0, ...tasks.map((e) => e.ts + (e.dur ?? 0)));
  return {
    lanes: threads.map((t) => argText(t.args, "name", `thread ${t.tid}`)),
    lane: kept.map((e) => laneOf.get(e.tid)!),
    startNs: kept.map((e) => e.ts * 1000),
    endNs: kept.map((e) => (e.ts + (e.dur ?? 0)) * 1000),
    kind: kept.map((e) => argText(e.args, "kind", e.cat ?? "")),
    label: kept.map((e) => e.name),
    bytes: kept.map((e) => Number(e.args?.bytes ?? 0)),
    stallLane: stalls.map((e) => laneOf.get(e.tid)!),
    stallStartNs: stalls.map((e) => e.ts * 1000),
    stallEndNs: stalls.map((e) => (e.ts + (e.dur ?? 0)) * 1000),
    stallCause: stalls.map((e) => argText(e.args, "cause", "")),
    totalTasks: tasks.length,
    embeddedTasks: kept.length,
    completeUntilNs: Number.isFinite(completeUntilNs) ? completeUntilNs : end * 1000,
    spanNs: end * 1000,
    tile: argText(processes[0]?.args, "name", "compute tile 0"),
    tiles: Math.max(1, processes.length),
  };
}

function readTrace(path: string, where: string): z.infer<typeof traceSchema> {
  if (!existsSync(path)) throw new KpuError("KPU_NO_SUCH_FILE", "no such file (the trace the simulation result names)", { where, hint: "Run `kpu sim` again with --trace next to --json, or pass the trace file itself." });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new KpuError("KPU_BAD_SYNTAX", `is not valid JSON (${(cause as Error).message})`, { where: path, hint: "Pass a file written by `kpu sim --trace`.", cause });
  }
  return parseTrace(doc, path);
}

function parseTrace(doc: unknown, where: string): z.infer<typeof traceSchema> {
  const t = traceSchema.safeParse(doc);
  if (!t.success) throw schemaError(t.error.issues[0]!.path as (string | number)[], issueRule(t.error.issues[0]!), where, "Pass a file written by `kpu sim --trace`.");
  return t.data;
}

/** A trace file (its otherData holds the report) or a `kpu sim --json` result (with the trace it names, if any). */
export function simView(doc: unknown, where: string): SimView {
  if (isSimTrace(doc)) {
    const trace = parseTrace(doc, where);
    return { report: parseReport(trace.otherData.report, `${where}:otherData.report`), timeline: timelineOf(trace), note: null };
  }
  const report = parseReport(doc, where);
  const named = (doc as { trace?: unknown }).trace;
  if (typeof named !== "string") return { report, timeline: null, note: "no timeline: run `kpu sim ... --json --trace trace.json` to include the Gantt chart" };
  const candidates = isAbsolute(named) ? [named] : [resolve(named), resolve(dirname(where), named)];
  const path = candidates.find((p) => existsSync(p)) ?? candidates[0]!;
  return { report, timeline: timelineOf(readTrace(path, `${where}:trace`)), note: null };
}
