import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GraphBuilder, graphToJson } from "@kpu/ir";
import { kpu, kpuProcess } from "./helpers.js";

/** A small CNN with every kind of conv (strided, padded, depthwise, grouped, pointwise), pools, norm and softmax. */
function cnnFile(): string {
  const b = new GraphBuilder("small-cnn");
  const x = b.input("x", [2, 4, 10, 10]);
  const stem = b.conv2d(x, b.weight("w0", [8, 4, 3, 3]), { stride: [2, 2], padding: [1, 1, 1, 1], epilogue: [{ kind: "bias_add", tensor: b.weight("b0", [8]).name }, { kind: "relu" }], id: "stem" });
  const dw = b.conv2d(stem, b.weight("wd", [8, 1, 3, 3]), { groups: 8, padding: [1, 1, 1, 1], epilogue: [{ kind: "clip", min: 0, max: 6 }], id: "depthwise" });
  const grouped = b.conv2d(dw, b.weight("wg", [8, 4, 1, 1]), { groups: 2, id: "grouped" });
  const pooled = b.avgPool(b.add(grouped, stem), [2, 2], { stride: [2, 2] });
  const flat = b.flatten(b.globalAvgPool(b.maxPool(pooled, [2, 2], { stride: [1, 1] })));
  b.output(b.softmax(b.matmul(b.layerNorm(flat, b.weight("g", [8])), b.weight("fc", [8, 5]), { id: "classifier" })));
  const dir = mkdtempSync(join(tmpdir(), "kpu-run-graph-"));
  const file = join(dir, "cnn.json");
  writeFileSync(file, JSON.stringify(graphToJson(b.build())));
  return file;
}

describe("kpu run on a graph with version 2 ops", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("executes every op and prints per op the max abs and relative error and the verdict", async () => {
    const r = await kpu("run", cnnFile(), "--tile", "4");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^model small-cnn: 11 ops, [\d,]+ MACs, executed op by op in fp32 \(GEMM tiles 4x4x4\)/);
    expect(r.stdout).toMatch(/^op +kind +output +max \|error\| +max rel err +tolerance +check$/m);
    for (const op of ["stem", "depthwise", "grouped", "classifier"]) expect(r.stdout).toMatch(new RegExp(`^${op} .* ok$`, "m"));
    expect(r.stdout).toContain("verified: every op's output matches the float64 reference");
    expect(r.stderr).toBe("");
  });

  it("--json has one check per op, the tile, the seed and the MACs", async () => {
    const r = await kpu("run", cnnFile(), "--json", "--seed", "5");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { executor: string; ok: boolean; seed: number; macs: number; ops: { op: string; kind: string; maxAbsError: number; maxRelError: number; toleranceAbs: number; ok: boolean }[] };
    expect(doc).toMatchObject({ executor: "graph", ok: true, seed: 5 });
    expect(doc.ops).toHaveLength(11);
    // MACs by hand: stem 2*8*5*5 outputs x 4*3*3, depthwise 400 x 9, grouped 400 x 4, classifier 2*5 x 8.
    expect(doc.macs).toBe(400 * 36 + 400 * 9 + 400 * 4 + 10 * 8);
    for (const o of doc.ops) {
      expect(o.ok).toBe(true);
      expect(o.maxAbsError).toBeLessThanOrEqual(o.toleranceAbs);
    }
  });

  it.each(["conv-stride", "conv-padding", "conv-groups"])("KPU_FAULT_RUN=%s: the check catches it and kpu run exits 1", async (fault) => {
    vi.stubEnv("KPU_FAULT_RUN", fault);
    const r = await kpu("run", cnnFile());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("VERIFICATION FAILED");
    // Only convs are faulted: the first failure is a conv (the group fault shows first on a grouped one).
    expect(r.stdout).toMatch(fault === "conv-groups" ? /the first is op "depthwise" \(conv2d\)/ : /the first is op "stem" \(conv2d\)/);
    expect(r.stderr).toMatch(/^error KPU_CHECK_FAILED at kpu run: /);
  });

  it("a graph over --max-macs is refused before executing, naming the count and the flag", async () => {
    const r = await kpu("run", cnnFile(), "--max-macs", "1000");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error KPU_TOO_LARGE at --max-macs: executing small-cnn takes 19,680 multiply-accumulates, more than the limit of 1,000/);
  });

  it("flags of the micro-op schedule warn that they do nothing here; --max-macs warns on a matmul chain", async () => {
    const r = await kpu("run", cnnFile(), "--sram", "1MiB", "--policy", "min");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: --sram has no effect on a graph with version 2 ops");
    expect(r.stderr).toContain("warning: --policy has no effect on a graph with version 2 ops");
    const v1 = await kpu("run", "--example", "mlp", "--max-macs", "5");
    expect(v1.code).toBe(0);
    expect(v1.stderr).toContain("warning: --max-macs has no effect on a matmul chain");
  });

  it("as a real process, the fault exits 1", () => {
    vi.stubEnv("KPU_FAULT_RUN", "conv-padding");
    const r = kpuProcess("run", cnnFile());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error KPU_CHECK_FAILED at kpu run: /);
  });
});
