import { performance } from "node:perf_hooks";

/** Statistics a pass reports about its own work (counts, names); numbers and strings only, so they print and serialise. */
export type PassStats = Readonly<Record<string, number | string>>;

/** A compiler pass from IR `I` to IR `O`. `toJson` renders the output for `--emit`/IR dumps. */
export interface Pass<I, O> {
  readonly name: string;
  run(input: I): { readonly output: O; readonly stats: PassStats };
  toJson(output: O): unknown;
}

export interface PassRecord {
  readonly name: string;
  readonly millis: number;
  readonly stats: PassStats;
  /** The IR after this pass, when it was asked for with `dumpAfter`. */
  readonly dump?: unknown;
}

export interface PassRunResult<O> {
  readonly output: O;
  readonly records: readonly PassRecord[];
}

export interface RunOptions {
  /** Names of passes whose output IR is recorded (`"*"` for all). */
  readonly dumpAfter?: readonly string[];
}

type AnyPass = Pass<unknown, unknown>;

/**
 * Runs passes in order, timing each and collecting its statistics. Typed end to end:
 * `new PassManager<Graph>().add(fusion).add(tiling).add(lowering)` is a `PassManager<UopProgram>`.
 */
export class PassManager<I, O = I> {
  private constructor(private readonly passes: readonly AnyPass[]) {}

  static start<T>(): PassManager<T, T> {
    return new PassManager<T, T>([]);
  }

  add<Next>(pass: Pass<O, Next>): PassManager<I, Next> {
    return new PassManager<I, Next>([...this.passes, pass]);
  }

  get names(): readonly string[] {
    return this.passes.map((p) => p.name);
  }

  run(input: I, options: RunOptions = {}): PassRunResult<O> {
    const dump = new Set(options.dumpAfter ?? []);
    const records: PassRecord[] = [];
    let ir: unknown = input;
    for (const pass of this.passes) {
      const start = performance.now();
      const { output, stats } = pass.run(ir);
      const millis = performance.now() - start;
      const wanted = dump.has("*") || dump.has(pass.name);
      records.push(wanted ? { name: pass.name, millis, stats, dump: pass.toJson(output) } : { name: pass.name, millis, stats });
      ir = output;
    }
    return { output: ir as O, records };
  }
}
