import { toNumber, type OnnxAttribute, type OnnxNode } from "./schema.js";

/**
 * The pattern pass: exporters' decompositions of a layer norm and of an Erf GELU become one synthetic
 * LayerNormalization or Gelu node, placed where the last node of the pattern was. A match needs every inner value to be
 * read only inside the pattern and not to be a graph output. A synthetic node keeps the nodes it replaces (`fused`), so
 * the importer can fall back to them when the shapes do not fit (a norm over dimensions that are not the last ones).
 */
export interface SyntheticNode extends OnnxNode {
  readonly fused: readonly OnnxNode[];
}

export function isSynthetic(node: OnnxNode): node is SyntheticNode {
  return "fused" in node;
}

interface Net {
  readonly producer: ReadonlyMap<string, OnnxNode>;
  readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>;
  readonly outputs: ReadonlySet<string>;
  /** The value of a scalar constant (a Constant node or a one-element initializer). */
  readonly scalar: (name: string) => number | undefined;
}

const near = (v: number | undefined, target: number): boolean => v !== undefined && Math.abs(v - target) <= 1e-3 * Math.abs(target);

/** The one reader of a value that is not a graph output, if it has `opType`. */
function only(net: Net, value: string, opType: string): OnnxNode | undefined {
  const readers = net.consumers.get(value) ?? [];
  return readers.length === 1 && readers[0]!.op_type === opType && !net.outputs.has(value) ? readers[0] : undefined;
}

/** The input of a binary node other than `value`. */
function other(node: OnnxNode, value: string): string | undefined {
  if (node.input[0] === value) return node.input[1];
  if (node.input[1] === value) return node.input[0];
  return undefined;
}

function ints(name: string, values: readonly number[]): OnnxAttribute {
  return { name, type: 7, f: 0, i: 0, s: new Uint8Array(), floats: [], ints: values, strings: [] };
}

function float(name: string, value: number): OnnxAttribute {
  return { name, type: 1, f: value, i: 0, s: new Uint8Array(), floats: [], ints: [], strings: [] };
}

function reduceAxes(node: OnnxNode, net: Net): number[] | undefined {
  if (intOf(node, "keepdims", 1) !== 1) return undefined;
  const a = node.attribute.find((x) => x.name === "axes");
  if (a !== undefined) return a.ints.map(toNumber);
  const axis = net.scalar(node.input[1] ?? "");
  return axis === undefined ? undefined : [axis];
}

function intOf(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? fallback : toNumber(a.i);
}

/** mean = ReduceMean(x); d = x - mean; var = ReduceMean(d^2); y = d / sqrt(var + eps) [* gamma [+ beta]]. */
function matchLayerNorm(mean: OnnxNode, net: Net): SyntheticNode | undefined {
  const x = mean.input[0]!;
  const axes = reduceAxes(mean, net);
  const sub = only(net, mean.output[0]!, "Sub");
  if (axes === undefined || sub === undefined || sub.input[0] !== x || sub.input[1] !== mean.output[0]) return undefined;
  const d = sub.output[0]!;
  const readers = net.consumers.get(d) ?? [];
  const square = readers.find((n) => (n.op_type === "Pow" && n.input[0] === d && net.scalar(n.input[1]!) === 2) || (n.op_type === "Mul" && n.input[0] === d && n.input[1] === d));
  const div = readers.find((n) => n.op_type === "Div" && n.input[0] === d);
  if (readers.length !== 2 || square === undefined || div === undefined || net.outputs.has(d)) return undefined;
  const variance = only(net, square.output[0]!, "ReduceMean");
  if (variance === undefined || JSON.stringify(reduceAxes(variance, net)) !== JSON.stringify(axes)) return undefined;
  const add = only(net, variance.output[0]!, "Add");
  const eps = add === undefined ? undefined : net.scalar(other(add, variance.output[0]!) ?? "");
  const sqrt = add === undefined ? undefined : only(net, add.output[0]!, "Sqrt");
  if (eps === undefined || sqrt === undefined || only(net, sqrt.output[0]!, "Div") !== div || div.input[1] !== sqrt.output[0]) return undefined;
  const fused = [mean, sub, square, variance, add!, sqrt, div];
  const inputs = [x];
  let last = div;
  const scale = only(net, div.output[0]!, "Mul");
  const gamma = scale === undefined ? undefined : other(scale, div.output[0]!);
  if (scale !== undefined && gamma !== undefined && net.scalar(gamma) === undefined && !net.producer.has(gamma)) {
    fused.push(scale);
    inputs.push(gamma);
    last = scale;
    const shift = only(net, scale.output[0]!, "Add");
    const beta = shift === undefined ? undefined : other(shift, scale.output[0]!);
    if (shift !== undefined && beta !== undefined && net.scalar(beta) === undefined && !net.producer.has(beta)) {
      fused.push(shift);
      inputs.push(beta);
      last = shift;
    }
  }
  const attribute = [ints("kpu_reduced_axes", axes), { ...ints("axis", []), type: 2, i: Math.min(...axes) }, float("epsilon", eps)];
  return { input: inputs, output: last.output, name: last.name || mean.name, op_type: "LayerNormalization", attribute, domain: "", fused };
}

/** y = x * 0.5 * (1 + erf(x / sqrt 2)) in the orders exporters write it (Div by sqrt 2 or Mul by 1/sqrt 2). */
function matchGelu(erf: OnnxNode, net: Net): SyntheticNode | undefined {
  const scaled = net.producer.get(erf.input[0]!);
  if (scaled === undefined || only(net, scaled.output[0]!, "Erf") !== erf) return undefined;
  const c = net.scalar(scaled.input[1]!);
  const okScale = (scaled.op_type === "Div" && near(c, Math.SQRT2)) || (scaled.op_type === "Mul" && near(c, Math.SQRT1_2));
  const x = scaled.input[0]!;
  const plus = only(net, erf.output[0]!, "Add");
  if (!okScale || plus === undefined || !near(net.scalar(other(plus, erf.output[0]!) ?? ""), 1)) return undefined;
  const m1 = only(net, plus.output[0]!, "Mul");
  const o = m1 === undefined ? undefined : other(m1, plus.output[0]!);
  if (m1 === undefined || o === undefined) return undefined;
  const half = net.producer.get(o);
  let fused: OnnxNode[] | undefined;
  let last = m1;
  if (o === x) {
    // (x * (1 + erf)) * 0.5
    const m2 = only(net, m1.output[0]!, "Mul");
    if (m2 !== undefined && near(net.scalar(other(m2, m1.output[0]!) ?? ""), 0.5)) [fused, last] = [[scaled, erf, plus, m1, m2], m2];
  } else if (near(net.scalar(o), 0.5)) {
    // ((1 + erf) * 0.5) * x
    const m2 = only(net, m1.output[0]!, "Mul");
    if (m2 !== undefined && other(m2, m1.output[0]!) === x) [fused, last] = [[scaled, erf, plus, m1, m2], m2];
  } else if (half?.op_type === "Mul" && other(half, x) !== undefined && near(net.scalar(other(half, x)!), 0.5) && only(net, o, "Mul") === m1) {
    // (x * 0.5) * (1 + erf)
    fused = [half, scaled, erf, plus, m1];
  }
  if (fused === undefined) return undefined;
  return { input: [x], output: last.output, name: last.name || erf.name, op_type: "Gelu", attribute: [], domain: "", fused };
}

/** The node list with each matched pattern replaced by its synthetic node, and how many of each were found. */
export function fusePatterns(nodes: readonly OnnxNode[], net: Net): { nodes: OnnxNode[]; layerNorms: number; gelus: number } {
  const replaced = new Map<OnnxNode, SyntheticNode | null>();
  let layerNorms = 0;
  let gelus = 0;
  for (const node of nodes) {
    if (replaced.has(node)) continue;
    const match = node.op_type === "ReduceMean" ? matchLayerNorm(node, net) : node.op_type === "Erf" ? matchGelu(node, net) : undefined;
    if (match === undefined || match.fused.some((n) => replaced.has(n))) continue;
    if (match.op_type === "Gelu") gelus++;
    else layerNorms++;
    const lastIndex = Math.max(...match.fused.map((n) => nodes.indexOf(n)));
    for (const n of match.fused) replaced.set(n, n === nodes[lastIndex] ? match : null);
  }
  const out = nodes.flatMap((n) => {
    const r = replaced.get(n);
    return r === undefined ? [n] : r === null ? [] : [r];
  });
  return { nodes: out, layerNorms, gelus };
}
