import { dtypeBytes, type SchedOp, type Schedule, type TiledOp, type UopProgram } from "@kpu/ir";
import type { TraceEvent } from "./scheduler.js";

/** The result of checking a schedule: the invariants that failed (at most `limit` messages) and what was counted. */
export interface ScheduleCheck {
  readonly ok: boolean;
  readonly violations: readonly string[];
  /** Max live bytes recounted from the trace (when one was given). */
  readonly recountedPeakBytes: number | null;
}

interface Range {
  readonly addr: number;
  readonly bytes: number;
}

/**
 * Replays a schedule against the program it came from and checks the invariants the planner promises:
 *
 * 1. every address is aligned and every buffer lies inside the SRAM;
 * 2. every EXEC / EWISE operand address holds the tile the op names (a LOAD, or a forwarded STORE, put it there and
 *    nothing overwrote it since);
 * 3. every accumulator is initialised by its k = 0 EXEC, gets exactly Kt EXECs, and is untouched until its STORE;
 * 4. no LOAD overwrites a buffer that the EXEC running beside it (the next compute op in the list, under double
 *    buffering) reads;
 * 5. the statistics add up: loads emitted + eliminated = the program's LOADs, stores and op counts match;
 * 6. with a trace: live allocations never overlap, stay aligned and in capacity, every LOAD and accumulator lies in a
 *    live allocation, the recounted peak equals `peakSramBytes`, and nothing is live at the end.
 */
export function checkSchedule(schedule: Schedule, program: UopProgram, trace?: readonly TraceEvent[], limit = 20): ScheduleCheck {
  const violations: string[] = [];
  const fail = (msg: string): void => {
    if (violations.length < limit) violations.push(msg);
  };
  const { sramBytes, alignmentBytes: align, ops } = schedule;
  const byId = new Map<string, TiledOp>(program.tiled.ops.map((o) => [o.opId, o]));
  const granules = Math.ceil(sramBytes / align);
  const content = new Int32Array(granules).fill(-1);
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  const tileName = (tensor: string, r0: number, c0: number, rows: number, cols: number): string => `${tensor}@${r0},${c0}:${rows}x${cols}`;
  const inRange = (r: Range, what: string, i: number): boolean => {
    if (!Number.isInteger(r.addr) || r.addr < 0 || r.addr % align !== 0 || r.addr + r.bytes > sramBytes) {
      fail(`op ${i}: ${what} [0x${r.addr.toString(16)}, +${r.bytes}) is not aligned to ${align} B or not inside the ${sramBytes} B SRAM`);
      return false;
    }
    return true;
  };
  const write = (r: Range, id: number): void => {
    const end = Math.ceil((r.addr + r.bytes) / align);
    for (let g = r.addr / align; g < end; g++) content[g] = id;
  };
  const holds = (r: Range, id: number): boolean => {
    const end = Math.ceil((r.addr + r.bytes) / align);
    for (let g = r.addr / align; g < end; g++) if (content[g] !== id) return false;
    return true;
  };
  const overlaps = (x: Range, y: Range): boolean => x.addr < y.addr + y.bytes && y.addr < x.addr + x.bytes;
  const accCount = new Map<string, number>();

  // The tiles (names) and ranges a compute op reads, for checks 2 and 4.
  const reads = (op: SchedOp): { name: string; range: Range }[] => {
    const t = byId.get(op.op);
    if (t === undefined) return [];
    if (op.kind === "EXEC" && t.kind === "matmul") {
      const bytes = (r: number, c: number): number => r * c * elementBytes(t);
      return [
        { name: tileName(t.a, op.m * t.tile.m, op.k * t.tile.k, op.tm, op.tk), range: { addr: op.aAddr, bytes: bytes(op.tm, op.tk) } },
        { name: tileName(t.b, op.k * t.tile.k, op.n * t.tile.n, op.tk, op.tn), range: { addr: op.bAddr, bytes: bytes(op.tk, op.tn) } },
      ];
    }
    if (op.kind === "EWISE" && t.kind === "elementwise") {
      const bytes = (r: number, c: number): number => r * c * elementBytes(t);
      const out = [{ name: tileName(t.inputs[0]!, op.m * t.tile.m, op.n * t.tile.n, op.rows, op.cols), range: { addr: op.aAddr, bytes: bytes(op.rows, op.cols) } }];
      if (op.bAddr !== null) {
        out.push(
          t.fn === "bias_add"
            ? { name: tileName(t.inputs[1]!, 0, op.n * t.tile.n, 1, op.cols), range: { addr: op.bAddr, bytes: bytes(1, op.cols) } }
            : { name: tileName(t.inputs[1]!, op.m * t.tile.m, op.n * t.tile.n, op.rows, op.cols), range: { addr: op.bAddr, bytes: bytes(op.rows, op.cols) } },
        );
      }
      return out;
    }
    return [];
  };
  const loadName = (op: SchedOp & { kind: "LOAD" }): string | undefined => {
    const t = byId.get(op.op);
    if (t === undefined) return undefined;
    if (t.kind === "matmul") {
      return op.operand === "A"
        ? tileName(op.tensor, op.row * t.tile.m, op.col * t.tile.k, op.rows, op.cols)
        : tileName(op.tensor, op.row * t.tile.k, op.col * t.tile.n, op.rows, op.cols);
    }
    if (op.operand === "B" && t.fn === "bias_add") return tileName(op.tensor, 0, op.col * t.tile.n, 1, op.cols);
    return tileName(op.tensor, op.row * t.tile.m, op.col * t.tile.n, op.rows, op.cols);
  };
  const accRange = (op: SchedOp): Range | undefined => {
    const t = byId.get(op.op);
    if (t === undefined) return undefined;
    if (op.kind === "EXEC") return { addr: op.accAddr, bytes: op.tm * op.tn * elementBytes(t) };
    if (op.kind === "EWISE") return { addr: op.outAddr, bytes: op.rows * op.cols * elementBytes(t) };
    return undefined;
  };

  // Index of the next compute op after each position (for check 4).
  const nextCompute = new Int32Array(ops.length + 1).fill(-1);
  for (let i = ops.length - 1; i >= 0; i--) {
    const k = ops[i]!.kind;
    nextCompute[i] = k === "EXEC" || k === "EWISE" ? i : nextCompute[i + 1]!;
  }

  // DRAM read-after-write: a tensor produced by an op is loaded only after all its tiles were stored.
  const expectedStores = new Map<string, number>();
  for (const t of program.tiled.ops) expectedStores.set(t.kind === "matmul" ? t.c : t.output, t.grid.mt * t.grid.nt);
  const storedTiles = new Map<string, number>();
  let loads = 0;
  let storesDram = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const t = byId.get(op.op);
    if (t === undefined) {
      fail(`op ${i}: names op "${op.op}", which is not in the program`);
      continue;
    }
    const where = `op ${i} (${op.kind} ${op.op})`;
    switch (op.kind) {
      case "LOAD": {
        loads++;
        const range = { addr: op.addr, bytes: op.bytes };
        if (!inRange(range, "LOAD", i)) break;
        const name = loadName(op)!;
        const expected = expectedStores.get(op.tensor);
        if (expected !== undefined && (storedTiles.get(op.tensor) ?? 0) < expected) {
          fail(`${where}: loads ${name} before all ${expected} tiles of ${op.tensor} were stored`);
        }
        const q = nextCompute[i + 1]!;
        if (q >= 0) {
          const running = ops[q]!;
          const r = reads(running);
          if (!r.some((x) => x.name === name)) {
            const acc = accRange(running);
            for (const x of [...r.map((y) => y.range), ...(acc ? [acc] : [])]) {
              if (overlaps(x, range)) fail(`${where}: loads ${name} into 0x${op.addr.toString(16)}, a buffer the running op ${q} reads`);
            }
          }
        }
        write(range, intern(name));
        break;
      }
      case "EXEC":
      case "EWISE": {
        for (const x of reads(op)) {
          if (inRange(x.range, "operand", i) && !holds(x.range, intern(x.name))) {
            fail(`${where}: operand at 0x${x.range.addr.toString(16)} does not hold ${x.name}`);
          }
        }
        const acc = accRange(op)!;
        if (!inRange(acc, "accumulator", i)) break;
        const key = `acc:${op.op}(${op.m},${op.n})`;
        const id = intern(key);
        if (op.kind === "EWISE" || op.k === 0) {
          if (accCount.has(key)) fail(`${where}: ${key} is initialised twice`);
          write(acc, id);
          accCount.set(key, 1);
        } else if (!holds(acc, id)) {
          fail(`${where}: accumulator at 0x${op.accAddr.toString(16)} no longer holds ${key}`);
        } else {
          accCount.set(key, (accCount.get(key) ?? 0) + 1);
        }
        break;
      }
      case "STORE": {
        const range = { addr: op.addr, bytes: op.bytes };
        if (!inRange(range, "STORE", i)) break;
        const key = `acc:${op.op}(${op.row},${op.col})`;
        const kt = t.kind === "matmul" ? t.grid.kt : 1;
        if (!holds(range, intern(key))) fail(`${where}: 0x${op.addr.toString(16)} does not hold ${key}`);
        else if (accCount.get(key) !== kt) fail(`${where}: ${key} got ${accCount.get(key) ?? 0} EXECs, expected ${kt}`);
        accCount.delete(key);
        storedTiles.set(op.tensor, (storedTiles.get(op.tensor) ?? 0) + 1);
        if (op.forward === true) {
          write(range, intern(tileName(op.tensor, op.row * t.tile.m, op.col * t.tile.n, op.rows, op.cols)));
        } else {
          storesDram++;
        }
        break;
      }
    }
  }
  if (accCount.size > 0) fail(`${accCount.size} accumulators are never stored, e.g. ${[...accCount.keys()][0]}`);

  const programLoads = program.uops.reduce((n, u) => n + (u.kind === "LOAD" ? 1 : 0), 0);
  const s = schedule.stats;
  if (s.schedOps !== ops.length) fail(`stats.schedOps ${s.schedOps} != ${ops.length} ops`);
  if (s.loadsEmitted !== loads) fail(`stats.loadsEmitted ${s.loadsEmitted} != ${loads} LOADs`);
  if (s.loadsEmitted + s.loadsEliminated !== programLoads) fail(`loads emitted + eliminated = ${s.loadsEmitted + s.loadsEliminated}, but the program has ${programLoads} LOADs`);
  if (s.stores !== storesDram) fail(`stats.stores ${s.stores} != ${storesDram} STOREs to DRAM`);

  let recountedPeakBytes: number | null = null;
  if (trace !== undefined) {
    const live = new Map<number, { bytes: number; tile: string }>();
    let liveBytes = 0;
    let peak = 0;
    let e = 0;
    const within = (r: Range, i: number, what: string): void => {
      for (const [addr, b] of live) if (r.addr >= addr && r.addr + r.bytes <= addr + b.bytes) return;
      fail(`op ${i}: ${what} at 0x${r.addr.toString(16)} is not inside a live allocation`);
    };
    for (let i = 0; i <= ops.length; i++) {
      for (; e < trace.length && trace[e]!.at <= i; e++) {
        const ev = trace[e]!;
        if (ev.kind === "alloc") {
          if (ev.addr % align !== 0 || ev.addr < 0 || ev.addr + ev.bytes > sramBytes) fail(`trace ${e}: allocation of ${ev.tile} at 0x${ev.addr.toString(16)} is misaligned or outside the SRAM`);
          for (const [addr, b] of live) {
            if (overlaps({ addr, bytes: b.bytes }, ev)) fail(`trace ${e}: ${ev.tile} at 0x${ev.addr.toString(16)} overlaps live ${b.tile} at 0x${addr.toString(16)}`);
          }
          live.set(ev.addr, { bytes: ev.bytes, tile: ev.tile });
          liveBytes += ev.bytes;
          peak = Math.max(peak, liveBytes);
        } else {
          const b = live.get(ev.addr);
          if (b === undefined || b.bytes !== ev.bytes) fail(`trace ${e}: free of ${ev.tile} at 0x${ev.addr.toString(16)}, which is not live`);
          else {
            live.delete(ev.addr);
            liveBytes -= ev.bytes;
          }
        }
      }
      if (i === ops.length) break;
      const op = ops[i]!;
      if (op.kind === "LOAD") within({ addr: op.addr, bytes: op.bytes }, i, "LOAD");
      const acc = accRange(op);
      if (acc) within(acc, i, "accumulator");
    }
    recountedPeakBytes = peak;
    if (peak !== s.peakSramBytes) fail(`peak recounted from the trace is ${peak} B, stats say ${s.peakSramBytes} B`);
    if (liveBytes !== s.finalLiveBytes) fail(`final live bytes recounted ${liveBytes} B, stats say ${s.finalLiveBytes} B`);
  }
  return { ok: violations.length === 0, violations, recountedPeakBytes };
}

function elementBytes(op: TiledOp): number {
  return dtypeBytes(op.dtype);
}
