import { KpuError, forEachTileStep, nestStepCount, tileCount, tileExtent, tileSetBytes, validateNest, type ReplacementPolicyName, type TileNest, type TileShape } from "@kpu/ir";
import { ReplacementSet } from "./replacement.js";

/**
 * The memory-hierarchy engine: one multi-level, tile-keyed model that every consumer uses (the traffic analysis, the
 * KPU timing model). Levels are listed from the fabric outward (L1, L2, L3), backed by DRAM. Each level holds whole
 * tiles of its own shape and sees only what the level below it asks for: the misses of that level (reads) and its
 * write-backs (dirty victims), so no level fetches what a level closer to the fabric still holds. Per step the fabric
 * touches A[m,k], B[k,n] and C[m,n] of the innermost level, in that order; C is read-modify-written (`rmw`, every
 * step) or touched once on its first step (`read-once`); the first touch of a C tile needs no data. A tile larger
 * than a level streams through it. Dirty tiles are written back when evicted and, at the end, level by level.
 *
 * The engine emits the ordered transfer list (which tile moves between which levels, with what it waits for) to a
 * sink; every dependency points at an earlier transfer, so in-order engines consuming the list never deadlock.
 */
export const TENSOR_A = 0;
export const TENSOR_B = 1;
export const TENSOR_C = 2;
/** A transfer into a level from the one above (or DRAM), or a write-back out of a level to the one above. */
export const TRANSFER_LOAD = 0;
export const TRANSFER_WRITEBACK = 1;
/** Why a transfer waits: for data (the copy it reads) or for space (a slot freed by a reader or a write-back). */
export const DEP_DATA = 0;
export const DEP_SPACE = 1;

export type CAccounting = "rmw" | "read-once";

export interface HierarchyLevel {
  readonly name: string;
  readonly capacityBytes: number;
  /** The tile this level holds; each level's tile nests in the one above it. */
  readonly tile: TileShape;
  readonly policy?: ReplacementPolicyName;
  /** Steps of tiles the level may fill ahead of its consumer (for the timing model's credits; default 1). */
  readonly buffers?: number;
}

export interface HierarchySpec {
  /** The loop nest; its innermost tile is the step tile (the innermost level's tile). */
  readonly nest: TileNest;
  readonly elementBytes: number;
  /** From the fabric outward. */
  readonly levels: readonly HierarchyLevel[];
  readonly cAccounting?: CAccounting;
}

/** Where the engine sends the transfer list. Ids returned are the sink's; `require` applies to the last one created. */
export interface HierarchySink {
  transfer(kind: number, level: number, tensor: number, u: number, v: number, bytes: number, step: number): number;
  /** The fabric computes a step. `chains` holds, per level from the fabric out, the transfer that brought the A copy
   *  in use, then the same for B (-1 where the copy was already there from an earlier transfer chain's start). */
  compute(step: number, m: number, n: number, k: number, chains: Int32Array): number;
  require(task: number, kind: number): void;
  /** Optional: a tile copy occupied `bytes` of a level from the start of `alloc` until `releases` were done
   *  (`evicted` false: until the end of the run). For checking capacities over time. */
  readonly residency?: ((level: number, bytes: number, alloc: number, releases: readonly number[], evicted: boolean) => void) | undefined;
}

export interface LevelTraffic {
  readonly name: string;
  readonly capacityBytes: number;
  /** Bytes loaded into this level from the one above, per tensor A, B, C. */
  readonly fillBytes: readonly [number, number, number];
  /** Bytes written back from this level to the one above, per tensor. */
  readonly writeBackBytes: readonly [number, number, number];
  /** Requests that reached this level (reads and write-backs from below, or the fabric's touches) and hits. */
  readonly requests: readonly [number, number, number];
  readonly hits: readonly [number, number, number];
  readonly evictions: number;
  readonly peakBytes: number;
}

export interface HierarchyTraffic {
  readonly steps: number;
  readonly levels: readonly LevelTraffic[];
}

/** Counts only: a sink for traffic analysis (ids are a counter, dependencies are dropped). */
class CountingSink implements HierarchySink {
  private next = 0;
  transfer(): number {
    return this.next++;
  }
  compute(): number {
    return this.next++;
  }
  require(): void {}
}

/** The most steps one hierarchy simulation takes (the multi-level engine walks every step). */
export const MAX_HIERARCHY_STEPS = 2e8;

/**
 * Runs the hierarchy over every step of the nest and returns the traffic per level; with a sink, also emits the
 * transfer list. Belady's MIN at a level needs that level's future requests: they are recorded in an extra pass (the
 * requests a level sees do not depend on the levels above it).
 */
export function simulateHierarchy(spec: HierarchySpec, sink?: HierarchySink): HierarchyTraffic {
  checkSpec(spec);
  let nextUses: (Float64Array | null)[] = spec.levels.map(() => null);
  spec.levels.forEach((level, x) => {
    if ((level.policy ?? "lru") !== "min") return;
    const recorder = new HierarchyRun(spec, new CountingSink(), nextUses, x);
    recorder.runAll();
    nextUses = nextUses.map((u, y) => (y === x ? recorder.nextUsesOfRecorded() : u));
  });
  const run = new HierarchyRun(spec, sink ?? new CountingSink(), nextUses, -1);
  run.runAll();
  return run.traffic();
}

function checkSpec(spec: HierarchySpec): void {
  validateNest(spec.nest, "nest.levels");
  const steps = nestStepCount(spec.nest);
  if (steps > MAX_HIERARCHY_STEPS) {
    throw new KpuError("KPU_TOO_LARGE", `${steps.toExponential(2)} tile steps is too many to simulate level by level`, {
      where: "tiles",
      hint: "Use larger tiles (fewer steps), or a single-level LRU analysis, which skips repeated iterations.",
    });
  }
  const step = spec.nest.levels[spec.nest.levels.length - 1]!.tile;
  let inner = step;
  for (const level of spec.levels) {
    for (const d of ["m", "n", "k"] as const) {
      const outer = Math.min(level.tile[d], spec.nest.dims[d]);
      const t = Math.min(inner[d], spec.nest.dims[d]);
      if (t > outer || (outer !== spec.nest.dims[d] && outer % t !== 0)) {
        throw new KpuError("KPU_BAD_NEST", `level ${level.name}'s tile ${d} = ${level.tile[d]} does not hold whole tiles of ${inner[d]}`, {
          where: `levels.${level.name}.tile.${d}`,
          hint: "Each level's tile must be a multiple of the tile of the level below it (the step tile for the innermost).",
        });
      }
    }
    if (!Number.isSafeInteger(level.capacityBytes) || level.capacityBytes <= 0) {
      throw new KpuError("KPU_BAD_SIZE", `capacity ${String(level.capacityBytes)} is not a positive number of bytes`, {
        where: `levels.${level.name}.capacityBytes`,
        hint: "Give the level's capacity in bytes.",
      });
    }
    inner = level.tile;
  }
}

/** Per-level state: tile ids are dense per level (A tiles, then B, then C), every field a typed array. */
class LevelState {
  readonly mt: number;
  readonly nt: number;
  readonly kt: number;
  readonly offB: number;
  readonly offC: number;
  readonly tiles: number;
  readonly bytes: Float64Array;
  readonly resident: Uint8Array;
  readonly dirty: Uint8Array;
  /** The transfer (or compute) that last wrote the copy held here; its readers wait for it. */
  readonly writer: Int32Array;
  readonly lastReader: Int32Array;
  /** The first task that put data into the space of the copy held here (for residency intervals). */
  readonly allocTask: Int32Array;
  /** C tiles: some of this tile's data has left this level (so a new copy must be fetched to be complete). */
  readonly writtenOut: Uint8Array;
  /** Innermost level only: the C tile has been touched before. */
  readonly touched: Uint8Array;
  /** Per tile, the transfer chain that brought the copy (this level, then the levels above), for A and B. */
  readonly chain: Int32Array;
  readonly policy: ReplacementSet;
  /** Tile coordinates per id: A (m, k), B (k, n), C (m, n), in this level's tiles. */
  readonly u: Int32Array;
  readonly v: Int32Array;
  /** The id of the enclosing tile at the level above (filled in by the run). */
  readonly up: Int32Array;
  used = 0;
  peak = 0;
  evictions = 0;
  /** Latest reader and write-back of any evicted tile: space is free only once they are done. */
  freedReader = -1;
  freedWriteBack = -1;
  readonly fill = [0, 0, 0];
  readonly writeBack = [0, 0, 0];
  readonly requests = [0, 0, 0];
  readonly hits = [0, 0, 0];

  constructor(
    readonly spec: HierarchyLevel,
    dims: TileShape,
    eb: number,
    readonly depth: number,
    policy: ReplacementPolicyName,
  ) {
    const t = spec.tile;
    this.mt = tileCount(dims.m, t.m);
    this.nt = tileCount(dims.n, t.n);
    this.kt = tileCount(dims.k, t.k);
    this.offB = this.mt * this.kt;
    this.offC = this.offB + this.kt * this.nt;
    this.tiles = this.offC + this.mt * this.nt;
    this.bytes = new Float64Array(this.tiles);
    const ext = tileExtent;
    for (let i = 0; i < this.mt; i++) for (let k = 0; k < this.kt; k++) this.bytes[i * this.kt + k] = ext(dims.m, t.m, i) * ext(dims.k, t.k, k) * eb;
    for (let k = 0; k < this.kt; k++) for (let j = 0; j < this.nt; j++) this.bytes[this.offB + k * this.nt + j] = ext(dims.k, t.k, k) * ext(dims.n, t.n, j) * eb;
    for (let i = 0; i < this.mt; i++) for (let j = 0; j < this.nt; j++) this.bytes[this.offC + i * this.nt + j] = ext(dims.m, t.m, i) * ext(dims.n, t.n, j) * eb;
    this.resident = new Uint8Array(this.tiles);
    this.dirty = new Uint8Array(this.tiles);
    this.writer = new Int32Array(this.tiles).fill(-1);
    this.lastReader = new Int32Array(this.tiles).fill(-1);
    this.allocTask = new Int32Array(this.tiles).fill(-1);
    this.writtenOut = new Uint8Array(this.tiles);
    this.touched = new Uint8Array(this.tiles);
    this.chain = new Int32Array(this.tiles * depth).fill(-1);
    this.policy = new ReplacementSet(policy, this.tiles, 16);
    this.u = new Int32Array(this.tiles);
    this.v = new Int32Array(this.tiles);
    this.up = new Int32Array(this.tiles).fill(-1);
    for (let id = 0; id < this.tiles; id++) {
      const [u, v] = this.coords(id);
      this.u[id] = u;
      this.v[id] = v;
    }
  }

  tensorOf(id: number): number {
    return id < this.offB ? TENSOR_A : id < this.offC ? TENSOR_B : TENSOR_C;
  }

  /** Tile coordinates (u, v) of an id: A (m, k), B (k, n), C (m, n). */
  coords(id: number): [number, number] {
    if (id < this.offB) return [Math.floor(id / this.kt), id % this.kt];
    if (id < this.offC) return [Math.floor((id - this.offB) / this.nt), (id - this.offB) % this.nt];
    return [Math.floor((id - this.offC) / this.nt), (id - this.offC) % this.nt];
  }
}

class HierarchyRun {
  private readonly levels: LevelState[];
  private readonly L: number;
  private readonly rmw: boolean;
  private readonly step: TileShape;
  private s = 0;
  /** Access counters per level and the recorded stream (for MIN's next uses). */
  private readonly accessIndex: Int32Array;
  private recorded: number[] = [];
  /** Credits: per level, the last task that consumed from it, per step (a ring of 64). */
  private readonly consumer: Int32Array;
  private readonly consumerRing: Int32Array;
  private readonly computeDeps: number[] = [];
  private readonly chains: Int32Array;
  /** The innermost level holds a whole step's A, B and C tiles, so they can stay pinned until the compute. */
  private readonly pinStep: boolean;
  private readonly pinnedNow: number[] = [];

  constructor(
    private readonly spec: HierarchySpec,
    private readonly sink: HierarchySink,
    private readonly nextUses: readonly (Float64Array | null)[],
    private readonly recordLevel: number,
  ) {
    this.L = spec.levels.length;
    this.rmw = (spec.cAccounting ?? "rmw") === "rmw";
    this.step = spec.nest.levels[spec.nest.levels.length - 1]!.tile;
    this.levels = spec.levels.map((lv, x) => {
      const own = lv.policy ?? "lru";
      // while recording MIN's stream at one level, the MIN levels above it (not yet known) run as LRU
      const policy = own === "min" && nextUses[x] === null ? "lru" : own;
      return new LevelState(lv, spec.nest.dims, spec.elementBytes, this.L - x, policy);
    });
    this.accessIndex = new Int32Array(this.L);
    this.consumer = new Int32Array(this.L).fill(-1);
    this.consumerRing = new Int32Array(this.L * 64).fill(-1);
    this.chains = new Int32Array(2 * this.L);
    const st = this.step;
    const d = spec.nest.dims;
    this.pinStep = tileSetBytes(st, spec.elementBytes, d) <= spec.levels[0]!.capacityBytes;
    this.linkLevels();
  }

  runAll(): void {
    forEachTileStep(this.spec.nest, (m, n, k, s) => {
      this.s = s;
      this.runStep(m, n, k);
    });
    this.flush();
  }

  nextUsesOfRecorded(): Float64Array {
    const ids = this.recorded;
    const out = new Float64Array(ids.length);
    const last = new Map<number, number>();
    // A tile never asked for again ranks after every real next use, the larger id first (a deterministic tie-break).
    for (let i = ids.length - 1; i >= 0; i--) {
      out[i] = last.get(ids[i]!) ?? ids.length + ids[i]!;
      last.set(ids[i]!, i);
    }
    return out;
  }

  traffic(): HierarchyTraffic {
    return {
      steps: nestStepCount(this.spec.nest),
      levels: this.levels.map((l) => ({
        name: l.spec.name,
        capacityBytes: l.spec.capacityBytes,
        fillBytes: [l.fill[0]!, l.fill[1]!, l.fill[2]!],
        writeBackBytes: [l.writeBack[0]!, l.writeBack[1]!, l.writeBack[2]!],
        requests: [l.requests[0]!, l.requests[1]!, l.requests[2]!],
        hits: [l.hits[0]!, l.hits[1]!, l.hits[2]!],
        evictions: l.evictions,
        peakBytes: l.peak,
      })),
    };
  }

  /** For every tile of a level, the id of the tile that holds it at the level above. */
  private linkLevels(): void {
    for (let x = 0; x + 1 < this.L; x++) {
      const lv = this.levels[x]!;
      const upper = this.levels[x + 1]!;
      const t = lv.spec.tile;
      const T = upper.spec.tile;
      for (let id = 0; id < lv.tiles; id++) {
        const u = lv.u[id]!;
        const v = lv.v[id]!;
        let up: number;
        if (id < lv.offB) up = Math.floor((u * t.m) / T.m) * upper.kt + Math.floor((v * t.k) / T.k);
        else if (id < lv.offC) up = upper.offB + Math.floor((u * t.k) / T.k) * upper.nt + Math.floor((v * t.n) / T.n);
        else up = upper.offC + Math.floor((u * t.m) / T.m) * upper.nt + Math.floor((v * t.n) / T.n);
        lv.up[id] = up;
      }
    }
  }

  private runStep(m: number, n: number, k: number): void {
    // the innermost level holds the step tiles: their ids follow from the step's tile indices
    const l0 = this.levels[0]!;
    this.computeDeps.length = 0;
    const a = this.read(0, m * l0.kt + k);
    this.useAtFabric(a, 0);
    const b = this.read(0, l0.offB + k * l0.nt + n);
    this.useAtFabric(b, this.L);
    const cId = l0.offC + m * l0.nt + n;
    const touchC = this.rmw || l0.touched[cId] === 0;
    let c = -1;
    if (touchC && l0.touched[cId] === 0) c = this.allocateFresh(cId);
    else if (touchC) {
      c = this.read(0, cId);
      this.useAtFabric(c, -1);
    }
    l0.touched[cId] = 1;
    const f = this.sink.compute(this.s, m, n, k, this.chains);
    for (let x = 0; x < this.computeDeps.length; x += 2) this.sink.require(this.computeDeps[x]!, this.computeDeps[x + 1]!);
    this.finishCompute(f, a, b, c, cId, touchC);
    this.consumer[0] = f;
    for (let x = 0; x < this.L; x++) this.consumerRing[x * 64 + (this.s & 63)] = this.consumer[x]!;
  }

  /**
   * The fabric will read this tile at the innermost level: its compute waits for the copy's data, and the tile is
   * pinned until then (when the level holds a whole step) so that a later load of the same step cannot evict it.
   */
  private useAtFabric(id: number, chainAt: number): void {
    const l0 = this.levels[0]!;
    this.computeDeps.push(id >= 0 ? l0.writer[id]! : (this.streamChain[0] ?? -1), DEP_DATA);
    if (id >= 0 && this.pinStep) {
      l0.policy.pinned[id] = 1;
      this.pinnedNow.push(id);
    }
    if (chainAt < 0) return;
    for (let y = 0; y < this.L; y++) this.chains[chainAt + y] = id >= 0 ? l0.chain[id * this.L + y]! : (this.streamChain[y] ?? -1);
  }

  /** After the compute: it read A, B and C at the innermost level and produced C there (or streamed C out). */
  private finishCompute(f: number, a: number, b: number, c: number, cId: number, touchC: boolean): void {
    const l0 = this.levels[0]!;
    for (const id of this.pinnedNow) l0.policy.pinned[id] = 0;
    this.pinnedNow.length = 0;
    if (a >= 0) l0.lastReader[a] = f;
    if (b >= 0) l0.lastReader[b] = f;
    if (!touchC) return;
    if (c >= 0) {
      if (l0.allocTask[c]! < 0) l0.allocTask[c] = f;
      l0.lastReader[c] = f;
      l0.writer[c] = f;
      l0.dirty[c] = 1;
      return;
    }
    // C larger than the innermost level: the result streams straight out
    this.writeBackFrom(0, cId, f);
  }

  /** The chain of the last tile that streamed through (not cached), per level from the fabric out. */
  private readonly streamChain: number[] = [];

  private note(x: number, id: number): number {
    const i = this.accessIndex[x]!;
    this.accessIndex[x] = i + 1;
    if (x === this.recordLevel) this.recorded.push(id);
    const uses = this.nextUses[x];
    return uses === null || uses === undefined ? 0 : uses[i]!;
  }

  /** Counts a request for tile `id` at level x; on a hit refreshes it and returns -1, else returns its next use. */
  private request(x: number, id: number): number {
    const lv = this.levels[x]!;
    const t = lv.tensorOf(id);
    lv.requests[t]!++;
    const nextUse = this.note(x, id);
    if (lv.resident[id] !== 1) return nextUse;
    lv.hits[t]!++;
    lv.policy.touch(id, nextUse);
    return -1;
  }

  /**
   * A read of tile `id` at level x (by the fabric for x = 0, else by level x-1 on a miss). Returns the id when the tile
   * is (now) resident, or -1 when it streamed through (then `streamChain` holds its transfers).
   */
  private read(x: number, id: number): number {
    const lv = this.levels[x]!;
    const nextUse = this.request(x, id);
    if (nextUse < 0) return id;
    const bytes = lv.bytes[id]!;
    if (bytes > lv.spec.capacityBytes) {
      const src = this.fetchFromAbove(x, id);
      const load = this.emitLoad(x, id, src, null);
      const above = this.chainAbove(x, src);
      this.streamChain.length = 0;
      this.streamChain.push(load, ...above);
      return -1;
    }
    this.makeRoom(x, bytes);
    this.admit(x, id, nextUse);
    const src = this.fetchFromAbove(x, id);
    const load = this.emitLoad(x, id, src, lv);
    lv.writer[id] = load;
    this.recordChain(x, id, load, src);
    return id;
  }

  /** The chain of the copy now at level x: its load, then the chain of the source copy above (for injection timing). */
  private recordChain(x: number, id: number, load: number, src: number): void {
    const lv = this.levels[x]!;
    const depth = this.L - x;
    const base = id * depth;
    lv.chain[base] = load;
    if (depth === 1) return;
    if (src >= 0) {
      const up = this.levels[x + 1]!;
      const from = src * (depth - 1);
      for (let y = 1; y < depth; y++) lv.chain[base + y] = up.chain[from + y - 1]!;
    } else for (let y = 1; y < depth; y++) lv.chain[base + y] = this.streamChain[y - 1] ?? -1;
  }

  /** The transfers that brought the source copy (levels above x), for injection timing. */
  private chainAbove(x: number, src: number): number[] {
    if (x + 1 >= this.L) return [];
    if (src < 0) return [...this.streamChain];
    const up = this.levels[x + 1]!;
    const depth = up.chain.length / up.tiles;
    return Array.from(up.chain.subarray(src * depth, src * depth + depth));
  }

  /** The enclosing tile at level x+1 (read there), or -2 for DRAM. -1 means it streamed through level x+1. */
  private fetchFromAbove(x: number, id: number): number {
    if (x + 1 >= this.L) return -2;
    return this.read(x + 1, this.levels[x]!.up[id]!);
  }

  /** Emits the load into level x of tile `id` from its source; waits for the source's data, space and credit. */
  private emitLoad(x: number, id: number, src: number, into: LevelState | null): number {
    const lv = this.levels[x]!;
    const t = lv.tensorOf(id);
    const bytes = lv.bytes[id]!;
    const sourceWriter = src >= 0 ? this.levels[x + 1]!.writer[src]! : src === -1 ? (this.streamChain[0] ?? -1) : -1;
    const load = this.sink.transfer(TRANSFER_LOAD, x, t, lv.u[id]!, lv.v[id]!, bytes, this.s);
    this.sink.require(sourceWriter, DEP_DATA);
    if (into !== null) {
      this.sink.require(into.freedReader, DEP_SPACE);
      this.sink.require(into.freedWriteBack, DEP_SPACE);
      if (into.allocTask[id]! < 0) into.allocTask[id] = load;
    }
    const d = this.spec.levels[x]!.buffers ?? 1;
    if (this.s - d >= 0) this.sink.require(this.consumerRing[x * 64 + ((this.s - d) & 63)]!, DEP_SPACE);
    lv.fill[t]! += bytes;
    if (src >= 0) this.levels[x + 1]!.lastReader[src] = load;
    if (x + 1 < this.L) this.consumer[x + 1] = load;
    return load;
  }

  /** Allocates a C tile at the innermost level on its first touch: no data to fetch, but the space must be free. */
  private allocateFresh(id: number): number {
    const lv = this.levels[0]!;
    lv.requests[TENSOR_C]!++;
    const nextUse = this.note(0, id);
    const bytes = lv.bytes[id]!;
    if (bytes > lv.spec.capacityBytes) return -1;
    this.makeRoom(0, bytes);
    this.admit(0, id, nextUse);
    this.computeDeps.push(lv.freedReader, DEP_SPACE, lv.freedWriteBack, DEP_SPACE);
    if (this.pinStep) {
      lv.policy.pinned[id] = 1;
      this.pinnedNow.push(id);
    }
    return id;
  }

  private admit(x: number, id: number, nextUse: number): void {
    const lv = this.levels[x]!;
    lv.resident[id] = 1;
    lv.dirty[id] = 0;
    lv.writer[id] = -1;
    lv.lastReader[id] = -1;
    lv.allocTask[id] = -1;
    lv.policy.insert(id, nextUse);
    lv.used += lv.bytes[id]!;
    if (lv.used > lv.peak) lv.peak = lv.used;
  }

  /** Evicts victims at level x until `bytes` more fit, writing dirty ones back to the level above. */
  private makeRoom(x: number, bytes: number): void {
    const lv = this.levels[x]!;
    while (lv.used + bytes > lv.spec.capacityBytes) {
      const victim = lv.policy.victim();
      if (victim < 0) throw new KpuError("KPU_HIERARCHY_FULL", `level ${lv.spec.name} has no tile it may evict`, { where: `levels.${lv.spec.name}`, hint: "This is a bug in the engine; please report it." });
      lv.policy.remove(victim);
      lv.resident[victim] = 0;
      lv.used -= lv.bytes[victim]!;
      lv.evictions++;
      if (lv.lastReader[victim]! > lv.freedReader) lv.freedReader = lv.lastReader[victim]!;
      let wb = -1;
      if (lv.dirty[victim] === 1) {
        wb = this.writeBackFrom(x, victim, lv.writer[victim]!);
        if (wb > lv.freedWriteBack) lv.freedWriteBack = wb;
      }
      lv.dirty[victim] = 0;
      this.sink.residency?.(x, lv.bytes[victim]!, lv.allocTask[victim]!, [lv.lastReader[victim]!, wb], true);
    }
  }

  /**
   * Writes `bytes` of tile `id` of level x (its data produced by `writer`; the whole tile unless it is passing through
   * from a smaller tile below) into level x+1 or DRAM; returns the write-back.
   */
  private writeBackFrom(x: number, id: number, writer: number, bytes = this.levels[x]!.bytes[id]!): number {
    const lv = this.levels[x]!;
    const t = lv.tensorOf(id);
    lv.writtenOut[id] = 1;
    const target = x + 1 < this.L ? this.writeInto(x + 1, lv.up[id]!, bytes) : -2;
    const wb = this.sink.transfer(TRANSFER_WRITEBACK, x, t, lv.u[id]!, lv.v[id]!, bytes, this.s);
    this.sink.require(writer, DEP_DATA);
    lv.writeBack[t]! += bytes;
    if (target === -2) return wb;
    const up = this.levels[x + 1]!;
    if (target === -1) {
      // the data passes level x+1 on to the level above it
      this.writeBackFrom(x + 1, lv.up[id]!, wb, bytes);
      return wb;
    }
    this.sink.require(up.lastReader[target]!, DEP_SPACE);
    this.sink.require(up.freedReader, DEP_SPACE);
    this.sink.require(up.freedWriteBack, DEP_SPACE);
    this.sink.require(up.writer[target]!, DEP_DATA); // the copy being overwritten comes first
    up.writer[target] = wb;
    up.dirty[target] = 1;
    if (up.allocTask[target]! < 0) up.allocTask[target] = wb;
    return wb;
  }

  /**
   * `bytes` written back into tile `id` of level x: a hit updates the copy; a miss allocates it, except when the
   * tile is larger than the level, or when the write covers only part of a tile that has left this level before (its
   * other parts live above): then the data passes on (returns -1) rather than fetching the rest to merge.
   */
  private writeInto(x: number, id: number, bytes: number): number {
    const lv = this.levels[x]!;
    const nextUse = this.request(x, id);
    if (nextUse < 0) return id;
    const tileBytes = lv.bytes[id]!;
    if (tileBytes > lv.spec.capacityBytes || (bytes < tileBytes && lv.writtenOut[id] === 1)) {
      lv.writtenOut[id] = 1;
      return -1;
    }
    this.makeRoom(x, tileBytes);
    this.admit(x, id, nextUse);
    return id;
  }

  /** The end: dirty tiles go up level by level (in tile-id order), so every result reaches DRAM. */
  private flush(): void {
    for (let x = 0; x < this.L; x++) {
      const lv = this.levels[x]!;
      for (let id = 0; id < lv.tiles; id++) {
        if (lv.resident[id] !== 1 || lv.dirty[id] !== 1) continue;
        lv.dirty[id] = 0;
        this.writeBackFrom(x, id, lv.writer[id]!);
      }
    }
    if (this.sink.residency === undefined) return;
    this.levels.forEach((lv, x) => {
      for (let id = 0; id < lv.tiles; id++) if (lv.resident[id] === 1) this.sink.residency!(x, lv.bytes[id]!, lv.allocTask[id]!, [], false);
    });
  }
}
