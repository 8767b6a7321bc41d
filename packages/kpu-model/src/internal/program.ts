/**
 * The task program: every transfer and compute step of one compute tile, per resource in issue order, with its
 * duration in timebase ticks and its prerequisites ("task p has delivered its data"). Stored in growable typed arrays
 * so the event engine touches no objects per event.
 */

export const RESOURCES = ["dma", "blockMover", "streamer", "fabric"] as const;
export type ResourceName = (typeof RESOURCES)[number];
export const DMA = 0;
export const MOVER = 1;
export const STREAMER = 2;
export const FABRIC = 3;

export const KIND_LOAD = 0;
export const KIND_WRITEBACK = 1;
export const KIND_COMPUTE = 2;

export const TENSOR_A = 0;
export const TENSOR_B = 1;
export const TENSOR_C = 2;

/** Prerequisite types: the stall cause when it is the last one satisfied. */
export const WAIT_DATA = 0;
export const WAIT_CREDIT = 1;

class GrowI32 {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class TaskProgram {
  n = 0;
  private cap: number;
  res: Uint8Array;
  kind: Uint8Array;
  tensor: Uint8Array;
  ti: Int32Array;
  tj: Int32Array;
  tk: Int32Array;
  step: Int32Array;
  bytes: Float64Array;
  occTicks: Float64Array;
  latTicks: Float64Array;
  preStart: Int32Array;
  private pre: GrowI32;
  private preTypeG: GrowI32;
  readonly queues: GrowI32[] = [new GrowI32(), new GrowI32(), new GrowI32(), new GrowI32()];

  /** `capacity` tasks and 3 prerequisites per task are reserved up front (both grow when needed). */
  constructor(capacity = 1024) {
    this.cap = capacity;
    this.pre = new GrowI32(capacity * 3);
    this.preTypeG = new GrowI32(capacity * 3);
    this.res = new Uint8Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.tensor = new Uint8Array(capacity);
    this.ti = new Int32Array(capacity);
    this.tj = new Int32Array(capacity);
    this.tk = new Int32Array(capacity);
    this.step = new Int32Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.occTicks = new Float64Array(capacity);
    this.latTicks = new Float64Array(capacity);
    this.preStart = new Int32Array(capacity + 1);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array, extra = 0) => {
      const b = new Int32Array(cap + extra);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.res = g8(this.res);
    this.kind = g8(this.kind);
    this.tensor = g8(this.tensor);
    this.ti = g32(this.ti);
    this.tj = g32(this.tj);
    this.tk = g32(this.tk);
    this.step = g32(this.step);
    this.bytes = g64(this.bytes);
    this.occTicks = g64(this.occTicks);
    this.latTicks = g64(this.latTicks);
    this.preStart = g32(this.preStart, 1);
    this.cap = cap;
  }

  /** Adds a task; its prerequisites must be added with `require` before the next task is created. */
  add(res: number, kind: number, tensor: number, ti: number, tj: number, tk: number, step: number, bytes: number, occTicks: number, latTicks: number, queued = true): number {
    if (this.n === this.cap) this.grow();
    const id = this.n++;
    this.res[id] = res;
    this.kind[id] = kind;
    this.tensor[id] = tensor;
    this.ti[id] = ti;
    this.tj[id] = tj;
    this.tk[id] = tk;
    this.step[id] = step;
    this.bytes[id] = bytes;
    this.occTicks[id] = occTicks;
    this.latTicks[id] = latTicks;
    this.preStart[id] = this.pre.length;
    this.preStart[id + 1] = this.pre.length;
    if (queued) this.queues[res]!.push(id);
    return id;
  }

  /** Task `id` (the last one added) may start only once task `p` has delivered (p < 0 is ignored). */
  require(id: number, p: number, type: number): void {
    if (p < 0 || p === id) return;
    this.pre.push(p);
    this.preTypeG.push(type);
    this.preStart[id + 1] = this.pre.length;
  }

  enqueue(id: number): void {
    this.queues[this.res[id]!]!.push(id);
  }

  prereqs(): Int32Array {
    return this.pre.view();
  }

  prereqTypes(): Int32Array {
    return this.preTypeG.view();
  }

  queue(res: number): Int32Array {
    return this.queues[res]!.view();
  }
}

/**
 * A tile that sits in a level from the start of task `alloc` until every `release` task has finished, or until the end
 * of the run when it is never evicted.
 */
export interface Residency {
  readonly level: 1 | 2 | 3;
  readonly bytes: number;
  readonly alloc: number;
  readonly release: number[];
  evicted: boolean;
}
