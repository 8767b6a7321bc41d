import fc from "fast-check";
import { HARDWARE_PRESETS, RESOURCES, TASK_KINDS, validateHardware, type Hardware, type HardwareJson } from "../src/index.js";
import type { SimRun } from "../src/index.js";

const KIND_LOAD = TASK_KINDS.load;
const [DMA, MOVER, STREAMER, FABRIC] = (["dma", "blockMover", "streamer", "fabric"] as const).map((r) => RESOURCES.indexOf(r)) as [number, number, number, number];

export interface RandomCase {
  readonly hw: Hardware;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly tiles: { m: number; n: number; k: number };
  readonly strategy: "ws" | "is" | "os";
  readonly buffers: number;
  /** The same machine with every level just large enough for its own drawn buffering depth (tight capacities). */
  readonly tightHw: Hardware;
  readonly depths: { readonly l1: number; readonly l2: number; readonly l3: number };
}

/** Random hardware (one compute tile) and a small matmul whose tiles fit the levels. */
export const randomCase: fc.Arbitrary<RandomCase> = fc
  .record({
    rows: fc.integer({ min: 1, max: 8 }),
    cols: fc.integer({ min: 1, max: 8 }),
    dataflow: fc.constantFrom("os", "ws", "is"),
    dma: fc.constantFrom(250, 500, 1000),
    mover: fc.constantFrom(500, 1000),
    streamer: fc.constantFrom(500, 1000, 2000),
    bw: fc.array(fc.integer({ min: 4, max: 512 }), { minLength: 4, maxLength: 4 }),
    lat: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 4, maxLength: 4 }),
    extra: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }),
    m: fc.integer({ min: 1, max: 160 }),
    n: fc.integer({ min: 1, max: 160 }),
    k: fc.integer({ min: 1, max: 160 }),
    tm: fc.constantFrom(8, 16, 32),
    tn: fc.constantFrom(8, 16, 32),
    tk: fc.constantFrom(8, 16, 32),
    strategy: fc.constantFrom("ws", "is", "os"),
    buffers: fc.integer({ min: 1, max: 3 }),
    depths: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    slack: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
  })
  .map((r) => {
    const eb = 4;
    const tiles = { m: Math.min(r.tm, r.m), n: Math.min(r.tn, r.n), k: Math.min(r.tk, r.k) };
    const a = tiles.m * tiles.k * eb;
    const b = tiles.k * tiles.n * eb;
    const c = tiles.m * tiles.n * eb;
    const set = a + b + c;
    const minTile = 3 * r.rows * r.cols * eb;
    const cap = (bytes: number) => Math.max(bytes, minTile);
    const base = HARDWARE_PRESETS.minimal!;
    const level = (i: number, bankBytes: number) => ({
      banks: 1,
      bankBytes,
      busWidthBytes: 64,
      bandwidthBytesPerCycle: r.bw[i]!,
      latencyCycles: r.lat[i]!,
      energyPjPerByte: [200, 10, 5, 1][i]!,
    });
    const json: HardwareJson = {
      ...base,
      name: "random",
      fabric: { rows: r.rows, cols: r.cols, dataflow: r.dataflow, macEnergyPj: 0.2 },
      clocks: { dmaMhz: r.dma, blockMoverMhz: r.mover, streamerMhz: r.streamer, fabricMhz: 2000 },
      levels: {
        dram: level(0, 1 << 30),
        // every level holds at least two buffered tile sets (tests compare buffers 1 and 2) and the drawn depth
        l3: level(1, cap(set * (Math.max(2, r.buffers) + r.extra[0]!) + 64 * r.extra[1]!)),
        l2: level(2, cap(set * (Math.max(2, r.buffers) + r.extra[1]!))),
        l1: level(3, cap(Math.max(2, r.buffers) * set + c + 128 * r.extra[2]!)),
      },
    };
    const [d1, d2, d3] = r.depths;
    const tight: HardwareJson = {
      ...json,
      levels: {
        dram: json.levels.dram,
        l3: level(1, cap(set * d3 + 16 * r.slack[0]!)),
        l2: level(2, cap(set * d2 + 16 * r.slack[1]!)),
        l1: level(3, cap(set * d1 + 16 * r.slack[2]!)),
      },
    };
    const out: RandomCase = {
      hw: validateHardware(json, "random"),
      m: r.m,
      n: r.n,
      k: r.k,
      tiles,
      strategy: r.strategy,
      buffers: r.buffers,
      tightHw: validateHardware(tight, "random-tight"),
      depths: { l1: d1, l2: d2, l3: d3 },
    };
    return out;
  });

/** Largest number of steps in flight at a level: a step is taken when a producer starts its first transfer for it. */
export function maxStepsInFlight(run: SimRun, producer: number, consumerDone: (step: number) => number): number {
  const p = run.plan.program;
  const tr = run.trace;
  const first = new Float64Array(run.plan.steps).fill(Infinity);
  for (let t = 0; t < p.n; t++) {
    if (p.res[t] === producer && p.kind[t] === KIND_LOAD) first[p.step[t]!] = Math.min(first[p.step[t]!]!, tr.startTick[t]!);
  }
  const events: [number, number][] = [];
  for (let s = 0; s < run.plan.steps; s++) {
    if (first[s] === Infinity) continue;
    events.push([first[s]!, 1], [consumerDone(s), -1]);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}

/** Done tick of the last task of `res` belonging to a step <= s (the consumer of a level), per step. */
export function lastDoneUpTo(run: SimRun, res: number, kindFilter?: number): (s: number) => number {
  const p = run.plan.program;
  const last = new Float64Array(run.plan.steps).fill(-1);
  for (let t = 0; t < p.n; t++) {
    if (p.res[t] !== res || (kindFilter !== undefined && p.kind[t] !== kindFilter)) continue;
    last[p.step[t]!] = Math.max(last[p.step[t]!]!, run.trace.doneTick[t]!);
  }
  for (let s = 1; s < last.length; s++) last[s] = Math.max(last[s]!, last[s - 1]!);
  return (s) => last[s]!;
}

export const RES = { DMA, MOVER, STREAMER, FABRIC };

/** Peak bytes held per level (1, 2, 3) from the recorded residencies, frees before allocations at equal ticks. */
export function peakOccupancy(run: SimRun): Record<1 | 2 | 3, number> {
  const tr = run.trace;
  const peaks: Record<1 | 2 | 3, number> = { 1: 0, 2: 0, 3: 0 };
  for (const level of [1, 2, 3] as const) {
    const events: [number, number][] = [];
    for (const r of run.plan.residency) {
      if (r.level !== level) continue;
      const start = tr.startTick[r.alloc]!;
      const end = r.evicted ? Math.max(start, ...r.release.map((t) => tr.endTick[t]!)) : Infinity;
      events.push([start, r.bytes], [end, -r.bytes]);
    }
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let cur = 0;
    for (const [, d] of events) {
      cur += d;
      peaks[level] = Math.max(peaks[level], cur);
    }
  }
  return peaks;
}
