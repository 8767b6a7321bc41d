import type { EwiseUop, ExecUop, LoadUop, StoreUop } from "./uops.js";

/** A LOAD with its SRAM destination. `buffer` is the ping-pong buffer id under double buffering, else null. */
export interface SchedLoad extends LoadUop {
  readonly addr: number;
  readonly buffer: number | null;
}

/** An EXEC with the SRAM addresses of its A and B tiles and of its accumulator. */
export interface SchedExecute extends ExecUop {
  readonly aAddr: number;
  readonly bAddr: number;
  readonly accAddr: number;
  readonly buffer: number | null;
}

/** A standalone elementwise tile op; `bAddr` is null for unary functions. */
export interface SchedEwise extends EwiseUop {
  readonly aAddr: number;
  readonly bAddr: number | null;
  readonly outAddr: number;
}

/**
 * A STORE from SRAM `addr` to DRAM tensor `tensor`, applying `epilogue`. With `forward: true` (inter-layer forwarding)
 * nothing goes to DRAM: the epilogue is applied in place at `addr` and the tile stays resident for a later op, whose
 * EXECs read it at `addr`.
 */
export interface SchedStore extends StoreUop {
  readonly addr: number;
  readonly buffer: number | null;
  readonly forward?: true;
}

export type SchedOp = SchedLoad | SchedExecute | SchedEwise | SchedStore;

/** The statistics contract of a schedule (names as in the JSON output). */
export interface ScheduleStats {
  readonly schedOps: number;
  readonly loadsEmitted: number;
  readonly loadsEliminated: number;
  readonly stores: number;
  readonly peakSramBytes: number;
  readonly finalLiveBytes: number;
}

/** An executable schedule: every op carries concrete SRAM addresses within `sramBytes`. */
export interface Schedule {
  readonly sramBytes: number;
  readonly alignmentBytes: number;
  readonly policy: string;
  /** A LoopOrder, or a planner-specific order name such as a blocked order. */
  readonly loopOrder: string;
  readonly doubleBuffer: boolean;
  readonly ops: readonly SchedOp[];
  readonly stats: ScheduleStats;
}

export const SCHEDULE_SCHEMA_VERSION = 1;

export function scheduleToJson(schedule: Schedule): object {
  return { schemaVersion: SCHEDULE_SCHEMA_VERSION, kind: "kpu.schedule", ...schedule };
}

function hex(addr: number): string {
  return `@0x${addr.toString(16).padStart(4, "0")}`;
}

/** One line per op in the seed's style: `LOAD x(0, 0) -> @0x0000 (4096B)`. */
export function formatSchedOp(op: SchedOp): string {
  const buf = "buffer" in op && op.buffer !== null ? ` buf=${op.buffer}` : "";
  switch (op.kind) {
    case "LOAD":
      return `LOAD ${op.tensor}(${op.row}, ${op.col}) -> ${hex(op.addr)} (${op.bytes}B)${buf}`;
    case "EXEC":
      return `EXEC ${op.op} (${op.m},${op.n},${op.k}) A=${hex(op.aAddr)} B=${hex(op.bAddr)} ACC=${hex(op.accAddr)}${buf}`;
    case "EWISE":
      return `EWISE ${op.op} ${op.fn} (${op.m},${op.n}) A=${hex(op.aAddr)}${op.bAddr === null ? "" : ` B=${hex(op.bAddr)}`} OUT=${hex(op.outAddr)}`;
    case "STORE": {
      const epi = op.epilogue.map((s) => s.kind).join("+");
      const verb = op.forward === true ? "FWD" : "STORE";
      return `${verb} ${hex(op.addr)} -> ${op.tensor}(${op.row}, ${op.col}) (${op.bytes}B)${epi === "" ? "" : ` ${epi}`}${buf}`;
    }
  }
}
