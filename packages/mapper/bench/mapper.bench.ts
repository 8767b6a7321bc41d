/**
 * The exact mapper's speed and the cost model's accuracy:
 * 1. analytic evaluations per second on one core (closed-form traffic, cycles and energy of every point of the
 *    space's (grid, tile, order) nodes the closed form covers, as the search costs them), target 1 million;
 * 2. `mapGemm` end to end on 1 and 2 threads: mappings costed per second and the space covered per second, beside
 *    Timeloop v3's mapper at about 2,200 valid mappings per second on 2 cores (issue 13);
 * 3. ResNet-50's fabric layers (the fused, lowered layers `kpu analyze` times) mapped exactly on edge-ai, target
 *    under 10 s;
 * 4. the error of the analytic cycles against `kpu sim` over a set of shapes: the best mapping of every objective
 *    and a deterministic sample of the space (the workload library's distribution: `pnpm bench:consistency`).
 * Every figure is the median of KPU_BENCH_RUNS runs (default 3) after one warm-up run, in wall time and in this
 * process's CPU time over all its threads (the machine is shared: CPU time is what the code costs, wall time what a user waits).
 */
import { NEST_ORDERS, tileSetBytes } from "@kpu/ir";
import { analysisLayers, hardwarePreset, simulateMatmul, type Dataflow } from "@kpu/kpu-model";
import { buildExample } from "@kpu/models";
// the package by its name: its sources under --conditions=@kpu/source (`pnpm bench`), its build otherwise
// (`pnpm bench:built` after `pnpm build`: worker threads then load the built worker, not tsx)
import { OBJECTIVES, buffersFit, costPoint, mapGemm, mapNetwork, pointMapping, spaceGrids, spaceTiles, type GemmShape } from "@kpu/mapper";
import { cRoundTripTicks, cyclesByBuffers, energyOf, machineOf, moverTicks, orderTraffic, tileNode } from "../src/cost.js";

const runs = Number(process.env.KPU_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const hw = hardwarePreset("edge-ai");
const TIMELOOP = "Timeloop v3's mapper: ~2,200 valid mappings/s on 2 cores";

/** Wall and CPU seconds of f, after one warm-up call: medians of `runs` calls, and the last result. */
async function timed<T>(f: () => Promise<T> | T): Promise<{ wall: number; cpu: number; last: T }> {
  let last = await f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = await f();
    const c = process.cpuUsage(c0);
    wall.push((performance.now() - t0) / 1000);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: median(wall), cpu: median(cpu), last };
}

function analyticPoints(shape: GemmShape): number {
  const m = machineOf(hw);
  const grid = spaceGrids(shape, hw.computeTiles)[0]!;
  const tiles = spaceTiles(hw, shape, grid);
  const byCode = new Float64Array(8);
  let points = 0;
  let sink = 0;
  for (const tile of tiles) {
    const node = tileNode(m, shape, grid, tile);
    for (const order of NEST_ORDERS) {
      const traffic = orderTraffic(m, node, order, false);
      if (!traffic.analytic) continue;
      const big = traffic.perShare[0]!;
      const movers = moverTicks(node, big);
      const round = cRoundTripTicks(node, big);
      for (let d = 0; d < 3; d++) {
        const energy = energyOf(m, node, traffic, d);
        cyclesByBuffers(m, node, movers, d, round, byCode);
        for (let code = 0; code < 8; code++) {
          sink += byCode[code]! + energy;
          points++;
        }
      }
    }
  }
  if (sink < 0) console.log(sink);
  return points;
}

/** KPU_BENCH_ONLY=1,3 runs those parts only. */
const only = process.env.KPU_BENCH_ONLY?.split(",");
const part = (n: number) => only === undefined || only.includes(String(n));
const shape = { m: 768, n: 768, k: 768 };
const built = !process.execArgv.some((a) => a.includes("@kpu/source"));
console.log(`mapper bench on edge-ai (${built ? "built package" : "sources through tsx"}), median of ${runs} runs after a warm-up`);
const rate = part(1) ? await timed(() => analyticPoints(shape)) : undefined;
if (rate !== undefined) console.log(
  `1. analytic evaluations, ${shape.m}^3: ${fmt(rate.last)} points in ${(rate.wall * 1000).toFixed(0)} ms wall, ${(rate.cpu * 1000).toFixed(0)} ms CPU = ` +
    `${fmt(rate.last / rate.wall)}/s wall, ${fmt(rate.last / rate.cpu)}/s per CPU second (target 1,000,000 per core)`,
);

for (const threads of part(2) ? [1, 2] : []) {
  for (const objective of ["latency", "energy"] as const) {
    const t = await timed(() => mapGemm(shape, hw, { objective, threads }));
    const r = t.last;
    const space = r.evaluated + r.pruned;
    console.log(
      `2. mapGemm ${shape.m}^3 ${objective}, ${threads} thread(s): ${t.wall.toFixed(2)} s wall (${t.cpu.toFixed(2)} s CPU, all threads); ${fmt(r.evaluated)} costed (${fmt(r.evaluated / t.wall)}/s), ` +
        `${fmt(space)} in the space (${fmt(space / t.wall)}/s), ${fmt(r.engineRuns)} engine runs; ${TIMELOOP}`,
    );
  }
}

// 3. ResNet-50 exactly, every fabric layer
// convs with their geometry (the halo factor per tile); KPU_BENCH_DENSE=1 maps them as plain GEMMs, as before the halo
const dense = process.env.KPU_BENCH_DENSE === "1";
const resnet = analysisLayers(buildExample("resnet50", {})).flatMap((l) => (l.unit === "fabric" ? [{ id: l.id, op: l.op, ...l.gemm, ...(l.conv === undefined || dense ? {} : { conv: l.conv }) }] : []));
for (const threads of part(3) ? [1, 2] : []) {
  const t = await timed(() => mapNetwork(resnet, hw, { objective: "latency", threads }));
  const n = t.last.totals;
  console.log(
    `3. ResNet-50 on edge-ai${dense ? " (convs dense)" : ""}, latency, ${threads} thread(s): ${t.wall.toFixed(2)} s wall (${t.cpu.toFixed(2)} s CPU, all threads; target under 10 s wall), ${resnet.length} layers, ` +
      `${n.distinctShapes} distinct searches, ${fmt(n.evaluated)} costed, ${fmt(n.evaluated + n.pruned)} in the spaces (${fmt((n.evaluated + n.pruned) / t.wall)}/s), ${fmt(n.engineRuns)} engine runs; ${TIMELOOP}`,
  );
}

// 4. analytic vs simulated cycles
const SHAPES: GemmShape[] = [
  { m: 256, n: 256, k: 256 },
  { m: 512, n: 512, k: 512 },
  { m: 128, n: 1024, k: 512 },
  { m: 1024, n: 128, k: 256 },
  { m: 384, n: 768, k: 192 },
  { m: 64, n: 2048, k: 128 },
];
const errors: number[] = [];
for (const s of part(4) ? SHAPES : []) {
  const picks = [];
  for (const objective of OBJECTIVES) picks.push((await mapGemm(s, hw, { objective, threads: 2 })).best.mapping);
  const grid = spaceGrids(s, hw.computeTiles)[0]!;
  const tiles = spaceTiles(hw, s, grid);
  const doubled = tiles.filter((t) => buffersFit(hw, tileSetBytes(t, hw.derived.elementBytes), 7));
  for (let i = 0; i < 12; i++) {
    const tile = doubled[Math.floor(((i + 0.5) * doubled.length) / 12)]!;
    const point = { grid, tile, order: NEST_ORDERS[i % 6]!, dataflow: (["os", "ws", "is"] as Dataflow[])[i % 3]!, buffers: [2, 2, 2] as [number, number, number] };
    picks.push(pointMapping(hw, point));
  }
  for (const mapping of picks) {
    const l = mapping.levels;
    const cost = costPoint(hw, s, { grid: mapping.grid, tile: l.l1.tile, order: l.l1.order, dataflow: mapping.fabric.dataflow, buffers: [l.l1.buffers, l.l2.buffers, l.l3.buffers] });
    const sim = simulateMatmul({ hardware: hw, ...s, mapping }).report;
    errors.push(cost.cycles / sim.totalCycles - 1);
  }
}
const abs = errors.map(Math.abs).sort((a, b) => a - b);
const q = (p: number) => abs[Math.min(abs.length - 1, Math.floor(p * abs.length))]!;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
if (part(4)) console.log(
  `4. analytic vs simulated cycles, ${errors.length} mappings over ${SHAPES.length} shapes: |error| median ${pct(q(0.5))}, p90 ${pct(q(0.9))}, max ${pct(abs[abs.length - 1]!)}; ` +
    `analytic below simulated in ${errors.filter((e) => e < 0).length} of ${errors.length}`,
);
