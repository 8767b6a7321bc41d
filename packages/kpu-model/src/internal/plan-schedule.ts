import { KpuError, tileSetBytes, type Schedule } from "@kpu/ir";
import type { Dataflow, Hardware } from "../hardware.js";
import { Costs } from "./costs.js";
import { zeroPlanTotals, type Plan, type PlanOptions } from "./plan.js";
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
} from "./program.js";

/** A byte range of the memory planner's SRAM with the task that wrote it and the last task of each resource reading it. */
interface Segment {
  start: number;
  end: number;
  writer: number;
  readers: [number, number, number, number];
}

/** Address-based dependencies in the SRAM (L2): reads wait for writers, writes wait for earlier readers and writers. */
class SramDeps {
  private segs: Segment[] = [];

  read(start: number, end: number, task: number, res: number, prog: TaskProgram): number {
    let writer = -1;
    for (const s of this.segs) {
      if (s.end <= start || s.start >= end) continue;
      prog.require(task, s.writer, WAIT_DATA);
      if (s.writer > writer) writer = s.writer;
      s.readers[res] = task;
    }
    return writer;
  }

  /** Has any byte of the range been written (by a LOAD or a stored accumulator)? */
  written(start: number, end: number): boolean {
    return this.segs.some((s) => s.end > start && s.start < end && s.writer >= 0);
  }

  write(start: number, end: number, task: number, prog: TaskProgram): void {
    const keep: Segment[] = [];
    for (const s of this.segs) {
      if (s.end <= start || s.start >= end) {
        keep.push(s);
        continue;
      }
      prog.require(task, s.writer, WAIT_CREDIT);
      for (const r of s.readers) prog.require(task, r, WAIT_CREDIT);
      if (s.start < start) keep.push({ ...s, end: start, readers: [...s.readers] });
      if (s.end > end) keep.push({ ...s, start: end, readers: [...s.readers] });
    }
    keep.push({ start, end, writer: task, readers: [-1, -1, -1, -1] });
    this.segs = keep;
  }
}

/**
 * Builds the task program of a memory-planner schedule on one compute tile: its SRAM is the tile's L2. A LOAD is a DMA
 * read DRAM->L3 (staging) and a block-mover move L3->L2 at its address; an EXEC streams its A and B tiles L2->L1 and
 * computes on the fabric (the accumulator stays in the fabric across consecutive EXECs on the same address, otherwise
 * the streamer loads the partial sum and stores it back); a STORE moves L2->L3->DRAM (nothing with `forward`); an
 * EWISE streams its inputs, computes and streams its output back. Dependencies come from the schedule's addresses:
 * a read waits for the writer of its bytes, a write for the earlier readers and writer of the bytes it overwrites.
 */
export function planSchedule(hw: Hardware, schedule: Schedule, opts: PlanOptions & { readonly dataflow: Dataflow }): Plan {
  const d = hw.derived;
  const eb = d.elementBytes;
  const cap = {
    l3: d.levels.l3.perTileCapacityBytes,
    l2: d.levels.l2.perTileCapacityBytes,
    l1: d.levels.l1.perTileCapacityBytes,
  };
  if (schedule.sramBytes > cap.l2) {
    throw new KpuError("KPU_HW_BUFFER_TOO_SMALL", `the schedule's ${schedule.sramBytes}-byte SRAM does not fit the ${cap.l2}-byte L2 of one compute tile`, {
      where: `${hw.name}:levels.l2`,
      hint: "Schedule for a smaller SRAM (--sram) or use hardware with a larger L2.",
    });
  }
  let maxStep = 0;
  let maxLoad = 0;
  for (const op of schedule.ops) {
    if (op.kind === "EXEC") maxStep = Math.max(maxStep, tileSetBytes({ m: op.tm, n: op.tn, k: op.tk }, eb));
    if (op.kind === "LOAD") maxLoad = Math.max(maxLoad, op.bytes);
  }
  const needL1 = opts.buffers.l1 * maxStep + maxStep;
  if (cap.l1 < needL1) {
    throw new KpuError("KPU_HW_BUFFER_TOO_SMALL", `${cap.l1} bytes per compute tile cannot hold ${opts.buffers.l1} buffered steps of the schedule's tiles (${needL1} bytes)`, {
      where: `${hw.name}:levels.l1`,
      hint: "Lower --buffers or use hardware with a larger L1.",
    });
  }
  if (cap.l3 < opts.buffers.l3 * maxLoad) {
    throw new KpuError("KPU_HW_BUFFER_TOO_SMALL", `${cap.l3} bytes per compute tile cannot stage ${opts.buffers.l3} tiles of ${maxLoad} bytes`, {
      where: `${hw.name}:levels.l3`,
      hint: "Lower --buffers or use hardware with a larger L3.",
    });
  }
  const costs = new Costs(hw, { rows: hw.fabric.rows, cols: hw.fabric.cols, dataflow: opts.dataflow }, { ...opts, activeComputeTiles: 1 });
  const transfer = (level: "dram" | "l3" | "l2", bytes: number) => costs.transfer(level, bytes);
  const l1Lat = costs.l1Latency;

  const execs = schedule.ops.filter((o) => o.kind === "EXEC").length;
  const prog = new TaskProgram(Math.max(1024, schedule.ops.length * 4));
  const stepFabric = new Int32Array(execs);
  const stepArrivals = new Int32Array(execs * 6);
  const sram = new SramDeps();
  /** For each SRAM address a LOAD wrote: the DMA and block-mover tasks that brought the tile (for injection timing). */
  const loadedBy = new Map<number, [number, number]>();
  const moverLoads: number[] = [];
  const t = zeroPlanTotals();
  let step = 0;
  let prevAcc = -1;
  let pending: { acc: number; bytes: number; fabric: number; i: number; j: number } | null = null;
  const flushStore = () => {
    if (pending === null) return;
    const [occ, lat] = transfer("l2", pending.bytes);
    const id = prog.add(STREAMER, KIND_WRITEBACK, TENSOR_C, pending.i, pending.j, -1, Math.max(0, step - 1), pending.bytes, occ, lat);
    prog.require(id, pending.fabric, WAIT_DATA);
    sram.write(pending.acc, pending.acc + pending.bytes, id, prog);
    t.l2WriteBytes += pending.bytes;
    pending = null;
  };
  const credit = () => (step - opts.buffers.l1 >= 0 ? stepFabric[step - opts.buffers.l1]! : -1);
  const streamIn = (addr: number, bytes: number, tensor: number, a: number, b: number): number => {
    const [occ, lat] = transfer("l2", bytes);
    const id = prog.add(STREAMER, KIND_LOAD, tensor, a, b, -1, step, bytes, occ, lat);
    sram.read(addr, addr + bytes, id, STREAMER, prog);
    prog.require(id, credit(), WAIT_CREDIT);
    t.l2ReadBytes += bytes;
    return id;
  };

  for (const op of schedule.ops) {
    switch (op.kind) {
      case "LOAD": {
        const tensor = op.operand === "A" ? TENSOR_A : TENSOR_B;
        const [dOcc, dLat] = transfer("dram", op.bytes);
        const dma = prog.add(DMA, KIND_LOAD, tensor, op.row, op.col, -1, step, op.bytes, dOcc, dLat);
        const back = moverLoads.length - opts.buffers.l3;
        if (back >= 0) prog.require(dma, moverLoads[back]!, WAIT_CREDIT);
        const [mOcc, mLat] = transfer("l3", op.bytes);
        const mover = prog.add(MOVER, KIND_LOAD, tensor, op.row, op.col, -1, step, op.bytes, mOcc, mLat);
        prog.require(mover, dma, WAIT_DATA);
        sram.write(op.addr, op.addr + op.bytes, mover, prog);
        moverLoads.push(mover);
        loadedBy.set(op.addr, [dma, mover]);
        t.dramReadBytes += op.bytes;
        t.l3ReadBytes += op.bytes;
        break;
      }
      case "EXEC": {
        const bA = op.tm * op.tk * eb;
        const bB = op.tk * op.tn * eb;
        const bC = op.tm * op.tn * eb;
        const la = streamIn(op.aAddr, bA, TENSOR_A, op.m, op.k);
        const lb = streamIn(op.bAddr, bB, TENSOR_B, op.k, op.n);
        let lc = -1;
        const newRun = op.accAddr !== prevAcc;
        if (newRun && op.k > 0) lc = streamIn(op.accAddr, bC, TENSOR_C, op.m, op.n);
        if (newRun) flushStore();
        const { occ, cycles, l1Read, l1Write } = costs.fabric(op.tm, op.tn, op.tk);
        const fab = prog.add(FABRIC, KIND_COMPUTE, TENSOR_C, op.m, op.n, op.k, step, 0, occ, l1Lat);
        prog.require(fab, la, WAIT_DATA);
        prog.require(fab, lb, WAIT_DATA);
        prog.require(fab, lc, WAIT_DATA);
        stepFabric[step] = fab;
        const ta = loadedBy.get(op.aAddr) ?? [-1, -1];
        const tb = loadedBy.get(op.bAddr) ?? [-1, -1];
        stepArrivals.set([ta[0], ta[1], la, tb[0], tb[1], lb], step * 6);
        t.macs += op.tm * op.tn * op.tk;
        t.fabricCycles += cycles;
        t.l1ReadBytes += l1Read;
        t.l1WriteBytes += l1Write;
        pending = { acc: op.accAddr, bytes: bC, fabric: fab, i: op.m, j: op.n };
        prevAcc = op.accAddr;
        step++;
        break;
      }
      case "STORE": {
        flushStore();
        prevAcc = -1;
        if (op.forward === true) break;
        const [mOcc, mLat] = transfer("l3", op.bytes);
        const mover = prog.add(MOVER, KIND_WRITEBACK, TENSOR_C, op.row, op.col, -1, Math.max(0, step - 1), op.bytes, mOcc, mLat);
        sram.read(op.addr, op.addr + op.bytes, mover, MOVER, prog);
        const [dOcc, dLat] = transfer("dram", op.bytes);
        const dma = prog.add(DMA, KIND_WRITEBACK, TENSOR_C, op.row, op.col, -1, Math.max(0, step - 1), op.bytes, dOcc, dLat);
        prog.require(dma, mover, WAIT_DATA);
        t.l3WriteBytes += op.bytes;
        t.dramWriteBytes += op.bytes;
        break;
      }
      case "EWISE": {
        flushStore();
        prevAcc = -1;
        const bytes = op.rows * op.cols * eb;
        const inA = streamIn(op.aAddr, bytes, TENSOR_C, op.m, op.n);
        const inB = op.bAddr === null ? -1 : streamIn(op.bAddr, bytes, TENSOR_C, op.m, op.n);
        const cycles = Math.ceil((op.rows * op.cols) / (hw.fabric.rows * hw.fabric.cols)) + hw.fabric.rows;
        const fab = prog.add(FABRIC, KIND_COMPUTE, TENSOR_C, op.m, op.n, -1, Math.max(0, step - 1), 0, costs.occupancy(cycles, 0), l1Lat);
        prog.require(fab, inA, WAIT_DATA);
        prog.require(fab, inB, WAIT_DATA);
        const [occ, lat] = transfer("l2", bytes);
        const out = prog.add(STREAMER, KIND_WRITEBACK, TENSOR_C, op.m, op.n, -1, Math.max(0, step - 1), bytes, occ, lat);
        prog.require(out, fab, WAIT_DATA);
        sram.write(op.outAddr, op.outAddr + bytes, out, prog);
        t.l2WriteBytes += bytes;
        t.fabricCycles += cycles;
        break;
      }
    }
  }
  flushStore();
  return { program: prog, steps: execs, stepFabric, stepArrivals, totals: t, residency: [], capacities: cap };
}
