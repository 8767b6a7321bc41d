import { KpuError } from "@kpu/ir";
import { RESOURCES, WAIT_CREDIT, type TaskProgram } from "./program.js";

const NR = RESOURCES.length;

/** A binary min-heap of float64 keys in a typed array; grows by doubling, no allocation per push or pop. */
export class KeyHeap {
  private a: Float64Array;
  size = 0;
  constructor(capacity = 64) {
    this.a = new Float64Array(capacity);
  }
  push(key: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = a[p]!;
      if (pk <= key) break;
      a[i] = pk;
      i = p;
    }
    a[i] = key;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a[--this.size]!;
    const n = this.size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && a[r]! < a[c]!) c = r;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** Start, end (resource free) and done (data delivered) tick of every task, and each task's stall before it. */
export interface EngineTrace {
  readonly startTick: Float64Array;
  readonly endTick: Float64Array;
  readonly doneTick: Float64Array;
  /** Ticks the resource waited with this task next in line, and why (WAIT_DATA or WAIT_CREDIT). */
  readonly stallTicks: Float64Array;
  readonly stallCause: Uint8Array;
  readonly totalTicks: number;
  readonly events: number;
}

/**
 * Discrete-event simulation of in-order resources (DMA engine, block mover, streamer, fabric). Each resource starts its
 * next task once every prerequisite has delivered; events are (tick, resource) pairs in a heap keyed by
 * tick * 4 + resource, so ties resolve in resource order and runs are deterministic.
 */
export function runEngine(p: TaskProgram, onProgress?: (done: number, total: number) => void): EngineTrace {
  const n = p.n;
  const startTick = new Float64Array(n).fill(-1);
  const endTick = new Float64Array(n).fill(-1);
  const doneTick = new Float64Array(n).fill(Infinity);
  const stallTicks = new Float64Array(n);
  const stallCause = new Uint8Array(n);
  const pre = p.prereqs();
  const preType = p.prereqTypes();
  const preStart = p.preStart;
  const occ = p.occTicks;
  const lat = p.latTicks;
  const res = p.res;
  const queues = [p.queue(0), p.queue(1), p.queue(2), p.queue(3)];
  const pos = new Int32Array(NR);
  const freeAt = new Float64Array(NR);
  const busyUntil = new Float64Array(NR);
  /** Bit r of waitMask[q] set: resource r waits for a task of q that has not started yet. */
  const waitMask = new Int32Array(NR);
  const heap = new KeyHeap(1024);
  let events = 0;
  let started = 0;
  const progressEvery = 1 << 16;

  const tryStart = (r: number, now: number): void => {
    const q = queues[r]!;
    const i = pos[r]!;
    if (i >= q.length) return;
    const t = q[i]!;
    let ready = 0;
    let binding = -1;
    for (let x = preStart[t]!, end = preStart[t + 1]!; x < end; x++) {
      const d = doneTick[pre[x]!]!;
      if (binding < 0 || d >= ready) {
        ready = d;
        binding = x;
      }
    }
    if (ready > now) {
      if (ready === Infinity) waitMask[res[pre[binding]!]!]! |= 1 << r;
      else heap.push(ready * NR + r);
      return;
    }
    const stall = now - freeAt[r]!;
    stallTicks[t] = stall;
    stallCause[t] = binding >= 0 ? preType[binding]! : WAIT_CREDIT;
    startTick[t] = now;
    const e = now + occ[t]!;
    endTick[t] = e;
    doneTick[t] = e + lat[t]!;
    busyUntil[r] = e;
    freeAt[r] = e;
    pos[r] = i + 1;
    started++;
    heap.push(e * NR + r);
    const waiters = waitMask[r]!;
    if (waiters !== 0) {
      waitMask[r] = 0;
      for (let w = 0; w < NR; w++) if ((waiters & (1 << w)) !== 0) heap.push(now * NR + w);
    }
  };

  for (let r = 0; r < NR; r++) tryStart(r, 0);
  while (heap.size > 0) {
    const key = heap.pop();
    events++;
    const r = key % NR;
    const now = (key - r) / NR;
    if (now < busyUntil[r]!) continue;
    tryStart(r, now);
    if (onProgress !== undefined && events % progressEvery === 0) onProgress(started, n);
  }
  if (started !== n) {
    const stuck = RESOURCES.map((name, r) => `${name} at ${pos[r]}/${queues[r]!.length}`).join(", ");
    throw new KpuError("KPU_SIM_DEADLOCK", `the simulation stopped with ${n - started} tasks unstarted (${stuck})`, {
      where: "kpu sim",
      hint: "This is a bug in the task planner; please report the command line.",
    });
  }
  onProgress?.(n, n);
  let totalTicks = 0;
  for (let t = 0; t < n; t++) if (doneTick[t]! > totalTicks) totalTicks = doneTick[t]!;
  return { startTick, endTick, doneTick, stallTicks, stallCause, totalTicks, events };
}
