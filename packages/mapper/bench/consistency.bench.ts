/**
 * Consistency of the mapper's cycle model with the simulator over the workload library (issue 13, part 4): every
 * distinct GEMM shape of the fabric layers of the built-in networks (the fused, lowered layers `kpu analyze` times)
 * is mapped exactly for `latency` on edge-ai, and the answer is run through `simulateMatmul` (what `kpu sim
 * --mapping` runs). Reports, per network and over all shapes, the distribution of |analytic / simulated - 1| for
 * cycles (median, p90, max, and how often the model is below the simulation), and checks that DRAM bytes agree
 * exactly. Shapes whose simulation has more than KPU_CONSISTENCY_MAX_STEPS tile steps (default 200,000) are skipped
 * and listed: the event simulation of those takes minutes.
 *
 *   pnpm --filter @kpu/mapper bench:consistency            # KPU_CONSISTENCY_SEQ=32 tokens for the transformers
 */
import { analysisLayers, hardwarePreset, simulateMatmul } from "@kpu/kpu-model";
import { buildExample } from "@kpu/models";
import { mapNetwork, type NetworkGemm } from "../src/index.js";

const hwName = process.env.KPU_CONSISTENCY_HW ?? "edge-ai";
const hw = hardwarePreset(hwName);
const seq = Number(process.env.KPU_CONSISTENCY_SEQ ?? 32);
const maxSteps = Number(process.env.KPU_CONSISTENCY_MAX_STEPS ?? 200_000);
const threads = Number(process.env.KPU_CONSISTENCY_THREADS ?? 2);
const NETWORKS: readonly { name: string; options: { seq?: number } }[] = [
  { name: "resnet50", options: {} },
  { name: "mobilenet_v2", options: {} },
  { name: "vit-b16", options: {} },
  { name: "bert-base", options: { seq } },
  { name: "gpt2", options: { seq } },
];

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const key = (g: { m: number; n: number; k: number }) => `${g.m}x${g.n}x${g.k}`;

function summary(errors: readonly number[]): string {
  if (errors.length === 0) return "no shapes";
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const q = (p: number) => abs[Math.min(abs.length - 1, Math.floor(p * abs.length))]!;
  return `|error| median ${pct(q(0.5))}, p90 ${pct(q(0.9))}, max ${pct(abs[abs.length - 1]!)}; analytic below simulated in ${errors.filter((e) => e < 0).length} of ${errors.length}`;
}

const seen = new Set<string>();
const all: number[] = [];
const rows: string[] = [];
let dramMismatches = 0;
console.log(`consistency on ${hwName}: latency objective, transformers at seq ${seq}, shapes above ${maxSteps.toLocaleString("en-US")} tile steps skipped`);
for (const net of NETWORKS) {
  const gemms: NetworkGemm[] = analysisLayers(buildExample(net.name, net.options)).flatMap((l) => (l.unit === "fabric" ? [{ id: l.id, op: l.op, ...l.gemm }] : []));
  const fresh: NetworkGemm[] = [];
  for (const g of gemms) {
    if (seen.has(key(g))) continue;
    seen.add(key(g));
    fresh.push(g);
  }
  const t0 = performance.now();
  const mapped = await mapNetwork(fresh, hw, { objective: "latency", threads });
  const errors: number[] = [];
  const skipped: string[] = [];
  for (const l of mapped.layers) {
    if (l.sameAs !== null) continue;
    const t = l.best.mapping.levels.l1.tile;
    const grid = l.best.mapping.grid;
    const steps = Math.ceil(Math.ceil(l.shape.m / grid.rows) / t.m) * Math.ceil(Math.ceil(l.shape.n / grid.cols) / t.n) * Math.ceil(l.shape.k / t.k);
    if (steps > maxSteps) {
      skipped.push(`${key(l.shape)} (${steps.toLocaleString("en-US")} steps)`);
      continue;
    }
    const sim = simulateMatmul({ hardware: hw, m: l.shape.m, n: l.shape.n, k: l.shape.k, mapping: l.best.mapping }).report;
    // the layer's figures are for its batch of GEMMs; the simulation runs one
    const cycles = l.best.cycles / l.shape.batch;
    const dram = l.best.dramBytes / l.shape.batch;
    if (sim.levels.find((x) => x.level === "dram")!.bytes !== dram) dramMismatches++;
    const e = cycles / sim.totalCycles - 1;
    errors.push(e);
    all.push(e);
    rows.push(`  ${net.name} ${key(l.shape)} ${t.m}x${t.n}x${t.k} ${l.best.mapping.levels.l1.order} ${l.best.mapping.fabric.dataflow}: analytic ${Math.round(cycles)}, simulated ${sim.totalCycles}, ${pct(e)}`);
  }
  console.log(`${net.name}: ${gemms.length} fabric layers, ${fresh.length} new distinct shapes, ${((performance.now() - t0) / 1000).toFixed(1)} s; ${summary(errors)}${skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : ""}`);
}
console.log(`all ${all.length} shapes: ${summary(all)}; DRAM bytes equal to the simulation's in ${all.length - dramMismatches} of ${all.length}`);
if (process.env.KPU_CONSISTENCY_VERBOSE === "1") console.log(rows.join("\n"));
