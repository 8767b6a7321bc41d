import { NEST_ORDERS } from "@kpu/ir";
import type { Hardware } from "@kpu/kpu-model";
import { DATAFLOW_LIST, cRoundTripTicks, cyclesOf, energyOf, machineOf, moverTicks, orderTraffic, tileNode, type Cost, type GemmShape } from "./cost.js";
import type { Point } from "./space.js";

/** The cost model on one point of the space (one GEMM; the mapper multiplies by the batch). */
export function costPoint(hw: Hardware, shape: GemmShape, p: Point): Cost {
  const m = machineOf(hw);
  const node = tileNode(m, shape, p.grid, p.tile);
  if (!NEST_ORDERS.includes(p.order)) throw new Error(`unknown order ${p.order}`);
  const traffic = orderTraffic(m, node, p.order, true);
  const d = DATAFLOW_LIST.indexOf(p.dataflow);
  const big = traffic.perShare[0]!;
  const cycles = cyclesOf(m, node, moverTicks(node, big), d, p.buffers, cRoundTripTicks(node, big));
  return {
    cycles,
    energyPj: energyOf(m, node, traffic, d),
    dramBytes: traffic.dramBytes,
    levelBytes: { dram: traffic.dramBytes, l3: traffic.l3Bytes, l2: traffic.l2Bytes, l1: node.l1BytesChip[d]! },
    analyticTraffic: traffic.analytic,
    haloFactor: node.haloFactor,
  };
}
