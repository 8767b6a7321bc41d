import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeL3, pickStrategies, type L3Result } from "@kpu/scheduler";

/**
 * The headline numbers of docs/kpu-sim-quirks.md ("The seed's headline cases", 32768x7168x7168) and of the root
 * README's `l3 analyze` examples, derived: the table is parsed and every cell recomputed with the public API.
 */
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DOC = readFileSync(join(import.meta.dirname, "..", "docs", "kpu-sim-quirks.md"), "utf8");
const ROOT_README = readFileSync(join(import.meta.dirname, "..", "..", "..", "README.md"), "utf8");
const SEED = { m: 32768, n: 7168, k: 7168 };
const SIZES = [16, 64, 256].map((x) => x * MiB);
const strip = (c: string): string => c.replaceAll("**", "");

function headlineRows(): string[][] {
  const at = DOC.indexOf("32768x7168x7168 (A 896 MiB");
  expect(at).toBeGreaterThan(0);
  const lines = DOC.slice(at).split("\n");
  const start = lines.findIndex((l) => l.startsWith("| L3 | strategy |"));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.split("|").slice(1, -1).map((c) => strip(c.trim())));
  }
  return rows;
}

describe("the seed's headline case, 32768x7168x7168", () => {
  let kpuSim: L3Result[] = [];
  let rmw: L3Result[] = [];
  let readOnce: L3Result[] = [];
  beforeAll(() => {
    kpuSim = analyzeL3(SEED, { l3Bytes: SIZES, model: "kpu-sim" });
    rmw = analyzeL3(SEED, { l3Bytes: SIZES });
    readOnce = analyzeL3(SEED, { l3Bytes: SIZES, cAccounting: "read-once" });
  }, 120_000);
  const find = (rs: L3Result[], l3: number, strategy: string): L3Result => rs.find((r) => r.l3Bytes === l3 && r.strategy === strategy)!;

  it("docs/kpu-sim-quirks.md: every cell of the table", () => {
    const rows = headlineRows();
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      const l3 = Number(/^(\d+) MiB$/.exec(row[0]!)![1]) * MiB;
      const s = row[1]!.toLowerCase();
      const sim = find(kpuSim, l3, s);
      const r = find(rmw, l3, s);
      const once = find(readOnce, l3, s);
      const digits = (cell: string): number => cell.split(".")[1]?.length ?? 0;
      const fmt = (x: number, cell: string): string => x.toFixed(digits(cell));
      const traffic = (x: L3Result): number => (x.dramReadBytes + x.dramWriteBytes) / x.compulsoryBytes;
      expect([
        row[0],
        row[1],
        fmt(sim.overfetchTotal, row[2]!),
        fmt(traffic(r), row[3]!),
        `${(r.dramReadBytes / GiB).toFixed(2)} + ${(r.dramWriteBytes / GiB).toFixed(2)}`,
        fmt(traffic(once), row[5]!),
      ]).toEqual(row);
    }
  });

  it("root README: kpu-sim's WS 0.896 and OS 34.6 at 16 MiB; the correct model's auto picks OS at 34.6x compulsory", () => {
    expect(ROOT_README).toMatch(/--model kpu-sim +# kpu-sim's numbers: WS 0\.896, OS 34\.6/);
    expect(ROOT_README).toMatch(/--l3 16MiB --strategy auto +# correct model: OS, 34\.6x compulsory/);
    expect(find(kpuSim, 16 * MiB, "ws").overfetchTotal.toFixed(3)).toBe("0.896");
    expect(find(kpuSim, 16 * MiB, "os").overfetchTotal.toFixed(1)).toBe("34.6");
    const [pick] = pickStrategies(SEED, { l3Bytes: [16 * MiB] });
    expect(pick!.best.strategy).toBe("os");
    expect(pick!.reason).toMatch(/^OS moves the least DRAM traffic: 34\.6\d*x compulsory/);
    expect(((pick!.best.dramReadBytes + pick!.best.dramWriteBytes) / pick!.best.compulsoryBytes).toFixed(1)).toBe("34.6");
  });
});
