import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GraphBuilder, graphToJson } from "@kpu/ir";
import { kpu } from "./helpers.js";

/** `kpu map`: the exact mapper through the CLI, and its answer run back through `kpu sim --mapping`. */
const dir = mkdtempSync(join(tmpdir(), "kpu-map-"));

/** A small network in a kpu.graph file: three matmuls (two of one shape) and a batched matmul over 5 heads. */
function netFile(): string {
  const b = new GraphBuilder("net");
  const x = b.input("x", [24, 32]);
  const h1 = b.matmul(x, b.weight("w1", [32, 40]));
  const h2 = b.matmul(h1, b.weight("w2", [40, 40]));
  const h3 = b.matmul(h2, b.weight("w3", [40, 40]));
  const q = b.transpose(b.reshape(h3, [24, 5, 8]), [1, 0, 2]);
  b.output(b.batchMatmul(q, b.transpose(b.reshape(h1, [24, 5, 8]), [1, 2, 0])));
  const file = join(dir, "net.json");
  writeFileSync(file, JSON.stringify(graphToJson(b.build())));
  return file;
}

interface MapJson {
  best: { mapping: { kind: string }; cycles: number; energyPj: number; dramBytes: number };
  runnerUp: { cycles: number } | null;
  lowerBoundDramBytes: number;
  computeBoundCycles: number;
  gaps: { dram: number; cycles: number };
  evaluated: number;
  pruned: number;
  seconds: number;
}

describe("kpu map", () => {
  it("prints the JSON fields of the issue, and kpu sim --mapping moves the DRAM bytes it reported", async () => {
    const file = join(dir, "best.json");
    const r = await kpu("map", "--m", "100", "--n", "72", "--k", "90", "--hw", "minimal", "--objective", "dram", "--threads", "1", "--emit-mapping", file, "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as MapJson;
    expect(doc.best.mapping.kind).toBe("kpu.mapping");
    for (const key of ["cycles", "energyPj", "dramBytes"] as const) expect(doc.best[key]).toBeGreaterThan(0);
    expect(doc.lowerBoundDramBytes).toBeLessThanOrEqual(doc.best.dramBytes);
    expect(doc.evaluated).toBeGreaterThan(0);
    expect(doc.pruned).toBeGreaterThanOrEqual(0);
    expect(doc.seconds).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(doc.best.mapping);
    const sim = await kpu("sim", "--hw", "minimal", "--m", "100", "--n", "72", "--k", "90", "--mapping", file, "--json");
    expect(sim.code).toBe(0);
    const dram = (JSON.parse(sim.stdout) as { levels: { level: string; bytes: number }[] }).levels.find((l) => l.level === "dram")!;
    expect(dram.bytes).toBe(doc.best.dramBytes);
  });

  it("prints a table for people", async () => {
    const r = await kpu("map", "--m", "64", "--n", "48", "--k", "40", "--hw", "minimal", "--threads", "1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/objective latency/);
    expect(r.stdout).toMatch(/runner-up/);
    expect(r.stdout).toMatch(/bounds: DRAM/);
  });

  it("maps every fabric layer of a network: --json layers[] with the single-GEMM fields and totals, the same as kpu map --m --n --k", async () => {
    const r = await kpu("map", netFile(), "--hw", "minimal", "--objective", "energy", "--threads", "1", "--json");
    expect(r.code).toBe(0);
    interface Layer extends MapJson {
      id: string;
      op: string;
      shape: { m: number; n: number; k: number; batch: number };
      sameAs: string | null;
    }
    const doc = JSON.parse(r.stdout) as { model: { name: string }; objective: string; layers: Layer[]; totals: Record<string, number> };
    expect(doc.model.name).toBe("net");
    expect(doc.objective).toBe("energy");
    expect(doc.layers.map((l) => [l.op, l.shape.m, l.shape.n, l.shape.k, l.shape.batch])).toEqual([
      ["matmul", 24, 40, 32, 1],
      ["matmul", 24, 40, 40, 1],
      ["matmul", 24, 40, 40, 1],
      ["batch_matmul", 24, 24, 8, 5],
    ]);
    for (const l of doc.layers) {
      expect(l.best.mapping.kind).toBe("kpu.mapping");
      for (const key of ["lowerBoundDramBytes", "computeBoundCycles", "evaluated", "pruned", "seconds"] as const) expect(l[key]).toBeGreaterThanOrEqual(0);
      expect(l.best.dramBytes).toBeGreaterThanOrEqual(l.lowerBoundDramBytes);
      expect(l.gaps.dram).toBeCloseTo(l.best.dramBytes / l.lowerBoundDramBytes - 1, 9);
    }
    expect(doc.layers.map((l) => l.sameAs)).toEqual([null, null, doc.layers[1]!.id, null]);
    expect(doc.totals.distinctShapes).toBe(3);
    expect(doc.totals.dramBytes).toBe(doc.layers.reduce((s, l) => s + l.best.dramBytes, 0));
    expect(doc.totals.energyPj).toBeCloseTo(doc.layers.reduce((s, l) => s + l.best.energyPj, 0), 3);
    // a layer's answer is the single-GEMM command's answer for its shape (batched: the batch's)
    const one = await kpu("map", "--m", "24", "--n", "24", "--k", "8", "--batch", "5", "--hw", "minimal", "--objective", "energy", "--threads", "1", "--json");
    const single = JSON.parse(one.stdout) as MapJson;
    expect(doc.layers[3]!.best).toEqual(single.best);
    expect(doc.layers[3]!.runnerUp).toEqual(single.runnerUp);
  });

  it("prints a network's table within the terminal's width, and refuses a GEMM and a network together", async () => {
    const { mapNetworkCommand } = await import("../src/commands/map/index.js");
    let out = "";
    await mapNetworkCommand(undefined, { example: "mlp", hw: "minimal", objective: "latency", threads: 1 }, { stdout: (t) => (out += t), stderr: () => undefined }, 80);
    expect(Math.max(...out.split("\n").filter((l) => l.startsWith("│") || l.startsWith("┌")).map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(out).toMatch(/mm1/);
    expect(out).toMatch(/mlp on minimal: 3 fabric layers, 3 distinct GEMM searches \(shape and conv geometry\), objective latency/);
    const both = await kpu("map", "--example", "mlp", "--m", "8");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/KPU_USAGE at --m/);
    const nothing = await kpu("map");
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to map/);
    const unknown = await kpu("map", "--example", "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--example/);
  });

  it("refuses an unknown objective and a missing dimension with exit 2", async () => {
    const bad = await kpu("map", "--m", "8", "--n", "8", "--k", "8", "--objective", "speed");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--objective/);
    const missing = await kpu("map", "--m", "8", "--n", "8");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--k is required/);
  });
});
