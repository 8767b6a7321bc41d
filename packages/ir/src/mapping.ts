import { z } from "zod";
import { KpuError } from "./errors.js";
import { parseJsonDocument } from "./json-document.js";
import { NEST_ORDERS, validateNest, type NestOrder, type TileNest } from "./nest.js";
import type { TileShape } from "./tile.js";

/**
 * The mapping contract (`kpu.mapping`): how one matmul C[M,N] = A[M,K] x B[K,N] runs on the KPU, kept apart from the
 * problem (M, N, K) and the hardware (capacities, bandwidths), as Timeloop keeps mapping, problem and architecture
 * apart. Per on-chip level, outermost first: the tile it holds, the order its tiles are visited in, its buffering
 * depth and its replacement policy; the split of C over compute tiles; the fabric's dataflow and array fold.
 */
export const MAPPING_SCHEMA_VERSION = 1;
export const MAPPING_LEVELS = ["l3", "l2", "l1"] as const;
export type MappingLevelName = (typeof MAPPING_LEVELS)[number];
export const REPLACEMENT_POLICIES = ["lru", "fifo", "min"] as const;
export type ReplacementPolicyName = (typeof REPLACEMENT_POLICIES)[number];
export const DATAFLOWS = ["os", "ws", "is"] as const;
export type Dataflow = (typeof DATAFLOWS)[number];

/**
 * The tile-level dataflow strategies, as named loop orders (outermost first): weight-stationary walks k, then m, then
 * n (A[i,k] constant across the inner loop), input-stationary k, n, m (B[k,j] constant), output-stationary m, n, k
 * (C[i,j] constant while k runs).
 */
export const STRATEGIES = ["ws", "is", "os"] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const STRATEGY_ORDER: Readonly<Record<Strategy, NestOrder>> = { ws: "kmn", is: "knm", os: "mnk" };

export interface LevelMapping {
  readonly tile: TileShape;
  readonly order: NestOrder;
  /** Steps of tiles the level may hold ahead of its consumer: 1 = no overlap, 2 = double buffering. */
  readonly buffers: number;
  readonly policy: ReplacementPolicyName;
}

export interface Mapping {
  readonly kind: "kpu.mapping";
  readonly schemaVersion: typeof MAPPING_SCHEMA_VERSION;
  /** The preset the mapping was built from, when it was (informational). */
  readonly strategy?: Strategy;
  readonly levels: Readonly<Record<MappingLevelName, LevelMapping>>;
  /** C is split into rows x cols blocks, one per compute tile; with multicast a grid row shares A, a column B. */
  readonly grid: { readonly rows: number; readonly cols: number; readonly multicast: boolean };
  /** The array fold: the fabric computes an L1 step in folds of at most rows x cols PEs. */
  readonly fabric: { readonly dataflow: Dataflow; readonly rows: number; readonly cols: number };
}

const positive = z.number().int().positive();
const tile = z.object({ m: positive, n: positive, k: positive }).strict();
const level = z
  .object({
    tile,
    order: z.enum(NEST_ORDERS),
    buffers: z.number().int().min(1).max(64).default(1),
    policy: z.enum(REPLACEMENT_POLICIES).default("lru"),
  })
  .strict();

export const mappingJsonSchema = z
  .object({
    kind: z.literal("kpu.mapping"),
    schemaVersion: z.literal(MAPPING_SCHEMA_VERSION),
    strategy: z.enum(STRATEGIES).optional(),
    levels: z.object({ l3: level, l2: level, l1: level }).strict(),
    grid: z.object({ rows: positive, cols: positive, multicast: z.boolean().default(false) }).strict(),
    fabric: z.object({ dataflow: z.enum(DATAFLOWS), rows: positive, cols: positive }).strict(),
  })
  .strict();

/** A mapping from a named strategy: every level holds `tile` and walks it in the strategy's order. */
export function strategyMapping(
  strategy: Strategy,
  tile: TileShape,
  options: {
    readonly buffers?: Partial<Record<MappingLevelName, number>>;
    readonly grid?: Mapping["grid"];
    readonly fabric: Mapping["fabric"];
    readonly policy?: ReplacementPolicyName;
  },
): Mapping {
  const order = STRATEGY_ORDER[strategy];
  const at = (name: MappingLevelName): LevelMapping => ({ tile, order, buffers: options.buffers?.[name] ?? 1, policy: options.policy ?? "lru" });
  return {
    kind: "kpu.mapping",
    schemaVersion: MAPPING_SCHEMA_VERSION,
    strategy,
    levels: { l3: at("l3"), l2: at("l2"), l1: at("l1") },
    grid: options.grid ?? { rows: 1, cols: 1, multicast: false },
    fabric: options.fabric,
  };
}

/** The loop nest of one compute tile's block of C under a mapping (L3 tiles outermost, L1 step tiles innermost). */
export function mappingNest(mapping: Mapping, block: TileShape): TileNest {
  const l = mapping.levels;
  return { dims: block, levels: [l.l3, l.l2, l.l1].map((x) => ({ tile: x.tile, order: x.order })) };
}

/** The one A/B/C footprint: bytes of one A, B and C tile of `tile` together, each edge clipped to `within` if given. */
export function tileSetBytes(tile: TileShape, elementBytes: number, within?: TileShape): number {
  const m = within === undefined ? tile.m : Math.min(tile.m, within.m);
  const n = within === undefined ? tile.n : Math.min(tile.n, within.n);
  const k = within === undefined ? tile.k : Math.min(tile.k, within.k);
  return (m * k + k * n + m * n) * elementBytes;
}

export interface MappingFit {
  /** Per-compute-tile capacity of each level in bytes. */
  readonly capacityBytes: Readonly<Record<MappingLevelName, number>>;
  readonly elementBytes: number;
  /** The largest block of C a compute tile gets. */
  readonly block: TileShape;
  readonly computeTiles?: number;
  readonly array?: { readonly rows: number; readonly cols: number };
}

/**
 * Checks that a mapping nests (each level's tile divides the one around it) and fits: each level holds `buffers`
 * sets of its A, B and C tiles; the grid has no more blocks than compute tiles; the fold fits the array. Errors name
 * the field and, for capacity, the level and the bytes missing.
 */
export function validateMapping(mapping: Mapping, fit: MappingFit, where = "mapping"): void {
  // `where` is a path prefix ("mapping") or a file ("m.json:"), to which the field is appended
  const field = (path: string): string => (where.endsWith(":") ? `${where}${path}` : `${where}.${path}`);
  validateNest(mappingNest(mapping, fit.block), field("levels"), MAPPING_LEVELS);
  for (const name of MAPPING_LEVELS) {
    const lv = mapping.levels[name];
    const need = lv.buffers * tileSetBytes(lv.tile, fit.elementBytes, fit.block);
    const have = fit.capacityBytes[name];
    if (need > have) {
      throw new KpuError("KPU_MAPPING_DOES_NOT_FIT", `${name} needs ${need} bytes for ${lv.buffers} set(s) of ${lv.tile.m}x${lv.tile.n}x${lv.tile.k} tiles but holds ${have} per compute tile (${need - have} bytes short)`, {
        where: field(`levels.${name}`),
        hint: "Use smaller tiles at this level, fewer buffers, or hardware with a larger level.",
      });
    }
  }
  const { rows, cols } = mapping.grid;
  if (fit.computeTiles !== undefined && rows * cols > fit.computeTiles) {
    throw new KpuError("KPU_MAPPING_DOES_NOT_FIT", `a ${rows}x${cols} grid needs ${rows * cols} compute tiles; the hardware has ${fit.computeTiles}`, {
      where: field("grid"),
      hint: "Use a grid with at most as many blocks as compute tiles.",
    });
  }
  if (fit.array !== undefined && (mapping.fabric.rows > fit.array.rows || mapping.fabric.cols > fit.array.cols)) {
    throw new KpuError("KPU_MAPPING_DOES_NOT_FIT", `a ${mapping.fabric.rows}x${mapping.fabric.cols} fold does not fit the ${fit.array.rows}x${fit.array.cols} array`, {
      where: field("fabric"),
      hint: "The fold is at most the array's rows and columns.",
    });
  }
}

/** Parses a `kpu.mapping` JSON document; errors name the field (`mapping.json:levels.l2.tile.m`). */
export function parseMapping(text: string, source = "<mapping>"): Mapping {
  return parseJsonDocument(text, source, {
    kind: "kpu.mapping",
    version: MAPPING_SCHEMA_VERSION,
    schema: mappingJsonSchema,
    versionHint: "Write the mapping again with this version of kpu (kpu sim ... --emit-mapping).",
    formatHint: "See the kpu.mapping format in the @kpu/ir README; `kpu sim ... --emit-mapping m.json` writes one to start from.",
  }) as Mapping;
}

export function mappingToJson(mapping: Mapping): object {
  return mapping;
}
