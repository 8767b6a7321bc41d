import {
  KpuError,
  dtypeBytes,
  formatByteSize,
  type LoadUop,
  type MicroOp,
  type SchedOp,
  type SchedStore,
  type Schedule,
  type ScheduleStats,
  type StoreUop,
  type UopProgram,
} from "@kpu/ir";
import { SramArena, alignUp, type Placement } from "./arena.js";
import { matmulTrafficLowerBound, type MatmulTraffic } from "./bounds.js";
import { analyze, describeTile, type Analysis } from "./internal/analyze.js";
import { ReplacementSet } from "@kpu/scheduler";
import { MaxSegmentTree } from "./internal/segment-tree.js";
import { packBuffers, type PackBuffer, type PackResult } from "./packer.js";
import { parsePolicy, type PolicyName } from "./policies.js";

export interface ScheduleOptions {
  /** SRAM capacity in bytes. */
  readonly sramBytes: number;
  /** Alignment of every buffer (default 64 B). */
  readonly alignmentBytes?: number;
  /** Eviction policy for operand tiles (default "lru"). */
  readonly policy?: PolicyName;
  /** Placement in the operand region (default "first-fit"). */
  readonly placement?: Placement;
  /** Prefetch step k+1's operands while EXEC k runs, into buffers EXEC k does not read. */
  readonly doubleBuffer?: boolean;
  /** Keep intermediate tensors' tiles on chip for the next op instead of STORE + LOAD, when they fit. */
  readonly forward?: boolean;
  /** Record every allocation and free (for checking; costs time). */
  readonly trace?: boolean;
  /**
   * Build `schedule.ops` (default true). With false, ops stay in `compact` only: for sweeps that need statistics,
   * and for timing the scheduler without the cost of one object per op.
   */
  readonly materialize?: boolean;
}

/** Kinds in a CompactSchedule. */
export const COMPACT_KINDS = ["LOAD", "COMPUTE", "STORE", "FORWARD"] as const;
const K_LOAD = 0;
const K_COMPUTE = 1;
const K_STORE = 2;
const K_FORWARD = 3;

/**
 * The schedule in typed arrays, one entry per op: kind (index into COMPACT_KINDS), the micro-op it comes from, its
 * step, and addresses (LOAD/STORE: addr; EXEC/EWISE: addr = A, b = B or -1, acc = accumulator or output).
 */
export interface CompactSchedule {
  readonly kind: Uint8Array;
  readonly uop: Int32Array;
  readonly step: Int32Array;
  readonly addr: Float64Array;
  readonly b: Float64Array;
  readonly acc: Float64Array;
  readonly length: number;
}

/** SchedOps from a CompactSchedule and the micro-ops it indexes. */
export function materialize(c: CompactSchedule, uops: readonly MicroOp[], doubleBuffer: boolean): SchedOp[] {
  const ops = new Array<SchedOp>(c.length);
  for (let i = 0; i < c.length; i++) {
    const u = uops[c.uop[i]!]!;
    const buffer = doubleBuffer ? c.step[i]! & 1 : null;
    const addr = c.addr[i]!;
    switch (u.kind) {
      case "LOAD":
        ops[i] = { kind: "LOAD", op: u.op, operand: u.operand, tensor: u.tensor, row: u.row, col: u.col, rows: u.rows, cols: u.cols, addr, bytes: u.bytes, buffer };
        break;
      case "EXEC":
        ops[i] = { kind: "EXEC", op: u.op, m: u.m, n: u.n, k: u.k, tm: u.tm, tn: u.tn, tk: u.tk, aAddr: addr, bAddr: c.b[i]!, accAddr: c.acc[i]!, buffer };
        break;
      case "EWISE": {
        const b = c.b[i]!;
        ops[i] = { kind: "EWISE", op: u.op, fn: u.fn, m: u.m, n: u.n, rows: u.rows, cols: u.cols, aAddr: addr, bAddr: b >= 0 ? b : null, outAddr: c.acc[i]! };
        break;
      }
      case "STORE": {
        const store: SchedStore = { kind: "STORE", op: u.op, tensor: u.tensor, row: u.row, col: u.col, rows: u.rows, cols: u.cols, addr, bytes: u.bytes, epilogue: u.epilogue, buffer };
        ops[i] = c.kind[i] === K_FORWARD ? { ...store, forward: true } : store;
        break;
      }
    }
  }
  return ops;
}

/** One arena event. `at` is the index of the schedule op it happens before (frees after op p have at = p + 1). */
export interface TraceEvent {
  readonly at: number;
  readonly kind: "alloc" | "free";
  readonly addr: number;
  readonly bytes: number;
  readonly tile: string;
}

/** How the SRAM is split: operand tiles below, the packed accumulator (and forwarded-tile) region on top. */
export interface SramLayout {
  readonly operandRegionBytes: number;
  readonly accRegionAddr: number;
  readonly accRegionBytes: number;
  /** Max-live-bytes lower bound of the accumulator region and the packer that was kept. */
  readonly accLowerBoundBytes: number;
  readonly packStrategy: string;
}

export interface ScheduleResult {
  readonly schedule: Schedule;
  /** The same schedule in typed arrays (always filled, also when `materialize` is false). */
  readonly compact: CompactSchedule;
  readonly layout: SramLayout;
  /** The smallest SRAM this program can be scheduled in with these options. */
  readonly minWorkingSetBytes: number;
  readonly forwardedTiles: number;
  readonly evictions: number;
  /** With double buffering: steps whose loads overlapped the previous EXEC, and steps that had to wait. */
  readonly prefetch: { readonly overlapped: number; readonly serialized: number };
  /** Per matmul op: actual traffic against the data-movement lower bound. */
  readonly traffic: readonly MatmulTraffic[];
  readonly trace?: readonly TraceEvent[];
}

/** The minimum working set and how it is made up (see `minimumWorkingSet`). */
export interface WorkingSet {
  readonly bytes: number;
  /** Packed accumulator region (all accumulators live at once in the worst step, plus EWISE outputs). */
  readonly accBytes: number;
  /** Largest A + B of one step (twice that with double buffering). */
  readonly operandBytes: number;
}

function checkOptions(options: ScheduleOptions): { align: number; policy: PolicyName } {
  const { sramBytes } = options;
  if (!Number.isSafeInteger(sramBytes) || sramBytes <= 0) {
    throw new KpuError("KPU_BAD_SIZE", `SRAM size ${sramBytes} is not a positive whole number of bytes`, {
      where: "--sram",
      hint: "Pass a size such as 256KiB.",
    });
  }
  const align = options.alignmentBytes ?? 64;
  if (!Number.isSafeInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
    throw new KpuError("KPU_BAD_SIZE", `alignment ${align} B is not a power of two`, {
      where: "alignment",
      hint: "Use an alignment such as 64.",
    });
  }
  return { align, policy: parsePolicy(options.policy ?? "lru") };
}

interface Prepared {
  readonly a: Analysis;
  /** Per tile: bytes rounded up to the alignment. */
  readonly aligned: Float64Array;
  readonly accBuffers: PackBuffer[];
  readonly accTiles: number[];
  readonly stepNeed: number;
  readonly pack0: PackResult;
}

function prepare(program: UopProgram, align: number): Prepared {
  const a = analyze(program);
  const aligned = new Float64Array(a.tiles);
  for (let t = 0; t < a.tiles; t++) aligned[t] = alignUp(a.tileBytes[t]!, align);
  const accBuffers: PackBuffer[] = [];
  const accTiles: number[] = [];
  let stepNeed = 0;
  for (let s = 0; s < a.steps; s++) {
    const ta = a.tileA[s]!;
    const tb = a.tileB[s]!;
    const need = aligned[ta]! + (tb >= 0 && tb !== ta ? aligned[tb]! : 0);
    if (need > stepNeed) stepNeed = need;
    if (a.firstC[s] === 1) {
      const c = a.tileC[s]!;
      accBuffers.push({ bytes: a.tileBytes[c]!, start: s, end: a.storeStep[c]! + 1 });
      accTiles.push(c);
    }
  }
  return { a, aligned, accBuffers, accTiles, stepNeed, pack0: packBuffers(accBuffers, { alignmentBytes: align }) };
}

function workingSet(p: Prepared, doubleBuffer: boolean): WorkingSet {
  const operandBytes = doubleBuffer ? 2 * p.stepNeed : p.stepNeed;
  return { bytes: p.pack0.totalBytes + operandBytes, accBytes: p.pack0.totalBytes, operandBytes };
}

/**
 * The smallest SRAM in which `program` can be scheduled: the packed accumulator region (one tile for loop orders with
 * k innermost, a row, a block or all output tiles otherwise) plus the largest A + B tiles of one step (twice that with
 * double buffering). For 32x32 fp32 tiles with k innermost: 3 tiles (12 KiB), 5 with double buffering.
 */
export function minimumWorkingSet(program: UopProgram, options: { readonly alignmentBytes?: number; readonly doubleBuffer?: boolean } = {}): WorkingSet {
  const { align } = checkOptions({ sramBytes: 1, ...(options.alignmentBytes === undefined ? {} : { alignmentBytes: options.alignmentBytes }) });
  return workingSet(prepare(program, align), options.doubleBuffer === true);
}

/** Chooses the output tiles to forward: those of eligible tensors whose extended lifetimes fit the budget. */
function chooseForwarding(p: Prepared, graphOutputs: ReadonlySet<string>, budgetBytes: number, align: number): { buffers: PackBuffer[]; forwarded: Uint8Array; pack: PackResult } {
  const { a } = p;
  const forwarded = new Uint8Array(a.tiles);
  const epilogueTensors = new Set<string>();
  for (const op of a.ops) if (op.kind === "matmul") for (const e of op.epilogue) if ("tensor" in e) epilogueTensors.add(e.tensor);
  const eligibleSpace = new Set<number>();
  for (const [tensor, space] of a.producerSpace) {
    const loads = a.loadSpaces.get(tensor);
    if (graphOutputs.has(tensor) || epilogueTensors.has(tensor) || loads === undefined) continue;
    if (loads.size === 1 && loads.has(space)) eligibleSpace.add(space);
  }
  const inSpace = (tile: number): number => {
    for (const [i, s] of a.spaces.entries()) if (tile >= s.base && tile < s.base + s.gridRows * s.gridCols) return i;
    return -1;
  };
  const candidates: { index: number; from: number; to: number; bytes: number }[] = [];
  p.accTiles.forEach((c, index) => {
    if (!eligibleSpace.has(inSpace(c)) || a.lastLoadStep[c]! <= a.storeStep[c]!) return;
    candidates.push({ index, from: a.storeStep[c]! + 1, to: a.lastLoadStep[c]!, bytes: alignUp(a.tileBytes[c]!, align) });
  });
  const noForward = { buffers: p.accBuffers, forwarded, pack: p.pack0 };
  if (candidates.length === 0 || budgetBytes < p.pack0.totalBytes) return noForward;
  candidates.sort((x, y) => x.to - x.from - (y.to - y.from) || x.from - y.from || x.index - y.index);
  const diff = new Float64Array(a.steps + 1);
  for (const b of p.accBuffers) {
    const size = alignUp(b.bytes, align);
    diff[b.start]! += size;
    diff[b.end]! -= size;
  }
  const live = new Float64Array(a.steps);
  let run = 0;
  for (let s = 0; s < a.steps; s++) live[s] = run += diff[s]!;
  const tree = new MaxSegmentTree(live);
  const accepted: (typeof candidates)[number][] = [];
  for (const c of candidates) {
    if (tree.query(c.from, c.to) + c.bytes <= budgetBytes) {
      tree.add(c.from, c.to, c.bytes);
      accepted.push(c);
    }
  }
  const build = (n: number): PackBuffer[] => {
    const buffers = p.accBuffers.slice();
    for (const c of accepted.slice(0, n)) buffers[c.index] = { ...buffers[c.index]!, end: c.to + 1 };
    return buffers;
  };
  let n = accepted.length;
  let buffers = build(n);
  let pack = packBuffers(buffers, { alignmentBytes: align });
  // The lower bound fits the budget; if the packing does not, drop the longest-lived forwards until it does.
  while (n > 0 && pack.totalBytes > budgetBytes) {
    n = Math.max(0, n - Math.max(1, Math.ceil(n / 8)));
    buffers = build(n);
    pack = packBuffers(buffers, { alignmentBytes: align });
  }
  if (n === 0) return noForward;
  for (const c of accepted.slice(0, n)) forwarded[p.accTiles[c.index]!] = 1;
  return { buffers, forwarded, pack };
}

/** Max over steps of live operand bytes if nothing were ever evicted (each tile live from first to last use). */
function operandWorkingSet(a: Analysis, align: number): number {
  const diff = new Float64Array(a.steps + 1);
  for (let t = 0; t < a.tiles; t++) {
    if (a.firstLoadStep[t]! < 0) continue;
    const size = alignUp(a.tileBytes[t]!, align);
    diff[a.firstLoadStep[t]!]! += size;
    diff[a.lastLoadStep[t]! + 1]! -= size;
  }
  let run = 0;
  let peak = 0;
  for (let s = 0; s < a.steps; s++) peak = Math.max(peak, (run += diff[s]!));
  return peak;
}

/**
 * The static scheduler: turns a micro-op program into a Schedule with SRAM addresses.
 *
 * - SRAM layout: the accumulator region (accumulators from their first EXEC to their STORE, EWISE outputs, and
 *   forwarded tiles until their last use) is packed offline and placed at the top; operand tiles are allocated in the
 *   rest by an SramArena. Accumulators are never evicted.
 * - Residency: a resident operand tile is not loaded again (the LOAD is eliminated). Liveness: an operand tile is freed
 *   after the EXEC that uses it for the last time.
 * - Eviction: when a tile does not fit, the policy picks victims among unpinned resident operand tiles until it does.
 * - Double buffering: the LOADs of step k+1 are emitted before EXEC k, with step k's tiles pinned, so they never land
 *   in a buffer EXEC k reads; if they cannot fit beside step k's tiles, the step waits (loads after EXEC k).
 * - Forwarding: output tiles of intermediate tensors that are read back with the same tiling stay on chip (a STORE
 *   with `forward: true`) while the region fits beside the operands' eviction-free working set.
 */
export function scheduleProgram(program: UopProgram, options: ScheduleOptions): ScheduleResult {
  const { align, policy } = checkOptions(options);
  const sram = options.sramBytes;
  const doubleBuffer = options.doubleBuffer === true;
  const p = prepare(program, align);
  const a = p.a;
  const ws = workingSet(p, doubleBuffer);
  if (sram < ws.bytes) {
    const tileNote = `accumulator region ${ws.accBytes} B + operand tiles ${ws.operandBytes} B${doubleBuffer ? " (double-buffered)" : ""}`;
    throw new KpuError(
      "KPU_MEM_SRAM_TOO_SMALL",
      `SRAM ${formatByteSize(sram)} (${sram} B) is below the minimum working set of ${formatByteSize(ws.bytes)} (${ws.bytes} B: ${tileNote}) for loop order ${program.loopOrder}`,
      {
        where: "--sram",
        hint: `Use --sram ${formatByteSize(Math.ceil(ws.bytes / 1024) * 1024)} or more, smaller tiles, a loop order with k innermost (mnk, nmk)${doubleBuffer ? ", or drop --double-buffer" : ""}.`,
      },
    );
  }
  const graphOutputs = new Set(program.tiled.graph.outputs);
  const opReserve = Math.max(ws.operandBytes, operandWorkingSet(a, align));
  const fw =
    options.forward === true
      ? chooseForwarding(p, graphOutputs, sram - opReserve, align)
      : { buffers: p.accBuffers, forwarded: new Uint8Array(a.tiles), pack: p.pack0 };
  const { forwarded, pack } = fw;
  const regionBase = Math.floor((sram - pack.totalBytes) / align) * align;
  const accAddrOfTile = new Float64Array(a.tiles).fill(-1);
  p.accTiles.forEach((c, i) => (accAddrOfTile[c] = regionBase + pack.offsets[i]!));

  // The schedule is built in typed arrays (no object per op); `materialize` turns it into SchedOps at the end.
  const cap = a.uops.length + 1;
  const outKind = new Uint8Array(cap);
  const outUop = new Int32Array(cap);
  const outStep = new Int32Array(cap);
  const outAddr = new Float64Array(cap);
  const outB = new Float64Array(cap);
  const outAcc = new Float64Array(cap);
  let n = 0;
  const trace: TraceEvent[] | undefined = options.trace === true ? [] : undefined;
  const describe = (t: number): string => describeTile(a, t);
  const arena = new SramArena({ capacityBytes: regionBase, alignmentBytes: align, placement: options.placement ?? "first-fit", describeTag: describe });
  const residency = new ReplacementSet(policy, a.tiles, 2 * a.steps);
  const pinned = residency.pinned;
  const resident = new Float64Array(a.tiles).fill(-1);
  const remaining = a.uses.slice();
  const aligned = p.aligned;

  const nOps = a.ops.length;
  const opLoads = new Float64Array(nOps);
  const opHits = new Float64Array(nOps);
  const opStores = new Float64Array(nOps);
  const opWords = new Float64Array(nOps);
  let accLive = 0;
  let peak = 0;
  let loadsEmitted = 0;
  let loadsEliminated = 0;
  let stores = 0;
  let evictions = 0;
  let overlapped = 0;
  let serialized = 0;
  let forwardedTiles = 0;

  const bumpPeak = (): void => {
    const live = arena.liveBytes + accLive;
    if (live > peak) peak = live;
  };
  const evict = (t: number): void => {
    const addr = resident[t]!;
    arena.free(addr);
    residency.remove(t);
    resident[t] = -1;
    evictions++;
    if (trace) trace.push({ at: n, kind: "free", addr, bytes: aligned[t]!, tile: describe(t) });
  };
  /** Allocates a tile in the operand region, evicting unpinned tiles by policy; -1 if it cannot fit. */
  const allocEvict = (t: number): number => {
    let addr = arena.tryAlloc(aligned[t]!, t);
    while (addr < 0) {
      const v = residency.victim();
      if (v < 0) return -1;
      evict(v);
      addr = arena.tryAlloc(aligned[t]!, t);
    }
    return addr;
  };
  const unallocate = (t: number): void => {
    arena.free(resident[t]!);
    resident[t] = -1;
  };

  const emitLoad = (t: number, uopIndex: number, next: number, o: number, s: number): void => {
    const u = a.uops[uopIndex] as LoadUop;
    const addr = resident[t]!;
    residency.insert(t, next);
    if (trace) trace.push({ at: n, kind: "alloc", addr, bytes: aligned[t]!, tile: describe(t) });
    outKind[n] = K_LOAD;
    outUop[n] = uopIndex;
    outStep[n] = s;
    outAddr[n++] = addr;
    loadsEmitted++;
    opLoads[o]!++;
    opWords[o]! += u.rows * u.cols;
    bumpPeak();
  };

  /**
   * Makes the operands of step s resident and emits their LOADs. With `prefetch`, the previous step's tiles are
   * pinned too and failure leaves no trace (returns false); without, failure evicts even the step's own hits, which
   * leaves the operand region empty, so the step always fits (the working-set check guarantees it).
   */
  const plan = (s: number, prefetch: boolean): boolean => {
    const ta = a.tileA[s]!;
    const tb = a.tileB[s]!;
    const fa = forwarded[ta] === 1;
    const fb = tb >= 0 && forwarded[tb] === 1;
    let needA = false;
    let needB = false;
    if (!fa) {
      if (resident[ta]! >= 0) residency.touch(ta, a.nextA[s]!);
      else needA = true;
      pinned[ta]!++;
    }
    if (tb >= 0 && !fb) {
      if (tb !== ta) {
        if (resident[tb]! >= 0) residency.touch(tb, a.nextB[s]!);
        else needB = true;
      }
      pinned[tb]!++;
    }
    let ok = true;
    if (needA) {
      const addr = allocEvict(ta);
      if (addr < 0) ok = false;
      else resident[ta] = addr;
    }
    if (ok && needB) {
      const addr = allocEvict(tb);
      if (addr < 0) ok = false;
      else resident[tb] = addr;
    }
    if (!ok) {
      if (needA && resident[ta]! >= 0) unallocate(ta);
      if (prefetch) {
        if (!fa) pinned[ta]!--;
        if (tb >= 0 && !fb) pinned[tb]!--;
        return false;
      }
      // Evict the step's own hits too: then nothing is left in the operand region.
      if (!fa && !needA && resident[ta]! >= 0) {
        evict(ta);
        needA = true;
      }
      if (tb >= 0 && !fb && tb !== ta && !needB && resident[tb]! >= 0) {
        evict(tb);
        needB = true;
      }
      for (const [need, t] of [[needA, ta], [needB, tb]] as const) {
        if (!need) continue;
        const addr = allocEvict(t);
        if (addr < 0) throw arena.outOfMemory(aligned[t]!, t, "scheduler");
        resident[t] = addr;
      }
    }
    const o = a.opIndex[s]!;
    if (needA) emitLoad(ta, a.loadA[s]!, a.nextA[s]!, o, s);
    if (needB) emitLoad(tb, a.loadB[s]!, a.nextB[s]!, o, s);
    if (tb === ta && !fa) residency.touch(ta, a.nextB[s]!);
    const hits = (tb >= 0 ? 2 : 1) - (needA ? 1 : 0) - (needB ? 1 : 0);
    loadsEliminated += hits;
    opHits[o]! += hits;
    return true;
  };

  const addrOf = (t: number): number => (forwarded[t] === 1 ? accAddrOfTile[t]! : resident[t]!);
  const release = (t: number): void => {
    if (--remaining[t]! > 0) return;
    if (forwarded[t] === 1) {
      accLive -= aligned[t]!;
      if (trace) trace.push({ at: n, kind: "free", addr: accAddrOfTile[t]!, bytes: aligned[t]!, tile: describe(t) });
    } else {
      const addr = resident[t]!;
      arena.free(addr);
      residency.remove(t);
      resident[t] = -1;
      if (trace) trace.push({ at: n, kind: "free", addr, bytes: aligned[t]!, tile: describe(t) });
    }
  };

  const computeAndStore = (s: number): void => {
    const ta = a.tileA[s]!;
    const tb = a.tileB[s]!;
    const c = a.tileC[s]!;
    const accAddr = accAddrOfTile[c]!;
    if (a.firstC[s] === 1) {
      accLive += aligned[c]!;
      if (trace) trace.push({ at: n, kind: "alloc", addr: accAddr, bytes: aligned[c]!, tile: `acc ${describe(c)}` });
      bumpPeak();
    }
    outKind[n] = K_COMPUTE;
    outUop[n] = a.compute[s]!;
    outStep[n] = s;
    outAddr[n] = addrOf(ta);
    outB[n] = tb >= 0 ? addrOf(tb) : -1;
    outAcc[n++] = accAddr;
    release(ta);
    if (tb >= 0) release(tb);
    if (!forwarded[ta]) pinned[ta]!--;
    if (tb >= 0 && !forwarded[tb]) pinned[tb]!--;
    const si = a.store[s]!;
    if (si < 0) return;
    const su = a.uops[si] as StoreUop;
    const o = a.opIndex[s]!;
    outUop[n] = si;
    outStep[n] = s;
    outAddr[n] = accAddr;
    if (forwarded[c] === 1) {
      outKind[n++] = K_FORWARD;
      forwardedTiles++;
    } else {
      outKind[n++] = K_STORE;
      stores++;
      opStores[o]!++;
      opWords[o]! += su.rows * su.cols;
      accLive -= aligned[c]!;
      if (trace) trace.push({ at: n, kind: "free", addr: accAddr, bytes: aligned[c]!, tile: `acc ${describe(c)}` });
    }
  };

  if (!doubleBuffer) {
    for (let s = 0; s < a.steps; s++) {
      plan(s, false);
      computeAndStore(s);
    }
  } else if (a.steps > 0) {
    plan(0, false);
    for (let s = 0; s < a.steps; s++) {
      const hasNext = s + 1 < a.steps;
      // A LOAD may only move above EXEC s if it does not read what STORE s (or a later one) writes.
      const pre = hasNext && a.producedAt[s + 1]! < s && plan(s + 1, true);
      if (hasNext) {
        if (pre) overlapped++;
        else serialized++;
      }
      computeAndStore(s);
      if (hasNext && !pre) plan(s + 1, false);
    }
  }

  const compact: CompactSchedule = { kind: outKind, uop: outUop, step: outStep, addr: outAddr, b: outB, acc: outAcc, length: n };
  const stats: ScheduleStats = {
    schedOps: n,
    loadsEmitted,
    loadsEliminated,
    stores,
    peakSramBytes: peak,
    finalLiveBytes: arena.liveBytes + accLive,
  };
  const schedule: Schedule = {
    sramBytes: sram,
    alignmentBytes: align,
    policy,
    loopOrder: program.block === undefined ? program.loopOrder : `${program.loopOrder}:${program.block.m}x${program.block.n}`,
    doubleBuffer,
    ops: options.materialize === false ? [] : materialize(compact, a.uops, doubleBuffer),
    stats,
  };
  const traffic: MatmulTraffic[] = [];
  a.ops.forEach((op, o) => {
    if (op.kind !== "matmul") return;
    const eb = dtypeBytes(op.dtype);
    const sWords = sram / eb;
    const sTiles = sram / (op.tile.m * op.tile.n * eb);
    const lowerBoundTiles = matmulTrafficLowerBound(op.grid.mt, op.grid.nt, op.grid.kt, sTiles);
    const lowerBoundWords = matmulTrafficLowerBound(op.M, op.N, op.K, sWords);
    const actualTiles = opLoads[o]! + opStores[o]!;
    const actualWords = opWords[o]!;
    traffic.push({
      op: op.opId,
      M: op.M,
      N: op.N,
      K: op.K,
      loadsEmitted: opLoads[o]!,
      loadsEliminated: opHits[o]!,
      stores: opStores[o]!,
      actualTiles,
      actualWords,
      lowerBoundTiles,
      lowerBoundWords,
      ratioTiles: actualTiles / lowerBoundTiles,
      ratioWords: actualWords / lowerBoundWords,
    });
  });
  return {
    schedule,
    compact,
    layout: {
      operandRegionBytes: regionBase,
      accRegionAddr: regionBase,
      accRegionBytes: pack.totalBytes,
      accLowerBoundBytes: pack.lowerBoundBytes,
      packStrategy: pack.strategy,
    },
    minWorkingSetBytes: ws.bytes,
    forwardedTiles,
    evictions,
    prefetch: { overlapped, serialized },
    traffic,
    ...(trace === undefined ? {} : { trace }),
  };
}

/**
 * The block of output tiles for the `blocked` loop order that fits an SRAM: the largest b (up to `maxBlock`, default
 * 16) with b*b accumulators, the b B tiles a block row reuses, and one step's A and B (two steps' with double
 * buffering) all resident, counted in tiles of `tileBytes` (aligned). At 256 KiB with 32x32 fp32 tiles: 7x7.
 */
export function blockForSram(sramBytes: number, tileBytes: number, options: { readonly doubleBuffer?: boolean; readonly maxBlock?: number } = {}): { m: number; n: number } {
  const tiles = Math.floor(sramBytes / alignUp(tileBytes, 64));
  const operands = options.doubleBuffer === true ? 4 : 2;
  const max = options.maxBlock ?? 16;
  let b = 1;
  while (b < max && (b + 1) * (b + 1) + (b + 1) + operands <= tiles) b++;
  return { m: b, n: b };
}
