import { KpuError, type Graph, type SchedOp, type Schedule, type TiledOp, type TiledProgram } from "@kpu/ir";
import { gelu, relu } from "./kernels.js";
import type { TensorValues } from "./reference.js";

/** Counts of what the executor did. */
export interface ExecutionCounts {
  readonly loads: number;
  readonly execs: number;
  readonly ewises: number;
  readonly stores: number;
  readonly forwards: number;
}

export interface ExecutionResult {
  /** Every DRAM tensor after the run (inputs, intermediates that were stored, outputs). */
  readonly dram: ReadonlyMap<string, Float32Array>;
  readonly counts: ExecutionCounts;
}

function fail(message: string, where: string): KpuError {
  return new KpuError("KPU_EXEC_BAD_SCHEDULE", message, { where, hint: "Execute a schedule produced for this program (kpu compile --emit schedule)." });
}

/**
 * Runs `schedule` on real fp32 data. DRAM is one Float32Array per tensor (row-major; a tensor is viewed as
 * [rows, last dim]); SRAM is one byte array of `schedule.sramBytes`, filled with NaN at the start, holding each tile
 * row-major at its address. Only the addresses and sizes in the schedule decide where data goes:
 *
 * - LOAD copies a tile from DRAM to `addr`. Its origin is (row, col) times the op's tile strides (A: m x k, B: k x n,
 *   elementwise: m x n, a bias: 1 x n).
 * - EXEC computes acc(tm x tn) at `accAddr` (+)= A(tm x tk) at `aAddr` x B(tk x tn) at `bAddr`; k = 0 initialises.
 * - EWISE writes fn(A[, B]) to `outAddr`.
 * - STORE applies the epilogue (bias, residual add from DRAM, relu, gelu) and writes the tile to DRAM; with
 *   `forward: true` it applies the epilogue in place and writes nothing to DRAM.
 *
 * A wrong address reads NaN or another tile's data, so the result is wrong.
 */
export function executeSchedule(schedule: Schedule, program: TiledProgram, inputs: TensorValues): ExecutionResult {
  const graph: Graph = program.graph;
  const ops = new Map<string, TiledOp>(program.ops.map((o) => [o.opId, o]));
  const dram = new Map<string, Float32Array>();
  const colsOf = new Map<string, number>();
  for (const t of graph.tensors) {
    if (t.dtype !== "fp32") throw fail(`tensor "${t.name}" is ${t.dtype}; the functional executor runs fp32`, `tensor "${t.name}"`);
    const size = t.shape.reduce((p, d) => p * d, 1);
    colsOf.set(t.name, t.shape.at(-1)!);
    const given = inputs.get(t.name);
    if (graph.inputs.includes(t.name)) {
      if (given === undefined || given.length !== size) {
        throw new KpuError("KPU_EXEC_MISSING_INPUT", `input "${t.name}" needs ${size} values, got ${given?.length ?? "none"}`, { where: `tensor "${t.name}"`, hint: "Pass every graph input with its full size." });
      }
      dram.set(t.name, Float32Array.from(given));
    } else {
      dram.set(t.name, new Float32Array(size).fill(NaN));
    }
  }
  if (schedule.sramBytes % 4 !== 0 || schedule.alignmentBytes % 4 !== 0) throw fail("SRAM size and alignment must be multiples of 4 B for fp32", "schedule");
  const sram = new Float32Array(schedule.sramBytes / 4).fill(NaN);
  const word = (addr: number, bytes: number, where: string): number => {
    if (!Number.isInteger(addr) || addr < 0 || addr % 4 !== 0 || addr + bytes > schedule.sramBytes) {
      throw fail(`address 0x${addr.toString(16)} (+${bytes} B) is outside the ${schedule.sramBytes} B SRAM or not 4-byte aligned`, where);
    }
    return addr / 4;
  };
  const tensorOf = (name: string, where: string): Float32Array => {
    const t = dram.get(name);
    if (t === undefined) throw fail(`no tensor "${name}"`, where);
    return t;
  };
  let loads = 0;
  let execs = 0;
  let ewises = 0;
  let stores = 0;
  let forwards = 0;

  const epilogue = (op: SchedOp & { kind: "STORE" }, base: number, r0: number, c0: number, where: string): void => {
    for (const step of op.epilogue) {
      switch (step.kind) {
        case "relu":
        case "gelu": {
          const f = step.kind === "relu" ? relu : gelu;
          for (let i = 0; i < op.rows * op.cols; i++) sram[base + i] = f(sram[base + i]!);
          break;
        }
        case "bias_add": {
          const bias = tensorOf(step.tensor, where);
          for (let i = 0; i < op.rows; i++) for (let j = 0; j < op.cols; j++) sram[base + i * op.cols + j]! += bias[c0 + j]!;
          break;
        }
        case "add": {
          const res = tensorOf(step.tensor, where);
          const n = colsOf.get(step.tensor)!;
          for (let i = 0; i < op.rows; i++) for (let j = 0; j < op.cols; j++) sram[base + i * op.cols + j]! += res[(r0 + i) * n + c0 + j]!;
          break;
        }
        default:
          throw fail(`epilogue step ${step.kind} is not executed by the micro-op executor`, where);
      }
    }
  };

  schedule.ops.forEach((op, index) => {
    const where = `schedule op ${index} (${op.kind} ${op.op})`;
    const t = ops.get(op.op);
    if (t === undefined) throw fail(`op "${op.op}" is not in the program`, where);
    switch (op.kind) {
      case "LOAD": {
        let sr: number;
        let sc: number;
        if (t.kind === "matmul") [sr, sc] = op.operand === "A" ? [t.tile.m, t.tile.k] : [t.tile.k, t.tile.n];
        else if (op.operand === "B" && t.fn === "bias_add") [sr, sc] = [1, t.tile.n];
        else [sr, sc] = [t.tile.m, t.tile.n];
        const src = tensorOf(op.tensor, where);
        const n = colsOf.get(op.tensor)!;
        const r0 = op.row * sr;
        const c0 = op.col * sc;
        const base = word(op.addr, op.rows * op.cols * 4, where);
        for (let i = 0; i < op.rows; i++) {
          const from = (r0 + i) * n + c0;
          sram.set(src.subarray(from, from + op.cols), base + i * op.cols);
        }
        loads++;
        break;
      }
      case "EXEC": {
        const { tm, tn, tk } = op;
        const a = word(op.aAddr, tm * tk * 4, where);
        const b = word(op.bAddr, tk * tn * 4, where);
        const c = word(op.accAddr, tm * tn * 4, where);
        if (op.k === 0) sram.fill(0, c, c + tm * tn);
        for (let i = 0; i < tm; i++) {
          for (let kk = 0; kk < tk; kk++) {
            const av = sram[a + i * tk + kk]!;
            const brow = b + kk * tn;
            const crow = c + i * tn;
            for (let j = 0; j < tn; j++) sram[crow + j]! += av * sram[brow + j]!;
          }
        }
        execs++;
        break;
      }
      case "EWISE": {
        const size = op.rows * op.cols;
        const a = word(op.aAddr, size * 4, where);
        const out = word(op.outAddr, size * 4, where);
        const b = op.bAddr === null ? -1 : word(op.bAddr, (op.fn === "bias_add" ? op.cols : size) * 4, where);
        for (let i = 0; i < op.rows; i++) {
          for (let j = 0; j < op.cols; j++) {
            const x = sram[a + i * op.cols + j]!;
            let y: number;
            switch (op.fn) {
              case "relu":
                y = relu(x);
                break;
              case "gelu":
                y = gelu(x);
                break;
              case "add":
                y = x + sram[b + i * op.cols + j]!;
                break;
              case "bias_add":
                y = x + sram[b + j]!;
                break;
            }
            sram[out + i * op.cols + j] = y;
          }
        }
        ewises++;
        break;
      }
      case "STORE": {
        const base = word(op.addr, op.rows * op.cols * 4, where);
        const r0 = op.row * t.tile.m;
        const c0 = op.col * t.tile.n;
        epilogue(op, base, r0, c0, where);
        if (op.forward === true) {
          forwards++;
          break;
        }
        const dst = tensorOf(op.tensor, where);
        const n = colsOf.get(op.tensor)!;
        for (let i = 0; i < op.rows; i++) dst.set(sram.subarray(base + i * op.cols, base + (i + 1) * op.cols), (r0 + i) * n + c0);
        stores++;
        break;
      }
    }
  });
  return { dram, counts: { loads, execs, ewises, stores, forwards } };
}
