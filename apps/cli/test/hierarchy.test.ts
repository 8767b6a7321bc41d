import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kpu } from "./helpers.js";

/**
 * The multi-level hierarchy through the CLI: `kpu sim` / `kpu timing` with `--mapping`, `--emit-mapping` and
 * `--no-multicast`, and `kpu l3 analyze` with an L2 in front of the L3 and the L3's replacement policy.
 */

const dir = mkdtempSync(join(tmpdir(), "kpu-hierarchy-"));

type LevelName = "dram" | "l3" | "l2" | "l1";
interface LevelReport {
  level: LevelName;
  readBytes: number;
  writeBytes: number;
}
interface Tile {
  m: number;
  n: number;
  k: number;
}
interface LevelMapping {
  tile: Tile;
  order: string;
  buffers: number;
  policy: string;
}
interface MappingDoc {
  kind: string;
  schemaVersion: number;
  strategy?: string;
  levels: Record<"l3" | "l2" | "l1", LevelMapping>;
  grid: { rows: number; cols: number; multicast: boolean };
  fabric: { dataflow: string; rows: number; cols: number };
}
interface SimDoc {
  m: number;
  n: number;
  k: number;
  totalCycles: number;
  steps: number;
  buffers: { l3: number; l2: number; l1: number };
  mapping: MappingDoc;
  shares: { m: number; n: number; k: number; count: number }[];
  levels: LevelReport[];
}
interface InjectionRow {
  step: number;
  aLeaveDram: number | null;
  aInL3: number | null;
  aInL2: number | null;
  aInL1: number | null;
  bLeaveDram: number | null;
  bInL3: number | null;
  bInL2: number | null;
  bInL1: number | null;
  inject: number;
  computeDone: number;
}
interface TimingDoc {
  steps: number;
  rows: InjectionRow[];
}

const PRESETS = ["minimal", "edge-ai", "datacenter"] as const;
const TILE_RULES = ["kpu-sim", "strategy"] as const;
const STRATEGIES = ["ws", "is", "os"] as const;
/** Held-out shapes: primes, nothing a power of two or a multiple of the tiles, tall, flat and long-K. */
const SHAPES: readonly (readonly [number, number, number])[] = [
  [97, 211, 130],
  [256, 256, 1000],
  [1000, 300, 77],
  [7, 13, 1031],
  [2048, 17, 3],
  [1, 1, 1],
  [61, 1031, 257],
  [4099, 67, 509],
];

const shapeArgs = (m: number, n: number, k: number) => ["--m", String(m), "--n", String(n), "--k", String(k)];

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

async function simJson(...args: string[]): Promise<SimDoc> {
  const r = await kpu("sim", ...args, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SimDoc;
}

async function timingJson(...args: string[]): Promise<TimingDoc> {
  const r = await kpu("timing", ...args, "--format", "json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as TimingDoc;
}

function level(doc: SimDoc, name: LevelName): LevelReport {
  const l = doc.levels.find((x) => x.level === name);
  expect(l, `level ${name} in the report`).toBeDefined();
  return l!;
}

/** The `error ...` lines of a failed run (the hint lines are indented). */
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("error "));

/** A copy of a mapping with `edit` applied. */
function edited(mapping: MappingDoc, edit: (m: MappingDoc) => void): MappingDoc {
  const copy = structuredClone(mapping);
  edit(copy);
  return copy;
}

/**
 * Every row's A and B chains run DRAM -> L3 -> L2 -> L1 -> inject -> done without going back in time. A null time
 * (no transfer) is allowed only when that column is null in every row; inject and done are always numbers.
 */
function checkChains(doc: TimingDoc, what: string): void {
  expect(doc.rows.length, `${what}: one row per step`).toBe(doc.steps);
  const nullPattern: Record<"a" | "b", string | undefined> = { a: undefined, b: undefined };
  for (const row of doc.rows) {
    expect(typeof row.inject === "number" && typeof row.computeDone === "number", `${what} step ${row.step}: inject and done`).toBe(true);
    for (const t of ["a", "b"] as const) {
      const chain = [row[`${t}LeaveDram`], row[`${t}InL3`], row[`${t}InL2`], row[`${t}InL1`], row.inject, row.computeDone];
      const pattern = chain.map((v) => (v === null ? "-" : "x")).join("");
      nullPattern[t] ??= pattern;
      expect(pattern, `${what} step ${row.step} ${t.toUpperCase()}: nulls only where every row has them`).toBe(nullPattern[t]);
      const times = chain.filter((v): v is number => v !== null);
      for (let i = 1; i < times.length; i++) {
        if (times[i]! < times[i - 1]!) {
          expect.fail(`${what} step ${row.step} ${t.toUpperCase()}: ${JSON.stringify(chain)} goes back in time (DRAM > L3 > L2 > L1 > inject > done)`);
        }
      }
    }
  }
}

/** Parses `kpu timing --format csv` (the tile label is the only quoted field; empty cells are null). */
function parseInjectionCsv(text: string): Record<string, number | string | null>[] {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header!.split(",");
  return lines.map((line) => {
    const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ""));
    const row: Record<string, number | string | null> = {};
    cols.forEach((c, i) => {
      const v = cells[i] ?? "";
      row[c] = v.startsWith('"') ? v.slice(1, -1) : v === "" ? null : Number(v);
    });
    return row;
  });
}

describe("kpu sim --mapping and --emit-mapping", () => {
  const base = ["--hw", "edge-ai", ...shapeArgs(97, 211, 130)];
  const emitted = join(dir, "m.json");

  it("simulates the emitted mapping to the identical report", async () => {
    const built = await simJson(...base, "--emit-mapping", emitted);
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    expect(mapping.kind).toBe("kpu.mapping");
    expect(mapping.schemaVersion).toBe(1);
    expect(mapping).toEqual(built.mapping);
    const read = await simJson(...base, "--mapping", emitted);
    expect(read.totalCycles).toBe(built.totalCycles);
    expect(read.levels).toEqual(built.levels);
    expect(read).toEqual(built);
    // and the injection schedule of `kpu timing` is the same step for step
    const t1 = await timingJson(...base);
    const t2 = await timingJson(...base, "--mapping", emitted);
    expect(t2.rows).toEqual(t1.rows);
  });

  it("follows an edit of the file: levels.l1.buffers 2 -> 1 changes the cycles", async () => {
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    expect(mapping.levels.l1.buffers).toBe(2);
    const before = await simJson(...base, "--mapping", emitted);
    const single = write("m-l1-single.json", edited(mapping, (m) => (m.levels.l1.buffers = 1)));
    const after = await simJson(...base, "--mapping", single);
    expect(after.buffers).toEqual({ ...before.buffers, l1: 1 });
    expect(after.mapping.levels.l1.buffers).toBe(1);
    expect(after.totalCycles).not.toBe(before.totalCycles);
    // no double buffering at L1 can only lose overlap; the bytes moved stay the same
    expect(after.totalCycles).toBeGreaterThan(before.totalCycles);
    expect(after.levels.map((l) => [l.level, l.readBytes, l.writeBytes])).toEqual(before.levels.map((l) => [l.level, l.readBytes, l.writeBytes]));
  });

  it("writes back the mapping it read (--mapping then --emit-mapping is a fixed point)", async () => {
    const again = join(dir, "m-again.json");
    await simJson(...base, "--mapping", emitted, "--emit-mapping", again);
    expect(JSON.parse(readFileSync(again, "utf8"))).toEqual(JSON.parse(readFileSync(emitted, "utf8")));
  });

  it("refuses an L1 tile that does not fit: one error line naming levels.l1 and the bytes short", async () => {
    // 512x512x512 tiles, clipped to the 64x64x200 block of each of edge-ai's two compute tiles: one set is
    // (64*200 + 200*64 + 64*64) * 4 = 118,784 bytes, so L3 (128 KiB) and L2 hold one; two at L1 need 237,568 of 196,608.
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    const big = edited(mapping, (m) => {
      for (const l of ["l3", "l2", "l1"] as const) m.levels[l] = { ...m.levels[l], tile: { m: 512, n: 512, k: 512 }, buffers: 1 };
      m.levels.l1.buffers = 2;
    });
    const r = await kpu("sim", "--hw", "edge-ai", ...shapeArgs(64, 128, 200), "--mapping", write("m-big.json", big), "--json");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/levels\.l1\b/);
    expect(lines[0]).toMatch(/\b40960 bytes short\b/);
    expect(r.stderr).toMatch(/hint: /);
  });

  it("writes no mapping file when the simulation refuses the mapping", async () => {
    const never = join(dir, "never-emitted.json");
    const r = await kpu("sim", "--hw", "edge-ai", ...shapeArgs(512, 512, 512), "--tiles", "512,512,512", "--emit-mapping", never);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KPU_HW_BUFFER_TOO_SMALL at edge-ai:mapping\.levels\.l3: .*bytes short/);
    expect(existsSync(never)).toBe(false);
  });

  it("refuses a mapping of another schema version, naming the version", async () => {
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    const r = await kpu("sim", ...base, "--mapping", write("m-v9.json", { ...mapping, schemaVersion: 9 }));
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/KPU_SCHEMA_VERSION at .*m-v9\.json/);
    expect(r.stderr).toMatch(/schemaVersion 9/);
    expect(r.stderr).toMatch(/version 1\b/);
  });

  it("refuses a typo'd field, naming its path in the file", async () => {
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    // an unknown extra key
    const extra = edited(mapping, (m) => ((m.levels.l2 as unknown as Record<string, unknown>).bufers = 2));
    const r1 = await kpu("sim", ...base, "--mapping", write("m-typo-extra.json", extra));
    expect(r1.code).toBe(2);
    expect(errorLines(r1.stderr)).toHaveLength(1);
    expect(r1.stderr).toMatch(/KPU_SCHEMA at .*m-typo-extra\.json:levels\.l2\b/);
    expect(r1.stderr).toMatch(/bufers/);
    // a required key spelt wrong: the missing field is named
    const renamed = edited(mapping, (m) => {
      const l2 = m.levels.l2 as unknown as Record<string, unknown>;
      l2.tiel = l2.tile;
      delete l2.tile;
    });
    const r2 = await kpu("sim", ...base, "--mapping", write("m-typo-renamed.json", renamed));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/KPU_SCHEMA at .*m-typo-renamed\.json:levels\.l2\.(tile|tiel)\b/);
    // a wrong type deep in the file
    const wrongType = edited(mapping, (m) => ((m.fabric as unknown as Record<string, unknown>).rows = "16"));
    const r3 = await kpu("sim", ...base, "--mapping", write("m-typo-type.json", wrongType));
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/KPU_SCHEMA at .*m-typo-type\.json:fabric\.rows\b/);
  });

  it("refuses a mapping that does not nest (L2 tile m 48 inside an L3 tile m 64): KPU_BAD_NEST", async () => {
    const mapping = JSON.parse(readFileSync(emitted, "utf8")) as MappingDoc;
    expect(mapping.levels.l3.tile.m).toBe(64);
    const broken = edited(mapping, (m) => {
      m.levels.l2.tile.m = 48;
      m.levels.l1.tile.m = 48;
    });
    const r = await kpu("sim", ...base, "--mapping", write("m-nest.json", broken));
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/KPU_BAD_NEST/);
    // the L2 level (index 1 from the outside, or by name) and the dimension
    expect(r.stderr).toMatch(/levels(\[1\]|\.l2)\.tile\.m\b/);
    expect(r.stderr).toMatch(/\b48\b.*\b64\b/);
  });

  it("refuses flags that the mapping file replaces instead of ignoring them", async () => {
    for (const extra of [["--strategy", "ws"], ["--tiles", "16,16,16"], ["--buffers", "1"], ["--dataflow", "ws"], ["--tile-rule", "strategy"]]) {
      const r = await kpu("sim", ...base, "--mapping", emitted, ...extra);
      expect(r.code, extra.join(" ")).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`KPU_USAGE at ${extra[0]!}`));
    }
    const t = await kpu("timing", ...base, "--mapping", emitted, "--tiles", "16,16,16");
    expect(t.code).toBe(2);
  });

  it("applies --no-multicast to a mapping file's grid", async () => {
    const withFile = await simJson(...base, "--mapping", emitted, "--no-multicast");
    const fromFlags = await simJson(...base, "--no-multicast");
    expect(withFile.mapping.grid.multicast).toBe(false);
    expect(withFile).toEqual(fromFlags);
  });

  it("refuses --mapping and --emit-mapping with --schedule (a schedule has no mapping)", async () => {
    const compiled = join(dir, "sched.json");
    const c = await kpu("compile", "--example", "mlp", "--emit", "schedule", "--out", compiled);
    expect(c.code).toBe(0);
    const r1 = await kpu("sim", "--schedule", compiled, "--emit-mapping", join(dir, "never.json"));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/KPU_USAGE at --emit-mapping/);
    const r2 = await kpu("sim", "--schedule", compiled, "--mapping", emitted);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/KPU_USAGE at --mapping/);
  });
});

describe("acceptance: every preset x tile rule x strategy on held-out shapes", () => {
  describe.each(PRESETS)("%s", (hw) => {
    it.each(TILE_RULES.flatMap((rule) => STRATEGIES.map((s) => [rule, s] as const)))("--tile-rule %s --strategy %s", async (rule, strategy) => {
      for (const [m, n, k] of SHAPES) {
        const args = ["--hw", hw, ...shapeArgs(m, n, k), "--tile-rule", rule, "--strategy", strategy];
        const what = `${hw} ${rule} ${strategy} ${m}x${n}x${k}`;
        const sim = await simJson(...args);
        expect(sim.mapping.strategy, what).toBe(strategy);
        const dram = level(sim, "dram");
        const l3 = level(sim, "l3");
        // DRAM -> L3 reads never exceed L3 -> L2 reads (each level holds the same tiles), and A and B are read at least once
        expect(dram.readBytes, `${what}: DRAM reads <= L3 -> L2 reads`).toBeLessThanOrEqual(l3.readBytes);
        expect(dram.readBytes, `${what}: A and B read at least once`).toBeGreaterThanOrEqual((m * k + k * n) * 4);
        // C is written to DRAM at least once
        expect(dram.writeBytes, `${what}: C written`).toBeGreaterThanOrEqual(m * n * 4);
        const timing = await timingJson(...args);
        expect(timing.steps, what).toBe(sim.steps);
        checkChains(timing, what);
      }
    });
  });

  it("a hand-written multi-level mapping (a tile, order, policy and depth per level) keeps the timing chain", async () => {
    const mapping: MappingDoc = {
      kind: "kpu.mapping",
      schemaVersion: 1,
      levels: {
        l3: { tile: { m: 96, n: 64, k: 32 }, order: "mnk", buffers: 2, policy: "lru" },
        l2: { tile: { m: 48, n: 64, k: 32 }, order: "kmn", buffers: 1, policy: "min" },
        l1: { tile: { m: 16, n: 16, k: 32 }, order: "knm", buffers: 3, policy: "fifo" },
      },
      grid: { rows: 2, cols: 1, multicast: false },
      fabric: { dataflow: "ws", rows: 8, cols: 16 },
    };
    const file = write("m-multi.json", mapping);
    for (const [m, n, k] of [[97, 211, 130], [1000, 300, 77]] as const) {
      const args = ["--hw", "edge-ai", ...shapeArgs(m, n, k), "--mapping", file];
      const sim = await simJson(...args);
      expect(sim.mapping).toEqual(mapping);
      // a partial C write-back to a tile that left L3 passes on to DRAM (no whole-tile fetch to merge)
      expect(level(sim, "dram").readBytes).toBeLessThanOrEqual(level(sim, "l3").readBytes);
      const timing = await timingJson(...args);
      expect(timing.steps).toBe(sim.steps);
      checkChains(timing, `multi-level mapping ${m}x${n}x${k}`);
    }
  });

  it("the CSV schedule holds the same rows as the JSON one", async () => {
    const args = ["--hw", "edge-ai", ...shapeArgs(97, 211, 130), "--strategy", "ws", "--tile-rule", "strategy"];
    const r = await kpu("timing", ...args, "--format", "csv");
    expect(r.code).toBe(0);
    const csv = parseInjectionCsv(r.stdout);
    const json = await timingJson(...args);
    expect(csv).toHaveLength(json.rows.length);
    expect(csv).toEqual(json.rows);
  });
});

describe("kpu sim --no-multicast", () => {
  it("datacenter 2048x2048x512: more DRAM reads and no fewer cycles without multicast; on-chip traffic unchanged", async () => {
    const args = ["--hw", "datacenter", ...shapeArgs(2048, 2048, 512)];
    const mc = await simJson(...args);
    const solo = await simJson(...args, "--no-multicast");
    expect(mc.mapping.grid.multicast).toBe(true);
    expect(solo.mapping.grid.multicast).toBe(false);
    expect(mc.mapping.grid.rows * mc.mapping.grid.cols).toBeGreaterThan(1);
    expect(level(mc, "dram").readBytes).toBeGreaterThanOrEqual((2048 * 512 + 512 * 2048) * 4);
    expect(level(solo, "dram").readBytes).toBeGreaterThan(level(mc, "dram").readBytes);
    expect(solo.totalCycles).toBeGreaterThanOrEqual(mc.totalCycles);
    // multicast changes who reads DRAM, not what each compute tile moves on chip or writes back
    expect(level(solo, "dram").writeBytes).toBe(level(mc, "dram").writeBytes);
    const moved = (doc: SimDoc, l: LevelName) => [l, level(doc, l).readBytes, level(doc, l).writeBytes];
    for (const l of ["l3", "l2", "l1"] as const) expect(moved(solo, l)).toEqual(moved(mc, l));
  });
});

interface TensorTraffic {
  readBytes: number;
  writeBytes: number;
  requests: number;
  hits: number;
}
interface AnalyzeResult {
  strategy: string;
  l3Bytes: number;
  dramReadBytes: number;
  tensors: Record<"a" | "b" | "c", TensorTraffic>;
}
interface L2Traffic {
  name: string;
  capacityBytes: number;
  fillBytes: [number, number, number];
  writeBackBytes: [number, number, number];
  requests: [number, number, number];
  hits: [number, number, number];
}
interface AnalyzeDoc {
  workloads: {
    results: AnalyzeResult[];
    withL2?: { l2Bytes: number; policy: string; results: (AnalyzeResult & { l2: L2Traffic })[] };
  }[];
}

async function analyze(...args: string[]): Promise<AnalyzeDoc> {
  const r = await kpu("l3", "analyze", ...args, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as AnalyzeDoc;
}

describe("kpu l3 analyze --l2 and --l3-policy", () => {
  it.each(["lru", "min"])("an L2 (%s) sees the fabric's full request stream; the L3 behind it sees only the L2's misses", async (policy) => {
    const doc = await analyze(...shapeArgs(512, 512, 512), "--l3", "256KiB,1MiB", "--l2", "64KiB", "--l2-policy", policy);
    const w = doc.workloads[0]!;
    expect(w.withL2).toBeDefined();
    expect(w.withL2!.l2Bytes).toBe(64 * 1024);
    expect(w.withL2!.policy).toBe(policy);
    const withL2 = w.withL2!.results;
    expect(withL2.map((r) => r.strategy).sort()).toEqual(["is", "is", "os", "os", "ws", "ws"]);
    for (const r of withL2) {
      const plain = w.results.find((x) => x.strategy === r.strategy && x.l3Bytes === r.l3Bytes);
      expect(plain, `${r.strategy} @ ${r.l3Bytes}`).toBeDefined();
      expect(r.l2.name).toBe("l2");
      expect(r.l2.capacityBytes).toBe(64 * 1024);
      const t = plain!.tensors;
      expect(r.l2.requests, `${r.strategy} @ ${r.l3Bytes}: L2 requests = the L3-only run's`).toEqual([t.a.requests, t.b.requests, t.c.requests]);
      for (const [i, name] of [[0, "a"], [1, "b"]] as const) {
        expect(r.l2.hits[i]).toBeLessThanOrEqual(r.l2.requests[i]);
        // A and B reach the L3 only when the L2 misses (no write-backs of inputs)
        expect(r.tensors[name].requests, `${r.strategy} @ ${r.l3Bytes}: L3 ${name} requests = L2 ${name} misses`).toBe(r.l2.requests[i] - r.l2.hits[i]);
        expect(r.l2.writeBackBytes[i]).toBe(0);
      }
      // everything the L2 writes back lands in the L3 and, in the end, in DRAM
      expect(r.tensors.c.writeBytes).toBeGreaterThanOrEqual(512 * 512 * 4);
      expect(r.l2.writeBackBytes[2]).toBeGreaterThanOrEqual(512 * 512 * 4);
    }
  });

  it("Belady's MIN at the L3 never reads more A or B from DRAM than LRU", async () => {
    for (const [m, n, k] of [[512, 512, 512], [97, 211, 130], [1000, 300, 77], [61, 1031, 257], [256, 256, 1000]] as const) {
      const sizes = ["--l3", "64KiB,256KiB,1MiB"];
      const lru = await analyze(...shapeArgs(m, n, k), ...sizes, "--l3-policy", "lru");
      const min = await analyze(...shapeArgs(m, n, k), ...sizes, "--l3-policy", "min");
      const plain = await analyze(...shapeArgs(m, n, k), ...sizes);
      expect(lru.workloads[0]!.results).toEqual(plain.workloads[0]!.results); // lru is the default
      const minResults = min.workloads[0]!.results;
      expect(minResults).toHaveLength(9);
      for (const r of minResults) {
        const l = lru.workloads[0]!.results.find((x) => x.strategy === r.strategy && x.l3Bytes === r.l3Bytes)!;
        const what = `${m}x${n}x${k} ${r.strategy} @ ${r.l3Bytes}`;
        // the same request stream reaches the L3 whatever its policy
        expect([r.tensors.a.requests, r.tensors.b.requests, r.tensors.c.requests], what).toEqual([l.tensors.a.requests, l.tensors.b.requests, l.tensors.c.requests]);
        expect(r.tensors.a.readBytes, `${what}: A`).toBeLessThanOrEqual(l.tensors.a.readBytes);
        expect(r.tensors.b.readBytes, `${what}: B`).toBeLessThanOrEqual(l.tensors.b.readBytes);
        expect(r.tensors.a.readBytes, `${what}: A at least once`).toBeGreaterThanOrEqual(m * k * 4);
      }
    }
  });

  const bad: [string, string[], RegExp][] = [
    ["unknown L3 policy", ["--l3-policy", "belady"], /KPU_BAD_FLAG at --l3-policy: "belady"/],
    ["unknown L2 policy", ["--l2", "64KiB", "--l2-policy", "plru"], /KPU_BAD_FLAG at --l2-policy: "plru"/],
    ["L2 size without a unit", ["--l2", "64"], /KPU_BAD_SIZE at --l2/],
    ["an L2 policy without an L2", ["--l2-policy", "min"], /KPU_USAGE at --l2-policy/],
    ["an L2 with the kpu-sim model", ["--l2", "64KiB", "--model", "kpu-sim"], /KPU_USAGE at --model/],
  ];
  it.each(bad)("%s: exit 2 naming the flag", async (_name, args, pattern) => {
    const r = await kpu("l3", "analyze", ...shapeArgs(512, 512, 512), "--l3", "256KiB", ...args, "--json");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/hint: /);
  });
});
