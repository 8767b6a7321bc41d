import { KpuError, tileCount } from "@kpu/ir";
import { fabricTiming } from "../fabric.js";
import type { Dataflow, Hardware, LevelName } from "../hardware.js";
import { forEachStep, stepCount, type MatmulWorkload } from "../workload.js";
import {
  DMA,
  FABRIC,
  KIND_COMPUTE,
  KIND_LOAD,
  KIND_WRITEBACK,
  MOVER,
  STREAMER,
  TENSOR_A,
  TENSOR_B,
  TENSOR_C,
  TaskProgram,
  WAIT_CREDIT,
  WAIT_DATA,
  type Residency,
} from "./program.js";

/** Buffering depth per level: how many steps' tiles a level may hold ahead of its consumer (1 = none, 2 = double). */
export interface BufferDepths {
  readonly l3: number;
  readonly l2: number;
  readonly l1: number;
}

export interface PlanOptions {
  readonly buffers: BufferDepths;
  readonly activeComputeTiles: number;
  readonly dataflow: Dataflow;
  /** Levels whose transfers take no time (L1: the fabric is never slowed by L1 bandwidth). */
  readonly unlimitedBandwidth: ReadonlySet<LevelName>;
  readonly zeroLatency: boolean;
  readonly zeroCompute: boolean;
  readonly recordResidency: boolean;
  /** Called every 65,536 steps with the fraction of steps planned. */
  readonly onProgress?: (fraction: number) => void;
}

/** Bytes and MACs the plan moves and computes, per level, for one compute tile's share. */
export interface PlanTotals {
  readonly dramReadBytes: number;
  readonly dramWriteBytes: number;
  readonly l3ReadBytes: number;
  readonly l3WriteBytes: number;
  readonly l2ReadBytes: number;
  readonly l2WriteBytes: number;
  readonly l1ReadBytes: number;
  readonly l1WriteBytes: number;
  readonly macs: number;
  readonly fabricCycles: number;
}

/** Totals of nothing: the starting point of every accumulation (a fresh, mutable object). */
export function zeroPlanTotals(): { -readonly [K in keyof PlanTotals]: PlanTotals[K] } {
  return {
    dramReadBytes: 0,
    dramWriteBytes: 0,
    l3ReadBytes: 0,
    l3WriteBytes: 0,
    l2ReadBytes: 0,
    l2WriteBytes: 0,
    l1ReadBytes: 0,
    l1WriteBytes: 0,
    macs: 0,
    fabricCycles: 0,
  };
}

export interface Plan {
  readonly program: TaskProgram;
  readonly steps: number;
  /** Per step: the fabric task, and for A and B the tasks that brought the used copy into L3, L2 and L1. */
  readonly stepFabric: Int32Array;
  readonly stepArrivals: Int32Array;
  readonly totals: PlanTotals;
  readonly residency: Residency[];
  readonly capacities: { readonly l3: number; readonly l2: number; readonly l1: number };
}

/** The most (i, j, k) steps one simulation plans (about 0.75 KB of task data per step). */
export const MAX_SIM_STEPS = 1_000_000;

interface Entry {
  readonly key: number;
  readonly tensor: number;
  readonly a: number;
  readonly b: number;
  bytes: number;
  dirty: boolean;
  /** The latest task that wrote this tile's data into the level (-1: none yet). */
  arrival: number;
  lastReader: number;
  /** Release tasks of the victims evicted to make room, for a tile whose first data arrives later. */
  pending: number[] | null;
  residency: Residency | null;
  inCache: boolean;
  prev: Entry | null;
  next: Entry | null;
}

/**
 * A fully associative LRU over whole tiles with a byte capacity: one persistent entry per tile (reused across
 * evictions) on an intrusive recency list, so a touch allocates nothing.
 */
class Lru {
  used = 0;
  /**
   * The latest reader of any tile evicted so far (readers of a level are one in-order engine). A tile's space is
   * physically free only once its reader is done, and the LRU may hand that space to a tile reserved without data
   * (a C tile's first touch) and then to the next arrival, so every arrival waits for this reader.
   */
  maxReader = -1;
  /** Least recently used first. */
  head: Entry | null = null;
  private tail: Entry | null = null;
  private readonly entries: (Entry | undefined)[];
  constructor(
    readonly capacity: number,
    tiles: number,
  ) {
    this.entries = new Array<Entry | undefined>(tiles);
  }
  get(key: number): Entry | undefined {
    const e = this.entries[key];
    return e?.inCache === true ? e : undefined;
  }
  private unlink(e: Entry): void {
    if (e.prev === null) this.head = e.next;
    else e.prev.next = e.next;
    if (e.next === null) this.tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = null;
    e.next = null;
  }
  private append(e: Entry): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail === null) this.head = e;
    else this.tail.next = e;
    this.tail = e;
  }
  refresh(e: Entry): void {
    if (this.tail === e) return;
    this.unlink(e);
    this.append(e);
  }
  insert(key: number, tensor: number, a: number, b: number, bytes: number): Entry {
    let e = this.entries[key];
    if (e === undefined) {
      e = { key, tensor, a, b, bytes, dirty: false, arrival: -1, lastReader: -1, pending: null, residency: null, inCache: false, prev: null, next: null };
      this.entries[key] = e;
    }
    e.bytes = bytes;
    e.dirty = tensor === TENSOR_C;
    e.arrival = -1;
    e.lastReader = -1;
    e.pending = null;
    e.residency = null;
    e.inCache = true;
    this.append(e);
    this.used += bytes;
    return e;
  }
  removeOldest(): Entry {
    const e = this.head!;
    this.unlink(e);
    e.inCache = false;
    this.used -= e.bytes;
    return e;
  }
  values(): Entry[] {
    const out: Entry[] = [];
    for (let e = this.head; e !== null; e = e.next) out.push(e);
    return out;
  }
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b - 1e-12);
}

/**
 * Builds the task program of one compute tile for a tiled matmul. L3 and L2 are LRU caches over whole tiles, each
 * simulated over the same touch sequence (A[i,k], B[k,j], C[i,j] per step, in loop order) as @kpu/scheduler does: a
 * miss is a transfer from the level above, the first touch of a C tile needs no read, an evicted partial-sum C tile
 * is written back, and every dirty tile is written back at the end. L1 receives A and B every step; C stays in the
 * fabric while consecutive steps share it, and is otherwise loaded (when k > 0) and stored by the streamer.
 */
export function planMatmul(hw: Hardware, w: MatmulWorkload, opts: PlanOptions): Plan {
  const d = hw.derived;
  const eb = d.elementBytes;
  const tiles = Math.max(1, opts.activeComputeTiles);
  const cap = {
    l3: d.levels.l3.perTileCapacityBytes,
    l2: d.levels.l2.perTileCapacityBytes,
    l1: d.levels.l1.perTileCapacityBytes,
  };
  const tileBytes = {
    a: Math.min(w.tiles.m, w.m) * Math.min(w.tiles.k, w.k) * eb,
    b: Math.min(w.tiles.k, w.k) * Math.min(w.tiles.n, w.n) * eb,
    c: Math.min(w.tiles.m, w.m) * Math.min(w.tiles.n, w.n) * eb,
  };
  const stepSet = tileBytes.a + tileBytes.b + tileBytes.c;
  const need = (level: "l3" | "l2" | "l1", bytes: number, what: string, hint: string) => {
    if (cap[level] < bytes) {
      throw new KpuError(
        "KPU_HW_BUFFER_TOO_SMALL",
        `${cap[level]} bytes per compute tile cannot hold ${what} (${bytes} bytes with ${w.tiles.m}x${w.tiles.n}x${w.tiles.k} tiles)`,
        { where: `${hw.name}:levels.${level}`, hint },
      );
    }
  };
  need("l3", stepSet, "one A, B and C tile", "Use smaller tiles (--tiles) or a larger L3.");
  need("l2", 2 * stepSet, "the A, B and C tiles of two steps", "Use smaller tiles (--tiles) or a larger L2.");
  need(
    "l1",
    opts.buffers.l1 * stepSet + tileBytes.c,
    `${opts.buffers.l1} buffered steps of A, B and C tiles plus one C tile draining`,
    "Lower --buffers, use smaller tiles (--tiles) or a larger L1.",
  );

  const lv = d.levels;
  const beat = (bytes: number, bus: number) => ceilDiv(bytes, bus) * bus;
  const transferCache = new Map<number, readonly [number, number]>();
  const transfer = (level: "dram" | "l3" | "l2", bytes: number): readonly [number, number] => {
    const key = bytes * 4 + (level === "dram" ? 0 : level === "l3" ? 1 : 2);
    const hit = transferCache.get(key);
    if (hit !== undefined) return hit;
    const value = transferUncached(level, bytes);
    transferCache.set(key, value);
    return value;
  };
  const transferUncached = (level: "dram" | "l3" | "l2", bytes: number): readonly [number, number] => {
    const spec = hw.levels[level];
    const ld = lv[level];
    const bw = level === "dram" ? (spec.bandwidthBytesPerCycle * spec.banks) / tiles : ld.perTileBandwidthBytesPerCycle;
    const occ = opts.unlimitedBandwidth.has(level) ? 0 : ceilDiv(beat(bytes, spec.busWidthBytes), bw) * ld.ticksPerCycle;
    const lat = opts.zeroLatency ? 0 : Math.ceil(spec.latencyCycles * ld.ticksPerCycle - 1e-9);
    return [occ, lat];
  };
  const fabricCache = new Map<number, { occ: number; cycles: number; l1Read: number; l1Write: number }>();
  /** `key` tells full from edge extents per dimension (each dimension has at most those two). */
  const fabricCost = (tm: number, tn: number, tk: number, key: number) => {
    let c = fabricCache.get(key);
    if (c === undefined) {
      const f = fabricTiming({ rows: hw.fabric.rows, cols: hw.fabric.cols, dataflow: opts.dataflow, m: tm, n: tn, k: tk });
      const l1Read = (f.sramReadsA + f.sramReadsB + f.sramReadsC) * eb;
      const l1Write = f.sramWritesC * eb;
      const l1Cycles = ceilDiv(l1Read + l1Write, lv.l1.perTileBandwidthBytesPerCycle);
      const cycles = opts.unlimitedBandwidth.has("l1") ? f.cycles : Math.max(f.cycles, l1Cycles);
      c = { occ: opts.zeroCompute ? 0 : cycles * d.ticksPerCycle.fabric, cycles: f.cycles, l1Read, l1Write };
      fabricCache.set(key, c);
    }
    return c;
  };
  const l1Lat = opts.zeroLatency ? 0 : Math.ceil(hw.levels.l1.latencyCycles * d.ticksPerCycle.fabric - 1e-9);

  const steps = stepCount(w);
  if (steps > MAX_SIM_STEPS) {
    throw new KpuError("KPU_SIM_TOO_LARGE", `${steps} tile steps per compute tile is more than the ${MAX_SIM_STEPS} this simulation keeps in memory`, {
      where: "--tiles",
      hint: "Use larger tiles (--tiles Ti,Tj,Tk) or a smaller matmul; 8192^3 on edge-ai is about 800,000 steps.",
    });
  }
  const mt = tileCount(w.m, w.tiles.m);
  const nt = tileCount(w.n, w.tiles.n);
  const kt = tileCount(w.k, w.tiles.k);
  const base = [0, mt * kt, mt * kt + kt * nt];
  const cols = [kt, nt, nt];
  const prog = new TaskProgram(Math.min(1 << 21, Math.max(1024, steps * 8)));
  const stepFabric = new Int32Array(steps);
  const stepArrivals = new Int32Array(steps * 6);
  const lastMoverUpTo = new Int32Array(steps).fill(-1);
  const lastStreamReadUpTo = new Int32Array(steps).fill(-1);
  const tileIds = base[2]! + mt * nt;
  const l3 = new Lru(cap.l3, tileIds);
  const l2 = new Lru(cap.l2, tileIds);
  let rel = new Int32Array(64);
  let relN = 0;
  const release = (task: number) => {
    if (task < 0) return;
    if (relN === rel.length) {
      const next = new Int32Array(rel.length * 2);
      next.set(rel);
      rel = next;
    }
    rel[relN++] = task;
  };
  const seenC3 = new Uint8Array(mt * nt);
  const seenC2 = new Uint8Array(mt * nt);
  const residency: Residency[] = [];
  const rec = opts.recordResidency;
  let lastMover = -1;
  let lastStreamRead = -1;
  const t = zeroPlanTotals();

  const newResidency = (level: 1 | 2 | 3, bytes: number, alloc: number): Residency | null => {
    if (!rec) return null;
    const r: Residency = { level, bytes, alloc, release: [], evicted: false };
    residency.push(r);
    return r;
  };

  /** Evicts LRU victims until `bytes` fit; leaves in rel[0..relN) the tasks that must finish before the space is reused. */
  const evict = (lru: Lru, bytes: number, step: number, level: 2 | 3): void => {
    relN = 0;
    while (lru.used + bytes > lru.capacity) {
      const victim = lru.removeOldest();
      let wb = -1;
      if (victim.dirty) {
        if (level === 3) {
          const tr = transfer("dram", victim.bytes);
          const occ = tr[0];
          const lat = tr[1];
          wb = prog.add(DMA, KIND_WRITEBACK, victim.tensor, victim.a, victim.b, -1, step, victim.bytes, occ, lat);
          prog.require(wb, victim.arrival, WAIT_DATA);
          t.dramWriteBytes += victim.bytes;
        } else {
          const tr = transfer("l3", victim.bytes);
          const occ = tr[0];
          const lat = tr[1];
          wb = prog.add(MOVER, KIND_WRITEBACK, victim.tensor, victim.a, victim.b, -1, step, victim.bytes, occ, lat);
          prog.require(wb, victim.arrival, WAIT_DATA);
          t.l3WriteBytes += victim.bytes;
          lastMover = wb;
          writeIntoL3(victim, wb);
        }
      }
      if (victim.lastReader > lru.maxReader) lru.maxReader = victim.lastReader;
      release(wb);
      if (victim.pending !== null) for (const p of victim.pending) release(p);
      if (victim.residency !== null) {
        if (wb >= 0) victim.residency.release.push(wb);
        victim.residency.evicted = true;
      }
    }
    release(lru.maxReader);
  };

  /** A write-back from L2 lands in L3's copy when L3 holds the tile (else it passes through). */
  const writeIntoL3 = (tile: Entry, task: number) => {
    const e3 = l3.get(tile.key);
    if (e3 === undefined) return;
    if (e3.arrival < 0 && e3.pending !== null) for (const p of e3.pending) prog.require(task, p, WAIT_CREDIT);
    if (e3.arrival < 0) e3.residency = newResidency(3, e3.bytes, task);
    e3.pending = null;
    e3.arrival = task;
    e3.dirty = true;
  };

  const touch = (lru: Lru, level: 2 | 3, tensor: number, a: number, b: number, bytes: number, step: number, window: number): Entry => {
    const key = base[tensor]! + a * cols[tensor]! + b;
    const hit = lru.get(key);
    if (hit !== undefined) {
      lru.refresh(hit);
      if (tensor === TENSOR_C) hit.dirty = true;
      return hit;
    }
    evict(lru, bytes, step, level);
    const entry = lru.insert(key, tensor, a, b, bytes);
    const seen = level === 3 ? seenC3 : seenC2;
    const firstC = tensor === TENSOR_C && seen[a * nt + b] === 0;
    if (tensor === TENSOR_C) seen[a * nt + b] = 1;
    if (firstC) {
      entry.pending = Array.from(rel.subarray(0, relN));
      return entry;
    }
    let task: number;
    if (level === 3) {
      const tr = transfer("dram", bytes);
      const occ = tr[0];
      const lat = tr[1];
      task = prog.add(DMA, KIND_LOAD, tensor, a, b, -1, step, bytes, occ, lat);
      t.dramReadBytes += bytes;
    } else {
      const tr = transfer("l3", bytes);
      const occ = tr[0];
      const lat = tr[1];
      task = prog.add(MOVER, KIND_LOAD, tensor, a, b, -1, step, bytes, occ, lat);
      t.l3ReadBytes += bytes;
      const e3 = l3.get(key)!;
      prog.require(task, e3.arrival, WAIT_DATA);
      e3.lastReader = task;
      if (e3.residency !== null) e3.residency.release.push(task);
      lastMover = task;
    }
    for (let x = 0; x < relN; x++) prog.require(task, rel[x]!, WAIT_CREDIT);
    prog.require(task, window, WAIT_CREDIT);
    entry.arrival = task;
    entry.residency = newResidency(level, bytes, task);
    return entry;
  };

  /** A streamer transfer L2 -> L1 of a tile for step `step`, once the fabric has freed a slot (`credit`). */
  const l1Load = (e2: Entry, tensor: number, bytes: number, step: number, credit: number): number => {
    const tr = transfer("l2", bytes);
    const id = prog.add(STREAMER, KIND_LOAD, tensor, e2.a, e2.b, -1, step, bytes, tr[0], tr[1]);
    prog.require(id, e2.arrival, WAIT_DATA);
    prog.require(id, credit, WAIT_CREDIT);
    e2.lastReader = id;
    e2.residency?.release.push(id);
    t.l2ReadBytes += bytes;
    return id;
  };

  let s = 0;
  let prevC = -1;
  // The C run in progress (consecutive steps on one C tile): its L2 entry, its last fabric task, its L1 residency.
  let runE2 = null as Entry | null;
  let runFabric = -1;
  let runL1: Residency | null = null;
  const storeRun = (e2: Entry, fabric: number, l1: Residency | null, step: number) => {
    const tr = transfer("l2", e2.bytes);
    const occ = tr[0];
    const lat = tr[1];
    const store = prog.add(STREAMER, KIND_WRITEBACK, TENSOR_C, e2.a, e2.b, -1, step, e2.bytes, occ, lat);
    prog.require(store, fabric, WAIT_DATA);
    if (e2.arrival < 0 && e2.pending !== null) for (const p of e2.pending) prog.require(store, p, WAIT_CREDIT);
    if (e2.arrival < 0) e2.residency = newResidency(2, e2.bytes, store);
    e2.pending = null;
    e2.arrival = store;
    t.l2WriteBytes += e2.bytes;
    if (l1 !== null) {
      l1.release.push(store);
      l1.evicted = true;
    }
  };

  forEachStep(w, (i, j, k) => {
    const tm = Math.min(w.tiles.m, w.m - i * w.tiles.m);
    const tn = Math.min(w.tiles.n, w.n - j * w.tiles.n);
    const tk = Math.min(w.tiles.k, w.k - k * w.tiles.k);
    const bA = tm * tk * eb;
    const bB = tk * tn * eb;
    const bC = tm * tn * eb;
    const w3 = s - opts.buffers.l3 >= 0 ? lastMoverUpTo[s - opts.buffers.l3]! : -1;
    const w2 = s - opts.buffers.l2 >= 0 ? lastStreamReadUpTo[s - opts.buffers.l2]! : -1;
    const e3A = touch(l3, 3, TENSOR_A, i, k, bA, s, w3);
    const e3B = touch(l3, 3, TENSOR_B, k, j, bB, s, w3);
    touch(l3, 3, TENSOR_C, i, j, bC, s, w3);
    const e2A = touch(l2, 2, TENSOR_A, i, k, bA, s, w2);
    const e2B = touch(l2, 2, TENSOR_B, k, j, bB, s, w2);
    const e2C = touch(l2, 2, TENSOR_C, i, j, bC, s, w2);
    lastMoverUpTo[s] = lastMover;

    // Streamer: A and B into L1 for this step, and the partial sum of C when a new C run starts past k = 0.
    const credit = s - opts.buffers.l1 >= 0 ? stepFabric[s - opts.buffers.l1]! : -1;
    const keyC = e2C.key;
    const la = l1Load(e2A, TENSOR_A, bA, s, credit);
    const lb = l1Load(e2B, TENSOR_B, bB, s, credit);
    let lc = -1;
    if (keyC !== prevC && k > 0) lc = l1Load(e2C, TENSOR_C, bC, s, credit);
    lastStreamRead = lc >= 0 ? lc : lb;
    lastStreamReadUpTo[s] = lastStreamRead;
    if (runE2 !== null && keyC !== prevC) {
      storeRun(runE2, runFabric, runL1, s);
      runE2 = null;
    }
    const cost = fabricCost(tm, tn, tk, (tm === w.tiles.m ? 0 : 4) + (tn === w.tiles.n ? 0 : 2) + (tk === w.tiles.k ? 0 : 1));
    const f = prog.add(FABRIC, KIND_COMPUTE, TENSOR_C, i, j, k, s, 0, cost.occ, l1Lat);
    prog.require(f, la, WAIT_DATA);
    prog.require(f, lb, WAIT_DATA);
    prog.require(f, lc, WAIT_DATA);
    stepFabric[s] = f;
    t.macs += tm * tn * tk;
    t.fabricCycles += cost.cycles;
    t.l1ReadBytes += cost.l1Read;
    t.l1WriteBytes += cost.l1Write;
    if (rec) {
      const ab = newResidency(1, bA + bB, la)!;
      ab.release.push(f);
      ab.evicted = true;
      if (keyC !== prevC) runL1 = newResidency(1, bC, lc >= 0 ? lc : f);
    }
    runE2 = e2C;
    runFabric = f;
    prevC = keyC;
    if ((s & 0xffff) === 0xffff) opts.onProgress?.(s / steps);
    const o = s * 6;
    stepArrivals[o] = e3A.arrival;
    stepArrivals[o + 1] = e2A.arrival;
    stepArrivals[o + 2] = la;
    stepArrivals[o + 3] = e3B.arrival;
    stepArrivals[o + 4] = e2B.arrival;
    stepArrivals[o + 5] = lb;
    s++;
  });
  if (runE2 !== null) storeRun(runE2, runFabric, runL1, steps - 1);

  // Final write-back: dirty tiles of L2 into L3, then of L3 into DRAM.
  for (const e of l2.values()) {
    if (!e.dirty) continue;
    const tr = transfer("l3", e.bytes);
    const occ = tr[0];
    const lat = tr[1];
    const wb = prog.add(MOVER, KIND_WRITEBACK, e.tensor, e.a, e.b, -1, steps - 1, e.bytes, occ, lat);
    prog.require(wb, e.arrival, WAIT_DATA);
    t.l3WriteBytes += e.bytes;
    writeIntoL3(e, wb);
  }
  for (const e of l3.values()) {
    if (!e.dirty) continue;
    const tr = transfer("dram", e.bytes);
    const occ = tr[0];
    const lat = tr[1];
    const wb = prog.add(DMA, KIND_WRITEBACK, e.tensor, e.a, e.b, -1, steps - 1, e.bytes, occ, lat);
    prog.require(wb, e.arrival, WAIT_DATA);
    t.dramWriteBytes += e.bytes;
  }
  return { program: prog, steps, stepFabric, stepArrivals, totals: t, residency, capacities: cap };
}
