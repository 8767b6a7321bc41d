// Random graphs for property tests: a chain of matmuls with optional bias, residual add and activation, compiled
// with or without fusion (without it, elementwise ops stay standalone and lower to EWISE steps).
import fc from "fast-check";
import { GraphBuilder, LOOP_ORDERS, type Graph, type LoopOrder, type TensorRef, type UopProgram } from "@kpu/ir";
import { fuseGraph, lowerProgram, tileGraph } from "@kpu/passes";

export interface LayerSpec {
  readonly n: number;
  readonly bias: boolean;
  readonly residual: boolean;
  readonly act: "none" | "relu" | "gelu";
}

export interface GraphSpec {
  readonly m: number;
  readonly k: number;
  readonly layers: readonly LayerSpec[];
}

export function buildGraph(spec: GraphSpec): Graph {
  const b = new GraphBuilder("random");
  let x: TensorRef = b.input("x", [spec.m, spec.k]);
  let width = spec.k;
  spec.layers.forEach((layer, i) => {
    const w = b.input(`w${i}`, [width, layer.n]);
    let h = b.matmul(x, w, { name: `mm${i}_out`, id: `mm${i}` });
    if (layer.bias) h = b.biasAdd(h, b.input(`b${i}`, [layer.n]), { name: `bias${i}_out`, id: `bias${i}` });
    if (layer.residual && layer.n === width) h = b.add(h, x, { name: `res${i}_out`, id: `res${i}` });
    if (layer.act !== "none") h = layer.act === "relu" ? b.relu(h, { name: `act${i}_out`, id: `act${i}` }) : b.gelu(h, { name: `act${i}_out`, id: `act${i}` });
    x = h;
    width = layer.n;
  });
  b.output(x);
  return b.build();
}

const dim = fc.integer({ min: 1, max: 40 });
export const graphSpec: fc.Arbitrary<GraphSpec> = fc.record({
  m: dim,
  k: dim,
  layers: fc.array(
    fc.record({ n: dim, bias: fc.boolean(), residual: fc.boolean(), act: fc.constantFrom("none" as const, "relu" as const, "gelu" as const) }),
    { minLength: 1, maxLength: 3 },
  ),
});

export interface CompileSpec {
  readonly graph: GraphSpec;
  readonly tile: { readonly m: number; readonly n: number; readonly k: number };
  readonly fusion: boolean;
  readonly order: LoopOrder;
  readonly block: { readonly m: number; readonly n: number };
}

export const compileSpec: fc.Arbitrary<CompileSpec> = fc.record({
  graph: graphSpec,
  tile: fc.record({ m: fc.integer({ min: 3, max: 24 }), n: fc.integer({ min: 3, max: 24 }), k: fc.integer({ min: 3, max: 24 }) }),
  fusion: fc.boolean(),
  order: fc.constantFrom(...LOOP_ORDERS),
  block: fc.record({ m: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 3 }) }),
});

export function compileSpecToProgram(spec: CompileSpec): UopProgram {
  const graph = buildGraph(spec.graph);
  const fused = spec.fusion ? fuseGraph(graph) : graph;
  return lowerProgram(tileGraph(fused, { tile: spec.tile }), spec.order, { block: spec.block });
}
