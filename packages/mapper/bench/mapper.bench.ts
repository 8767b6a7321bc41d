/**
 * The exact mapper's speed and the cost model's accuracy:
 * 1. analytic evaluations per second on one core (closed-form traffic, cycles and energy of every point of the
 *    space's (grid, tile, order) nodes the closed form covers, as the search costs them), target 1 million;
 * 2. `mapGemm` end to end on 1 and 2 threads: mappings costed per second and the space covered per second, beside
 *    Timeloop v3's mapper at about 2,200 valid mappings per second on 2 cores (issue 13);
 * 3. the error of the analytic cycles against `kpu sim` over a set of shapes: the best mapping of every objective
 *    and a deterministic sample of the space.
 */
import { NEST_ORDERS, tileSetBytes } from "@kpu/ir";
import { hardwarePreset, simulateMatmul, type Dataflow } from "@kpu/kpu-model";
import { OBJECTIVES, buffersFit, costPoint, mapGemm, pointMapping, spaceGrids, spaceTiles, type GemmShape } from "../src/index.js";
import { cyclesOf, energyOf, machineOf, moverTicks, orderTraffic, tileNode, cRoundTripTicks } from "../src/cost.js";

const runs = Number(process.env.KPU_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const hw = hardwarePreset("edge-ai");

function analyticRate(shape: GemmShape): { points: number; ms: number } {
  const m = machineOf(hw);
  const grid = spaceGrids(shape, hw.computeTiles)[0]!;
  const tiles = spaceTiles(hw, shape, grid);
  const t0 = performance.now();
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
        for (let code = 0; code < 8; code++) {
          sink += cyclesOf(m, node, movers, d, [(code & 1) + 1, ((code >> 1) & 1) + 1, ((code >> 2) & 1) + 1], round) + energy;
          points++;
        }
      }
    }
  }
  if (sink < 0) console.log(sink);
  return { points, ms: performance.now() - t0 };
}

const shape = { m: 768, n: 768, k: 768 };
console.log(`mapper bench on edge-ai, median of ${runs} runs`);
const rates = Array.from({ length: runs }, () => analyticRate(shape));
const r0 = rates[0]!;
const ms = median(rates.map((r) => r.ms));
console.log(`1. analytic evaluations, ${shape.m}^3: ${fmt(r0.points)} points in ${ms.toFixed(0)} ms = ${fmt((r0.points / ms) * 1000)} per second on one core (target 1,000,000)`);

for (const threads of [1, 2]) {
  for (const objective of ["latency", "energy"] as const) {
    const times: number[] = [];
    let last = await mapGemm(shape, hw, { objective, threads });
    for (let r = 0; r < runs; r++) {
      last = await mapGemm(shape, hw, { objective, threads });
      times.push(last.seconds);
    }
    const s = median(times);
    const space = last.evaluated + last.pruned;
    console.log(
      `2. mapGemm ${shape.m}^3 ${objective}, ${threads} thread(s): ${s.toFixed(2)} s; ${fmt(last.evaluated)} costed (${fmt(last.evaluated / s)}/s), ` +
        `${fmt(space)} in the space (${fmt(space / s)}/s), ${fmt(last.engineRuns)} engine runs; Timeloop v3: ~2,200 valid mappings/s on 2 cores`,
    );
  }
}

// 3. analytic vs simulated cycles
const SHAPES: GemmShape[] = [
  { m: 256, n: 256, k: 256 },
  { m: 512, n: 512, k: 512 },
  { m: 128, n: 1024, k: 512 },
  { m: 1024, n: 128, k: 256 },
  { m: 384, n: 768, k: 192 },
  { m: 64, n: 2048, k: 128 },
];
const errors: number[] = [];
for (const s of SHAPES) {
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
console.log(
  `3. analytic vs simulated cycles, ${errors.length} mappings over ${SHAPES.length} shapes: |error| median ${pct(q(0.5))}, p90 ${pct(q(0.9))}, max ${pct(abs[abs.length - 1]!)}; ` +
    `analytic below simulated in ${errors.filter((e) => e < 0).length} of ${errors.length}`,
);
