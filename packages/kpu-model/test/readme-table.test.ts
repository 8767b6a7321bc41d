import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { hardwarePreset, simulateMatmul, type SimReport } from "@kpu/kpu-model";

/**
 * The README's numbers, derived: its first code block (edge-ai 1024^3 OS, 2 buffers) and every cell of the "1024 x 1024
 * x 1024 (fp32), buffers 1 vs 2" table are recomputed with the public API. Changing the model without updating the
 * README (or the README without the model) fails here.
 */
const README = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
const MiB = 1024 * 1024;

interface Row {
  readonly cells: readonly string[];
  readonly hardware: string;
  readonly strategy: "ws" | "is" | "os";
}

function tableRows(): Row[] {
  const at = README.indexOf("1024 x 1024 x 1024 (fp32), buffers 1 vs 2");
  expect(at).toBeGreaterThan(0);
  const lines = README.slice(at).split("\n");
  const start = lines.findIndex((l) => l.startsWith("| hardware | strategy | tiles |"));
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    rows.push({ cells, hardware: cells[0]!, strategy: cells[1]!.toLowerCase() as Row["strategy"] });
  }
  return rows;
}

const int = (n: number): string => n.toLocaleString("en-US");
const pct = (f: number): string => `${(100 * f).toFixed(1)}%`;
const mib = (b: number): string => (b / MiB).toFixed(1);
const level = (r: SimReport, name: string) => r.levels.find((l) => l.level === name)!;

/** A row of the table, as the README prints it, from three simulations. */
function derive(row: Row): string[] {
  const hardware = hardwarePreset(row.hardware);
  const base = { hardware, m: 1024, n: 1024, k: 1024, strategy: row.strategy } as const;
  const two = simulateMatmul({ ...base, buffers: 2 }).report;
  const tiles = two.tiles;
  const one = simulateMatmul({ ...base, buffers: 1, tiles }).report;
  const dram = level(two, "dram");
  const single = two.activeComputeTiles === 1;
  const noMc = single ? undefined : simulateMatmul({ ...base, buffers: 2, tiles, multicast: false }).report;
  return [
    row.hardware,
    row.strategy.toUpperCase(),
    `${tiles.m}x${tiles.n}x${tiles.k}`,
    int(one.totalCycles),
    pct(one.fabricUtilisation),
    int(two.totalCycles),
    pct(two.fabricUtilisation),
    two.slowestMover,
    `${mib(dram.readBytes)} + ${mib(dram.writeBytes)}`,
    mib(level(two, "l3").readBytes),
    noMc === undefined ? "(one tile)" : `${int(noMc.totalCycles)} (${pct(noMc.fabricUtilisation)})`,
  ];
}

describe("packages/kpu-model/README.md", () => {
  const rows = tableRows();
  const derived = new Map<string, string[]>();
  beforeAll(() => {
    for (const row of rows) derived.set(row.cells.join("|"), derive(row));
  }, 120_000);

  it("the table has the seven rows it describes", () => {
    expect(rows.map((r) => `${r.hardware} ${r.strategy}`)).toEqual(["minimal ws", "minimal os", "edge-ai ws", "edge-ai is", "edge-ai os", "datacenter ws", "datacenter os"]);
  });

  it.each(rows.map((r) => [`${r.hardware} ${r.strategy}`, r] as const))("1024^3 table, %s: every cell recomputed", (_, row) => {
    expect(derived.get(row.cells.join("|"))).toEqual(row.cells);
  });

  it("the first code block: edge-ai 1024^3 OS with 2 buffers", () => {
    const block = /run\.report\.totalCycles; \/\/ ([\d,]+) fabric cycles \((\d+) us\); run\.report\.fabricUtilisation: ([\d.]+)/.exec(README);
    expect(block).not.toBeNull();
    const r = simulateMatmul({ hardware: hardwarePreset("edge-ai"), m: 1024, n: 1024, k: 1024, strategy: "os", buffers: 2 }).report;
    expect(int(r.totalCycles)).toBe(block![1]);
    expect(Math.round(r.timeNs / 1000).toString()).toBe(block![2]);
    expect(r.fabricUtilisation.toFixed(3)).toBe(block![3]);
  });
});
