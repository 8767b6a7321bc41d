import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DSE_AXES, isKpuError, parseDseResult, type DsePoint } from "@kpu/ir";
import { buildExample } from "@kpu/models";
import { evaluatePoint, parseSpace, runDse, type PointExecutor, type PointTask } from "../src/index.js";

const graph = buildExample("mlp", {});
const model = { name: "mlp", source: "example:mlp" };
const dirs: string[] = [];
const temp = (name: string): string => {
  const d = mkdtempSync(join(tmpdir(), `kpu-dse-${name}-`));
  dirs.push(d);
  return d;
};
afterAll(() => undefined);

/** An executor that evaluates inline and records what it computed. */
function counting(): { executor: PointExecutor; computed: string[] } {
  const computed: string[] = [];
  return {
    computed,
    executor: async (tasks: readonly PointTask[], done) => {
      for (const t of tasks) {
        computed.push(t.id);
        done(await evaluatePoint(t));
      }
    },
  };
}

const lines = (dir: string): string[] => (existsSync(join(dir, "points.jsonl")) ? readFileSync(join(dir, "points.jsonl"), "utf8").split("\n").filter((l) => l !== "") : []);

// 2 x 3 points; l1KiB = 1 cannot hold one A, B and C tile of the array: infeasible with the validator's reason
const SPACE = "hw: edge-ai\nobjective: latency\nparameters:\n  l1KiB: [1, 24, 48]\n  dramGBps: [64, 256]\n";

describe("runDse", () => {
  it("a network of convs: its points check as kpu.dse points (the mapper's conv geometry stays out of the layers)", async () => {
    const resnet = buildExample("resnet50", {});
    const out = temp("conv");
    const r = await runDse({ graph: resnet, model: { name: "resnet50", source: "example:resnet50" }, space: parseSpace("hw: edge-ai\nparameters:\n  rows: [64]\n", "s.yaml"), outDir: out, threads: 1, onWarning: () => undefined });
    const [p] = r.result.points;
    expect(p).toMatchObject({ feasible: true });
    expect(p!.layers!.some((l) => l.op === "conv2d")).toBe(true);
    expect(parseDseResult(readFileSync(join(out, "dse.json"), "utf8"), "dse.json").points).toHaveLength(1);
  }, 120_000);

  it("records infeasible points with the reason, marks the Pareto front as a pairwise check does, writes every file", async () => {
    const out = temp("run");
    const { executor, computed } = counting();
    const r = await runDse({ graph, model, space: parseSpace(SPACE, "s.yaml"), outDir: out, executor });
    expect(computed).toHaveLength(6);
    const doc = parseDseResult(readFileSync(join(out, "dse.json"), "utf8"), "dse.json");
    expect(doc).toEqual(r.result);
    const infeasible = doc.points.filter((p) => !p.feasible);
    expect(infeasible.map((p) => p.params.l1KiB)).toEqual([1, 1]);
    for (const p of infeasible) expect(p.reason).toMatch(/^KPU_HW_BUFFER_TOO_SMALL: .*levels\.l1\.bankBytes/);
    // the front by brute force: not dominated by any other feasible point on (latency, energy, area)
    const feasible = doc.points.filter((p) => p.feasible);
    const dominated = (a: DsePoint) => feasible.some((b) => b !== a && DSE_AXES.every((x) => b[x]! <= a[x]!) && DSE_AXES.some((x) => b[x]! < a[x]!));
    expect(doc.points.map((p) => p.feasible && !dominated(p))).toEqual(doc.points.map((p) => p.pareto));
    expect(doc.points.some((p) => p.pareto)).toBe(true);
    // every feasible point: one mapping per fabric layer; more DRAM bandwidth never slows the network down
    for (const p of feasible) expect(p.layers).toHaveLength(3);
    const at = (l1: number, bw: number) => feasible.find((p) => p.params.l1KiB === l1 && p.params.dramGBps === bw)!;
    expect(at(48, 256).latencyNs!).toBeLessThanOrEqual(at(48, 64).latencyNs!);
    // bigger L1 costs area
    expect(at(48, 64).areaMm2!).toBeGreaterThan(at(24, 64).areaMm2!);
    const csv = readFileSync(join(out, "points.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("l1KiB,dramGBps,id,feasible,pareto,latencyNs,energyPj,areaMm2,cycles,dramBytes,reason");
    expect(csv).toHaveLength(7);
    for (const f of ["pareto.svg", "sensitivity.svg"]) expect(readFileSync(join(out, f), "utf8")).toMatch(/^<svg/);
    // run again: nothing recomputed, the same document
    const again = counting();
    const r2 = await runDse({ graph, model, space: parseSpace(SPACE, "s.yaml"), outDir: out, executor: again.executor });
    expect(again.computed).toEqual([]);
    expect(r2.result).toEqual(r.result);
  });

  it("resumes after a SIGKILL mid-run: no point computed twice or stored twice; a torn line is recomputed", async () => {
    const out = temp("kill");
    const spaceFile = join(out, "..", `${out.split("/").pop()!}-space.yaml`);
    writeFileSync(spaceFile, "hw: edge-ai\nobjective: latency\nparameters:\n  rows: [8, 16]\n  dramGBps: [64, 128, 256]\n");
    const child = spawn(process.execPath, ["--conditions=@kpu/source", "--import", "tsx", join(import.meta.dirname, "fixtures/run-dse.ts"), spaceFile, out], { stdio: "ignore" });
    const exited = new Promise((r) => child.once("exit", r));
    const deadline = Date.now() + 60_000;
    while (lines(out).length < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await exited;
    const before = lines(out);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(6);
    const kept = before.map((l) => (JSON.parse(l) as DsePoint).id);
    appendFileSync(join(out, "points.jsonl"), '{"id":"torn","par');
    const warnings: string[] = [];
    const { executor, computed } = counting();
    const r = await runDse({ graph, model, space: parseSpace(readFileSync(spaceFile, "utf8"), spaceFile), outDir: out, executor, onWarning: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/points\.jsonl:\d+: unreadable point \(not JSON/);
    expect(computed.filter((id) => kept.includes(id))).toEqual([]);
    expect(computed.length + kept.length).toBe(6);
    expect(r).toMatchObject({ resumed: kept.length, computed: 6 - kept.length });
    const after = lines(out).map((l) => (JSON.parse(l) as DsePoint).id);
    expect(after).toHaveLength(6);
    expect(new Set(after).size).toBe(6);
  }, 90_000);

  it("a second writer on the same folder is refused while the first runs", async () => {
    const out = temp("lock");
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: PointExecutor = async (tasks, done) => {
      await gate;
      for (const t of tasks) done(await evaluatePoint(t));
    };
    const space = parseSpace("hw: edge-ai\nparameters:\n  rows: [16]\n", "s.yaml");
    const first = runDse({ graph, model, space, outDir: out, executor: slow });
    await new Promise((r) => setTimeout(r, 300));
    await expect(runDse({ graph, model, space, outDir: out, threads: 1 })).rejects.toMatchObject({ code: "KPU_L3_SWEEP_LOCKED" });
    release();
    await first;
  });

  it("a model that fits no point: every point recorded, the files written, then KPU_DSE_NO_FIT", async () => {
    const out = temp("nofit");
    const space = parseSpace("hw: edge-ai\nparameters:\n  l2KiB: [1, 2]\n", "s.yaml");
    const e = await runDse({ graph, model, space, outDir: out, threads: 1 }).catch((x: unknown) => x);
    expect(isKpuError(e) && e.code).toBe("KPU_DSE_NO_FIT");
    expect((e as Error).message).toMatch(/none of the 2 points .*KPU_HW_BUFFER_TOO_SMALL/);
    const doc = parseDseResult(readFileSync(join(out, "dse.json"), "utf8"));
    expect(doc.points.map((p) => p.feasible)).toEqual([false, false]);
  });
});
