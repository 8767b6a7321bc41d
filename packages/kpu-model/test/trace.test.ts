import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "@kpu/ir";
import {
  ANALYSIS_TRACE_KIND,
  GANTT_LANES,
  MAX_TRACE_TASKS,
  SIM_TRACE_KIND,
  analysisTrace,
  analyzeGraph,
  hardwarePreset,
  simTrace,
  simulateMatmul,
  type SimRun,
} from "../src/index.js";

/**
 * An independent reader of the Trace Event Format (JSON Object Format) as Perfetto and chrome://tracing take it: it
 * checks each event's required fields by phase, collects the metadata (process and thread names) and the complete
 * events per process and thread, and checks that the slices of a thread nest properly (each one inside the open one or
 * after it ends).
 */
interface Slice {
  readonly name: string;
  readonly cat: string | undefined;
  readonly ts: number;
  readonly dur: number;
  readonly args: Record<string, unknown>;
}
interface Process {
  name: string | undefined;
  readonly threads: Map<number, { name: string | undefined; readonly slices: Slice[] }>;
}

function readTrace(text: string): { processes: Map<number, Process>; otherData: Record<string, unknown> } {
  const doc = JSON.parse(text) as { traceEvents?: unknown; displayTimeUnit?: unknown; otherData?: Record<string, unknown> };
  if (!Array.isArray(doc.traceEvents)) throw new Error("traceEvents is not an array");
  if (doc.displayTimeUnit !== undefined && doc.displayTimeUnit !== "ns" && doc.displayTimeUnit !== "ms") throw new Error("bad displayTimeUnit");
  const processes = new Map<number, Process>();
  const proc = (pid: number): Process => {
    let p = processes.get(pid);
    if (p === undefined) processes.set(pid, (p = { name: undefined, threads: new Map() }));
    return p;
  };
  const thread = (pid: number, tid: number) => {
    const p = proc(pid);
    let t = p.threads.get(tid);
    if (t === undefined) p.threads.set(tid, (t = { name: undefined, slices: [] }));
    return t;
  };
  for (const raw of doc.traceEvents as Record<string, unknown>[]) {
    for (const field of ["name", "ph", "ts", "pid", "tid"]) if (!(field in raw)) throw new Error(`event without ${field}: ${JSON.stringify(raw)}`);
    const { name, ph, ts, pid, tid, dur, args } = raw as { name: unknown; ph: unknown; ts: unknown; pid: unknown; tid: unknown; dur: unknown; args: unknown };
    if (typeof name !== "string" || typeof ts !== "number" || !Number.isFinite(ts) || ts < 0) throw new Error(`bad name or ts: ${JSON.stringify(raw)}`);
    if (!Number.isInteger(pid) || !Number.isInteger(tid)) throw new Error(`bad pid or tid: ${JSON.stringify(raw)}`);
    const a = (args ?? {}) as Record<string, unknown>;
    if (ph === "M") {
      if (name === "process_name") proc(pid as number).name = String(a.name);
      else if (name === "thread_name") thread(pid as number, tid as number).name = String(a.name);
      else if (name !== "process_sort_index" && name !== "thread_sort_index") throw new Error(`unknown metadata ${name}`);
      if (name.endsWith("_sort_index") && !Number.isInteger(a.sort_index)) throw new Error("sort_index is not an integer");
    } else if (ph === "X") {
      if (typeof dur !== "number" || !Number.isFinite(dur) || dur < 0) throw new Error(`complete event without a duration: ${JSON.stringify(raw)}`);
      thread(pid as number, tid as number).slices.push({ name, cat: (raw as { cat?: string }).cat, ts, dur, args: a });
    } else throw new Error(`unexpected phase ${String(ph)}`);
  }
  // nesting per thread: sorted by start (longer first on ties), each slice lies inside the open one or after it
  const eps = 1e-9;
  for (const [pid, p] of processes) {
    for (const [tid, t] of p.threads) {
      const open: Slice[] = [];
      for (const s of [...t.slices].sort((x, y) => x.ts - y.ts || y.dur - x.dur)) {
        while (open.length > 0 && s.ts >= open.at(-1)!.ts + open.at(-1)!.dur - eps) open.pop();
        const top = open.at(-1);
        if (top !== undefined && s.ts + s.dur > top.ts + top.dur + eps) throw new Error(`pid ${pid} tid ${tid}: ${s.name} overlaps ${top.name} without nesting`);
        open.push(s);
      }
    }
  }
  return { processes, otherData: doc.otherData ?? {} };
}

const sum = (xs: readonly Slice[]) => xs.reduce((s, x) => s + x.dur, 0);
/** The near-equal split of an extent, written here from its definition: the first `dim % parts` parts one larger. */
const split = (dim: number, parts: number) => Array.from({ length: parts }, (_, i) => Math.floor(dim / parts) + (i < dim % parts ? 1 : 0));

describe("simTrace: one compute tile", () => {
  const run = simulateMatmul({ hardware: hardwarePreset("minimal"), m: 96, n: 64, k: 96, strategy: "ws", tiles: { m: 32, n: 32, k: 32 }, buffers: 1 });
  const { processes, otherData } = readTrace(JSON.stringify(simTrace(run)));
  const p = processes.get(1)!;

  it("is valid Trace Event Format with one process, one thread per engine, and the report", () => {
    expect(otherData.kind).toBe(SIM_TRACE_KIND);
    expect(otherData.report).toEqual(JSON.parse(JSON.stringify(run.report)));
    expect([...processes.keys()]).toEqual([1]);
    expect(p.name).toBe("compute tile 0 (row 0, col 0): C[0:96, 0:64], block 96x64x96");
    expect([...p.threads].map(([tid, t]) => [tid, t.name])).toEqual(GANTT_LANES.map((name, i) => [i + 1, name]));
  });

  it("has one span per task, transfers on the movers and compute on the fabric", () => {
    const all = [...p.threads.values()].flatMap((t) => t.slices);
    const tasks = all.filter((e) => e.cat !== "stall");
    expect(tasks).toHaveLength(run.plan.program.n);
    expect(p.threads.get(4)!.slices.every((e) => e.cat === "compute" || e.cat === "stall")).toBe(true);
    for (const tid of [1, 2, 3]) expect(p.threads.get(tid)!.slices.every((e) => e.cat === "transfer" || e.cat === "stall")).toBe(true);
    expect(tasks.some((e) => /^A\[i=\d+,k=\d+\]$/.test(e.name))).toBe(true);
    const delivered = Math.max(...all.map((e) => Math.max(e.ts + e.dur, Number(e.args.deliveredUs ?? 0))));
    expect(delivered).toBeCloseTo(run.report.timeNs / 1000, 6);
  });

  it("adds up to the report: busy and stalled time per engine", () => {
    run.report.resources.forEach((r, i) => {
      const on = p.threads.get(i + 1)!.slices;
      expect(sum(on.filter((e) => e.cat !== "stall"))).toBeCloseTo(r.busyCycles / r.clockMhz, 6);
      expect(sum(on.filter((e) => e.args.cause === "data"))).toBeCloseTo(r.stalledDataCycles / r.clockMhz, 6);
      expect(sum(on.filter((e) => e.args.cause === "credit"))).toBeCloseTo(r.stalledCreditCycles / r.clockMhz, 6);
    });
    const stalls = [...p.threads.values()].flatMap((t) => t.slices).filter((e) => e.cat === "stall");
    expect(new Set(stalls.map((e) => e.args.cause))).toEqual(new Set(["data", "credit"]));
  });

  it("refuses a trace too large to write", () => {
    expect(MAX_TRACE_TASKS).toBeGreaterThan(run.plan.program.n);
    type Program = typeof run.plan.program;
    const program = Object.assign<Program, Program, { n: number }>(Object.create(Object.getPrototypeOf(run.plan.program) as object) as Program, run.plan.program, { n: MAX_TRACE_TASKS + 1 });
    const big: SimRun = { ...run, blocks: [{ ...run.blocks[0]!, plan: { ...run.plan, program } }] };
    expect(() => simTrace(big)).toThrow(/more than kpu writes/);
  });
});

describe("simTrace: one process per compute tile, each from its own block", () => {
  // datacenter: 256 compute tiles; C 33x33 splits 16x16 into blocks 3x3 (1), 3x2 (15), 2x3 (15) and 2x2 (225)
  const hw = hardwarePreset("datacenter");
  const [M, N, K] = [33, 33, 64];
  const run = simulateMatmul({ hardware: hw, m: M, n: N, k: K, strategy: "os", everyBlock: true });
  const grid = run.report.mapping!.grid;
  const { processes, otherData } = readTrace(JSON.stringify(simTrace(run)));
  const rows = split(M, grid.rows);
  const cols = split(N, grid.cols);
  const blockOf = (pid: number) => ({ m: rows[Math.floor((pid - 1) / grid.cols)]!, n: cols[(pid - 1) % grid.cols]! });

  it("simulates every distinct block shape once", () => {
    expect([grid.rows, grid.cols]).toEqual([16, 16]);
    expect(run.blocks.map((b) => [b.share!.m, b.share!.n, b.share!.count])).toEqual([
      [3, 3, 1],
      [3, 2, 15],
      [2, 3, 15],
      [2, 2, 225],
    ]);
  });

  it("has one process per compute tile of the grid, named by its position and block of C", () => {
    expect(processes.size).toBe(grid.rows * grid.cols);
    expect((otherData.tiles as unknown[]).length).toBe(256);
    const m0 = (r: number) => rows.slice(0, r).reduce((s, x) => s + x, 0);
    const n0 = (c: number) => cols.slice(0, c).reduce((s, x) => s + x, 0);
    for (const [pid, p] of processes) {
      const r = Math.floor((pid - 1) / grid.cols);
      const c = (pid - 1) % grid.cols;
      const b = blockOf(pid);
      expect(p.name).toBe(`compute tile ${pid - 1} (row ${r}, col ${c}): C[${m0(r)}:${m0(r) + b.m}, ${n0(c)}:${n0(c) + b.n}], block ${b.m}x${b.n}x${K}`);
      // one thread per engine, each with spans
      expect([...p.threads.values()].map((t) => t.name)).toEqual([...GANTT_LANES]);
      for (const t of p.threads.values()) expect(t.slices.filter((s) => s.cat !== "stall").length).toBeGreaterThan(0);
    }
  });

  it("gives the largest block's tile the report's busy and stalled time per engine", () => {
    const p = processes.get(1)!;
    run.report.resources.forEach((r, i) => {
      const on = p.threads.get(i + 1)!.slices;
      expect(sum(on.filter((e) => e.cat !== "stall"))).toBeCloseTo(r.busyCycles / r.clockMhz, 6);
      expect(sum(on.filter((e) => e.cat === "stall"))).toBeCloseTo((r.stalledDataCycles + r.stalledCreditCycles) / r.clockMhz, 6);
    });
  });

  it("times every other tile by its own block: block mover, streamer and fabric as that block run alone", () => {
    // The movers below DRAM and the fabric have per-tile bandwidth, so their busy time depends on the block alone: a
    // 1x1-grid simulation of the block (same tiles and loop orders) is the reference. DRAM is shared by the grid.
    const mapping = { ...run.report.mapping!, grid: { rows: 1, cols: 1, multicast: true } };
    for (const pid of [2, 17, 18]) {
      const b = blockOf(pid);
      const alone = simulateMatmul({ hardware: hw, m: b.m, n: b.n, k: K, mapping }).report;
      const p = processes.get(pid)!;
      for (const i of [1, 2, 3]) {
        const r = alone.resources[i]!;
        expect(sum(p.threads.get(i + 1)!.slices.filter((e) => e.cat !== "stall"))).toBeCloseTo(r.busyCycles / r.clockMhz, 6);
      }
      // smaller blocks keep the fabric busy for less time than the largest
      expect(sum(p.threads.get(4)!.slices)).toBeLessThan(sum(processes.get(1)!.threads.get(4)!.slices));
    }
    // tiles with equal blocks have equal timelines
    const key = (pid: number) => JSON.stringify([...processes.get(pid)!.threads.values()].map((t) => t.slices));
    expect(key(18)).toBe(key(256));
  });

  it("refuses to trace every tile when only the largest block was simulated, and traces the first alone", () => {
    const partial = simulateMatmul({ hardware: hw, m: M, n: N, k: K, strategy: "os" });
    expect(partial.blocks).toHaveLength(1);
    expect(() => simTrace(partial)).toThrow(/block was not simulated/);
    expect(readTrace(JSON.stringify(simTrace(partial, { tiles: "first" }))).processes.size).toBe(1);
  });
});

describe("analysisTrace: a network's timeline", () => {
  const hw = hardwarePreset("edge-ai");
  const b = new GraphBuilder("trace-net");
  const x = b.input("x", [1, 3, 16, 16]);
  let y = b.relu(b.add(b.conv2d(x, b.weight("c1.w", [8, 3, 3, 3]), { padding: [1, 1, 1, 1], id: "c1" }), b.weight("c1.b", [1, 8, 1, 1])));
  y = b.maxPool(y, [2, 2], { stride: [2, 2], id: "pool" });
  const f = b.flatten(b.globalAvgPool(y, { id: "gap" }), 1, { id: "flat" });
  b.output(b.softmax(b.matmul(f, b.weight("fc.w", [8, 10]), { id: "fc" }), -1, { id: "sm" }));
  const a = analyzeGraph(b.build(), hw);
  const { processes, otherData } = readTrace(JSON.stringify(analysisTrace(a, hw)));
  // edge-ai: 2000 MHz fabric, DRAM 128 GB/s = 64 bytes per fabric cycle
  const MHZ = 2000;

  it("has one process per compute tile with a layers thread and one thread per engine", () => {
    expect(otherData.kind).toBe(ANALYSIS_TRACE_KIND);
    expect(processes.size).toBe(hw.computeTiles);
    for (const [pid, p] of processes) {
      expect(p.name).toBe(`compute tile ${pid - 1}`);
      expect([...p.threads.values()].map((t) => t.name)).toEqual(["Layers", "Fabric", "Vector unit", ...GANTT_LANES.slice(0, 3)]);
    }
  });

  it("runs every layer once, one after another, adding up to the network's latency", () => {
    for (const p of processes.values()) {
      const layers = p.threads.get(1)!.slices;
      expect(layers.map((l) => l.name)).toEqual(a.layers.map((l) => l.id));
      layers.forEach((l, i) => {
        expect(l.ts).toBeCloseTo(i === 0 ? 0 : layers[i - 1]!.ts + layers[i - 1]!.dur, 9);
        // times are rounded to picoseconds (1e-6 us): a slice is within 1 ps of its exact length
        expect(Math.abs(l.dur - a.layers[i]!.latencyNs / 1000)).toBeLessThanOrEqual(1e-6 + 1e-12);
        expect(l.args).toMatchObject({ op: a.layers[i]!.op, bound: a.layers[i]!.bound, dramBytes: a.layers[i]!.bytes.dram });
      });
      expect(Math.abs(sum(layers) - a.totals.latencyNs / 1000)).toBeLessThan(1e-6 * layers.length);
    }
  });

  it("shows each layer's busy time per engine inside its span", () => {
    const p = processes.get(1)!;
    const layers = p.threads.get(1)!.slices;
    const engines = ["fabric", "vector", "dram", "l3", "l2"] as const;
    engines.forEach((engine, i) => {
      for (const s of p.threads.get(i + 2)!.slices) {
        const layer = a.layers.find((l) => l.id === s.name)!;
        const span = layers.find((l) => l.name === s.name)!;
        expect(s.ts).toBe(span.ts);
        expect(s.dur).toBeLessThanOrEqual(span.dur + 1e-9);
        expect(Math.abs(s.dur - layer.engineCycles[engine] / MHZ)).toBeLessThanOrEqual(1e-6 + 1e-12);
      }
    });
    // a streamed layer's DMA time is its bytes over the chip's DRAM bandwidth (64 B per fabric cycle)
    const pool = a.layers.find((l) => l.id === "pool")!;
    const dma = p.threads.get(4)!.slices.find((s) => s.name === "pool")!;
    expect(Math.abs(dma.dur - pool.bytes.dram / 64 / MHZ)).toBeLessThanOrEqual(1e-6 + 1e-12);
    // the fabric runs the conv and the classifier; the vector unit the softmax
    expect(p.threads.get(2)!.slices.map((s) => s.name)).toEqual(expect.arrayContaining(["c1", "fc"]));
    expect(p.threads.get(3)!.slices.map((s) => s.name)).toContain("sm");
  });
});

describe("simTrace: per-tile invariants (property)", () => {
  it("tiles partition C, each tile runs its own block, tiles of one shape share a timeline", () => {
    const hw = hardwarePreset("datacenter");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 8, max: 48 }), (m, n, k) => {
        const run = simulateMatmul({ hardware: hw, m, n, k, strategy: "os", everyBlock: true });
        const grid = run.report.mapping!.grid;
        const { processes, otherData } = readTrace(JSON.stringify(simTrace(run)));
        expect(processes.size).toBe(grid.rows * grid.cols);
        // the blocks tile C exactly: row-major, contiguous, covering every element once
        const tiles = otherData.tiles as { pid: number; row: number; col: number; m0: number; m1: number; n0: number; n1: number }[];
        let covered = 0;
        for (const t of tiles) {
          expect(t.pid).toBe(t.row * grid.cols + t.col + 1);
          if (t.col > 0) expect(t.n0).toBe(tiles[t.pid - 2]!.n1);
          if (t.row > 0) expect(t.m0).toBe(tiles[t.pid - 1 - grid.cols]!.m1);
          covered += (t.m1 - t.m0) * (t.n1 - t.n0);
        }
        expect(covered).toBe(m * n);
        expect(tiles.at(-1)).toMatchObject({ m1: m, n1: n });
        // at most 4 shapes, each simulated once
        const shapes = new Map<string, string>();
        for (const t of tiles) {
          const key = `${t.m1 - t.m0}x${t.n1 - t.n0}`;
          const timeline = JSON.stringify([...processes.get(t.pid)!.threads.values()].map((th) => th.slices));
          if (!shapes.has(key)) shapes.set(key, timeline);
          else expect(timeline).toBe(shapes.get(key));
        }
        expect(shapes.size).toBeLessThanOrEqual(4);
        expect(run.blocks.map((b) => `${b.share!.m}x${b.share!.n}`).sort()).toEqual([...shapes.keys()].sort());
      }),
      { numRuns: 12, seed: 16 },
    );
  });
});
