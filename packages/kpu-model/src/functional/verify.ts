import type { Graph, Schedule, TiledProgram } from "@kpu/ir";
import { executeSchedule, type ExecutionCounts } from "./executor.js";
import { seededRandom } from "./kernels.js";
import { referenceExecute } from "./reference.js";

export interface VerifyOptions {
  /** Seed of the random inputs (uniform in [-1, 1)); default 1. */
  readonly seed?: number;
  /**
   * The check: |executed - reference| <= toleranceRel * max(1, max |reference|) for every element of every graph
   * output (default 1e-4: fp32 accumulation against a float64 reference).
   */
  readonly toleranceRel?: number;
  /** The graph to take as the reference (default the program's graph); pass the unfused original here. */
  readonly reference?: Graph;
}

export interface OutputCheck {
  readonly tensor: string;
  readonly elements: number;
  readonly maxAbsError: number;
  readonly maxAbsReference: number;
  readonly toleranceAbs: number;
  readonly ok: boolean;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly toleranceRel: number;
  /** The largest absolute error over all outputs (NaN compares as Infinity). */
  readonly maxAbsError: number;
  readonly outputs: readonly OutputCheck[];
  readonly counts: ExecutionCounts;
}

/** Seeded random inputs for every graph input, uniform in [-1, 1). */
export function randomInputs(graph: Graph, seed = 1): Map<string, Float32Array> {
  const rand = seededRandom(seed);
  const out = new Map<string, Float32Array>();
  for (const name of graph.inputs) {
    const t = graph.tensors.find((x) => x.name === name)!;
    const v = new Float32Array(t.shape.reduce((p, d) => p * d, 1));
    for (let i = 0; i < v.length; i++) v[i] = 2 * rand() - 1;
    out.set(name, v);
  }
  return out;
}

/**
 * Executes `schedule` on seeded random inputs and compares every graph output with the float64 reference of the
 * original graph.
 */
export function verifySchedule(schedule: Schedule, program: TiledProgram, options: VerifyOptions = {}): VerifyResult {
  const seed = options.seed ?? 1;
  const toleranceRel = options.toleranceRel ?? 1e-4;
  const graph = options.reference ?? program.graph;
  const inputs = randomInputs(graph, seed);
  const ref = referenceExecute(graph, inputs);
  const run = executeSchedule(schedule, program, inputs);
  const outputs: OutputCheck[] = graph.outputs.map((name) => {
    const want = ref.get(name)!;
    const got = run.dram.get(name);
    let maxAbsError = got === undefined || got.length !== want.length ? Infinity : 0;
    let maxAbsReference = 0;
    for (let i = 0; i < want.length; i++) {
      maxAbsReference = Math.max(maxAbsReference, Math.abs(want[i]!));
      if (got === undefined) continue;
      const err = Math.abs(got[i]! - want[i]!);
      maxAbsError = Number.isNaN(err) ? Infinity : Math.max(maxAbsError, err);
    }
    const toleranceAbs = toleranceRel * Math.max(1, maxAbsReference);
    return { tensor: name, elements: want.length, maxAbsError, maxAbsReference, toleranceAbs, ok: maxAbsError <= toleranceAbs };
  });
  return {
    ok: outputs.every((o) => o.ok),
    seed,
    toleranceRel,
    maxAbsError: outputs.reduce((m, o) => Math.max(m, o.maxAbsError), 0),
    outputs,
    counts: run.counts,
  };
}
