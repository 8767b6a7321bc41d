import { KpuError, dtypeBytes, type MicroOp, type TiledOp, type UopProgram } from "@kpu/ir";

/**
 * A tile space: the tiles of one tensor under one tiling (strides in elements). Tile ids are `base + row * cols + col`;
 * the same data tile read under two different tilings gets two ids (never a wrong hit, at worst a missed one).
 */
export interface TileSpace {
  readonly tensor: string;
  readonly strideRows: number;
  readonly strideCols: number;
  readonly gridRows: number;
  readonly gridCols: number;
  readonly base: number;
}

/**
 * The micro-op stream cut into steps: each step is the LOADs of one EXEC or EWISE (1 or 2), the compute op, and the
 * STORE that may follow it. Everything the scheduler needs is in typed arrays indexed by step or tile id.
 */
export interface Analysis {
  readonly uops: readonly MicroOp[];
  readonly ops: readonly TiledOp[];
  readonly steps: number;
  readonly spaces: readonly TileSpace[];
  readonly tiles: number;
  /** Per tile: bytes of the tile (unaligned), from the first uop that names it. */
  readonly tileBytes: Float64Array;
  /** Per step: uop index of the A load, of the B load (-1 if none), of the compute op, of the STORE (-1 if none). */
  readonly loadA: Int32Array;
  readonly loadB: Int32Array;
  readonly compute: Int32Array;
  readonly store: Int32Array;
  /** Per step: tile ids of A, B (-1 if none) and of the output (accumulator) tile. */
  readonly tileA: Int32Array;
  readonly tileB: Int32Array;
  readonly tileC: Int32Array;
  /** Per step: index into `ops`. */
  readonly opIndex: Int32Array;
  /** Per step: 1 if this is the first compute step of its output tile. */
  readonly firstC: Uint8Array;
  /** Per step: time of the next access to the A / B tile after this one (Infinity if none). Time = 2*step (+1 for B). */
  readonly nextA: Float64Array;
  readonly nextB: Float64Array;
  /** Per tile: number of LOAD micro-ops that read it. */
  readonly uses: Int32Array;
  /** Per output tile: the step of its STORE (-1 if not an output tile). */
  readonly storeStep: Int32Array;
  /** Per tile: step of its first and last LOAD (-1 if never loaded). */
  readonly firstLoadStep: Int32Array;
  readonly lastLoadStep: Int32Array;
  /** Per tensor produced by an op: the space of its output tiles. */
  readonly producerSpace: ReadonlyMap<string, number>;
  /** Per tensor: the spaces its LOADs use. */
  readonly loadSpaces: ReadonlyMap<string, ReadonlySet<number>>;
  /**
   * Per step: the last step that STOREs a tensor this step LOADs (-1 if only graph inputs): a LOAD can be hoisted
   * above the STOREs of earlier steps only if this is below them.
   */
  readonly producedAt: Int32Array;
}

function bad(message: string, where: string): KpuError {
  return new KpuError("KPU_MEM_BAD_UOPS", message, {
    where,
    hint: "Schedule the output of lowering (kpu compile): LOADs, then EXEC or EWISE, then the STORE of a finished tile.",
  });
}

/** A fixed-capacity column of step data (every step has at least two micro-ops, so uops/2 + 1 is enough). */
class Column {
  readonly data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    this.data[this.length++] = v;
  }
  done(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Cuts the micro-op stream into steps, assigns tile ids and precomputes uses and next-use times. */
export function analyze(program: UopProgram): Analysis {
  const { uops } = program;
  const ops = program.tiled.ops;
  const opIndexById = new Map<string, number>();
  ops.forEach((op, i) => opIndexById.set(op.opId, i));

  const spaces: TileSpace[] = [];
  const spaceByKey = new Map<string, number>();
  let tiles = 0;
  const space = (tensor: string, sr: number, sc: number, gr: number, gc: number): number => {
    const key = `${tensor}|${sr}|${sc}|${gr}|${gc}`;
    let s = spaceByKey.get(key);
    if (s === undefined) {
      s = spaces.length;
      spaceByKey.set(key, s);
      spaces.push({ tensor, strideRows: sr, strideCols: sc, gridRows: gr, gridCols: gc, base: tiles });
      tiles += gr * gc;
    }
    return s;
  };
  // Per op: spaces of its A, B and output tiles.
  const opSpaces = ops.map((op) => {
    if (op.kind === "matmul") {
      const { tile, grid } = op;
      return {
        a: space(op.a, tile.m, tile.k, grid.mt, grid.kt),
        b: space(op.b, tile.k, tile.n, grid.kt, grid.nt),
        c: space(op.c, tile.m, tile.n, grid.mt, grid.nt),
      };
    }
    const { tile, grid } = op;
    const b =
      op.fn === "add"
        ? space(op.inputs[1]!, tile.m, tile.n, grid.mt, grid.nt)
        : op.fn === "bias_add"
          ? space(op.inputs[1]!, 1, tile.n, 1, grid.nt)
          : -1;
    return { a: space(op.inputs[0]!, tile.m, tile.n, grid.mt, grid.nt), b, c: space(op.output, tile.m, tile.n, grid.mt, grid.nt) };
  });
  const producerSpace = new Map<string, number>();
  ops.forEach((op, i) => producerSpace.set(op.kind === "matmul" ? op.c : op.output, opSpaces[i]!.c));

  const tileBytes = new Float64Array(tiles);
  const uses = new Int32Array(tiles);
  const storeStep = new Int32Array(tiles).fill(-1);
  const firstLoadStep = new Int32Array(tiles).fill(-1);
  const lastLoadStep = new Int32Array(tiles).fill(-1);
  const seenC = new Uint8Array(tiles);
  const execCount = new Int32Array(tiles);
  const loadSpaces = new Map<string, Set<number>>();
  const spaceSeen = new Uint8Array(spaces.length);

  const guess = Math.floor(uops.length / 2) + 1;
  const loadA = new Column(guess);
  const loadB = new Column(guess);
  const compute = new Column(guess);
  const store = new Column(guess);
  const tileA = new Column(guess);
  const tileB = new Column(guess);
  const tileC = new Column(guess);
  const opIndex = new Column(guess);
  const firstC = new Column(guess);

  let pendingA = -1;
  let pendingB = -1;
  let pendingTileA = -1;
  let pendingTileB = -1;
  let lastOpId = "";
  let lastOp = -1;
  const whereOf = (i: number): string => `uop ${i} (op "${uops[i]!.op}")`;
  const tileId = (s: number, row: number, col: number, i: number): number => {
    const sp = spaces[s]!;
    if (!(row >= 0 && row < sp.gridRows && col >= 0 && col < sp.gridCols && Number.isInteger(row) && Number.isInteger(col))) {
      throw bad(`tile (${row},${col}) is outside ${sp.tensor}'s ${sp.gridRows}x${sp.gridCols} tile grid`, whereOf(i));
    }
    return sp.base + row * sp.gridCols + col;
  };

  for (let i = 0; i < uops.length; i++) {
    const u = uops[i]!;
    if (u.op !== lastOpId) {
      const o = opIndexById.get(u.op);
      if (o === undefined) throw bad(`micro-op ${i} names op "${u.op}", which is not in the tiled program`, `uop ${i}`);
      lastOpId = u.op;
      lastOp = o;
    }
    const op = ops[lastOp]!;
    const sp = opSpaces[lastOp]!;
    switch (u.kind) {
      case "LOAD": {
        const s = u.operand === "A" ? sp.a : sp.b;
        if (s < 0) throw bad(`op "${u.op}" has no ${u.operand} operand`, whereOf(i));
        if (spaces[s]!.tensor !== u.tensor) throw bad(`LOAD ${u.operand} names tensor "${u.tensor}", expected "${spaces[s]!.tensor}"`, whereOf(i));
        const t = tileId(s, u.row, u.col, i);
        if (tileBytes[t] === 0) tileBytes[t] = u.bytes;
        if (!(u.bytes > 0)) throw bad(`LOAD of ${u.bytes} B`, whereOf(i));
        uses[t]!++;
        if (spaceSeen[s] === 0) {
          spaceSeen[s] = 1;
          let set = loadSpaces.get(u.tensor);
          if (set === undefined) loadSpaces.set(u.tensor, (set = new Set()));
          set.add(s);
        }
        if (u.operand === "A") {
          if (pendingA >= 0) throw bad("two A LOADs before one compute op", whereOf(i));
          pendingA = i;
          pendingTileA = t;
        } else {
          if (pendingB >= 0) throw bad("two B LOADs before one compute op", whereOf(i));
          pendingB = i;
          pendingTileB = t;
        }
        break;
      }
      case "EXEC":
      case "EWISE": {
        if (pendingA < 0) throw bad(`${u.kind} without the LOAD of its A tile`, whereOf(i));
        const needsB = op.kind === "matmul" || op.fn === "add" || op.fn === "bias_add";
        if (needsB !== pendingB >= 0) throw bad(`${u.kind} ${needsB ? "without" : "with an unexpected"} B LOAD`, whereOf(i));
        let c: number;
        if (u.kind === "EXEC") {
          if (op.kind !== "matmul") throw bad(`EXEC for elementwise op "${u.op}"`, whereOf(i));
          const ua = uops[pendingA] as { row: number; col: number };
          const ub = pendingB >= 0 ? (uops[pendingB] as { row: number; col: number }) : undefined;
          if (ua.row !== u.m || ua.col !== u.k || ub === undefined || ub.row !== u.k || ub.col !== u.n) {
            throw bad(`EXEC (${u.m},${u.n},${u.k}) does not match the tiles loaded before it`, whereOf(i));
          }
          c = tileId(sp.c, u.m, u.n, i);
        } else {
          if (op.kind !== "elementwise") throw bad(`EWISE for matmul op "${u.op}"`, whereOf(i));
          c = tileId(sp.c, u.m, u.n, i);
        }
        if (storeStep[c] !== -1) throw bad(`output tile (${u.m},${u.n}) of "${u.op}" is computed again after its STORE`, whereOf(i));
        const step = compute.length;
        loadA.push(pendingA);
        loadB.push(pendingB);
        compute.push(i);
        store.push(-1);
        tileA.push(pendingTileA);
        tileB.push(pendingTileB);
        tileC.push(c);
        opIndex.push(lastOp);
        firstC.push(seenC[c] === 0 ? 1 : 0);
        seenC[c] = 1;
        execCount[c]!++;
        if (firstLoadStep[pendingTileA] === -1) firstLoadStep[pendingTileA] = step;
        lastLoadStep[pendingTileA] = step;
        if (pendingTileB >= 0) {
          if (firstLoadStep[pendingTileB] === -1) firstLoadStep[pendingTileB] = step;
          lastLoadStep[pendingTileB] = step;
        }
        if (tileBytes[c] === 0) {
          const rows = u.kind === "EXEC" ? u.tm : u.rows;
          const cols = u.kind === "EXEC" ? u.tn : u.cols;
          tileBytes[c] = rows * cols * dtypeBytes(op.dtype);
        }
        pendingA = pendingB = pendingTileA = pendingTileB = -1;
        break;
      }
      case "STORE": {
        const step = compute.length - 1;
        if (pendingA >= 0 || pendingB >= 0 || step < 0 || store.data[step] !== -1) throw bad("STORE not right after a compute op", whereOf(i));
        const c = tileId(sp.c, u.row, u.col, i);
        if (tileC.data[step] !== c) throw bad(`STORE ${u.tensor}(${u.row},${u.col}) does not follow the last compute op of that tile`, whereOf(i));
        const kt = op.kind === "matmul" ? op.grid.kt : 1;
        if (execCount[c] !== kt) throw bad(`STORE ${u.tensor}(${u.row},${u.col}) after ${execCount[c]} of ${kt} EXECs`, whereOf(i));
        store.data[step] = i;
        storeStep[c] = step;
        break;
      }
    }
  }
  if (pendingA >= 0 || pendingB >= 0) throw bad("LOADs at the end of the stream with no compute op", "end of stream");
  const steps = compute.length;
  const tc = tileC.done();
  const st = store.done();
  for (let s = 0; s < steps; s++) {
    const c = tc[s]!;
    if (storeStep[c] === -1) throw bad(`output tile ${c} of op "${ops[opIndex.data[s]!]!.opId}" is never stored`, `step ${s}`);
  }

  // The last STORE step of each tensor, then per step the latest one its LOADs depend on.
  const lastStore = new Map<string, number>();
  for (let s = 0; s < steps; s++) {
    const si = st[s]!;
    if (si >= 0) lastStore.set((uops[si] as { tensor: string }).tensor, s);
  }
  // Per op (its A and B tensors are fixed), then per step.
  const opProducedAt = ops.map((op) => {
    const reads = op.kind === "matmul" ? [op.a, op.b] : op.inputs;
    return Math.max(-1, ...reads.map((t) => lastStore.get(t) ?? -1));
  });
  const producedAt = new Int32Array(steps);
  const la = loadA.done();
  const lb = loadB.done();
  const opIdx = opIndex.done();
  for (let s = 0; s < steps; s++) producedAt[s] = opProducedAt[opIdx[s]!]!;

  // Next-use times, walking backwards: time 2s for A, 2s+1 for B.
  const ta = tileA.done();
  const tb = tileB.done();
  const nextA = new Float64Array(steps);
  const nextB = new Float64Array(steps);
  const last = new Float64Array(tiles).fill(Infinity);
  for (let s = steps - 1; s >= 0; s--) {
    const b = tb[s]!;
    if (b >= 0) {
      nextB[s] = last[b]!;
      last[b] = 2 * s + 1;
    }
    const a = ta[s]!;
    nextA[s] = last[a]!;
    last[a] = 2 * s;
  }
  return {
    uops,
    ops,
    steps,
    spaces,
    tiles,
    tileBytes,
    loadA: la,
    loadB: lb,
    compute: compute.done(),
    store: st,
    tileA: ta,
    tileB: tb,
    tileC: tc,
    opIndex: opIdx,
    firstC: new Uint8Array(firstC.done()),
    nextA,
    nextB,
    uses,
    storeStep,
    firstLoadStep,
    lastLoadStep,
    producerSpace,
    loadSpaces,
    producedAt,
  };
}

/** `x(1,2)` for a tile id. */
export function describeTile(a: Pick<Analysis, "spaces">, tile: number): string {
  for (const s of a.spaces) {
    const n = s.gridRows * s.gridCols;
    if (tile >= s.base && tile < s.base + n) {
      const r = Math.floor((tile - s.base) / s.gridCols);
      return `${s.tensor}(${r},${tile - s.base - r * s.gridCols})`;
    }
  }
  return `#${tile}`;
}
