import { Option, type Command } from "commander";
import { KpuError, REPLACEMENT_POLICIES, type ReplacementPolicyName } from "@kpu/ir";
import {
  C_ACCOUNTINGS,
  L3_MODELS,
  STRATEGIES,
  STRATEGY_CHOICES,
  STRATEGY_INFO,
  TILE_RULES,
  analyzeDistributed,
  analyzeL3,
  parseTiles,
  pickStrategies,
  validateProblem,
  type CAccounting,
  type L3Model,
  type L3Result,
  type StrategyChoice,
  type TileRule,
  type Workload,
} from "@kpu/scheduler";
import type { CliIo } from "../../main.js";
import { byteSize, oneOf, positiveInt } from "../../util/flags.js";
import { loadNetwork } from "../../util/model.js";
import { renderTable, toJsonText } from "../../util/print.js";
import { graphWorkloads, human, parseGrid, parseSizeList, ratio, size } from "./common.js";

export interface L3AnalyzeFlags {
  readonly m?: number;
  readonly n?: number;
  readonly k?: number;
  /** A built-in example model whose matmuls are analysed (default when --m/--n/--k are absent: mlp). */
  readonly example?: string;
  readonly tiles?: string;
  readonly tileRule?: TileRule;
  readonly strategy?: StrategyChoice;
  readonly l3?: string;
  readonly model?: L3Model;
  readonly cAccounting?: CAccounting;
  readonly kpuGrid?: string;
  readonly l2?: number;
  readonly l2Policy?: ReplacementPolicyName;
  readonly l3Policy?: ReplacementPolicyName;
  readonly json?: boolean;
}

function resultRecord(r: L3Result): Record<string, unknown> {
  return {
    strategy: r.strategy,
    l3Bytes: r.l3Bytes,
    tiles: r.tiles,
    overfetchTotal: r.overfetchTotal,
    overfetchA: r.overfetchA,
    overfetchB: r.overfetchB,
    overfetchC: r.overfetchC,
    kpuSimOverfetchTotal: r.kpuSimOverfetchTotal,
    dramReadBytes: r.dramReadBytes,
    dramWriteBytes: r.dramWriteBytes,
    compulsoryBytes: r.compulsoryBytes,
    lowerBoundBytes: r.lowerBoundBytes,
    lowerBoundRatio: r.lowerBoundRatio,
    tensors: r.tensors,
    hitRate: r.hitRate,
    evictions: r.evictions,
    peakBytes: r.peakBytes,
    utilization: r.utilization,
  };
}

function strategyTable(results: readonly L3Result[], sim: boolean): string {
  return renderTable(
    sim
      ? ["strategy", "L3", "tiles", "overfetch", "A", "B", "C", "DRAM reads", "hit rate", "evictions", "L3 use"]
      : ["strategy", "L3", "tiles", "traffic/compulsory", "A", "B", "C", "DRAM reads", "DRAM writes", "/lower bound"],
    results.map((r) => {
      const common = [
        STRATEGY_INFO[r.strategy].label,
        size(r.l3Bytes),
        `${r.tiles.m}x${r.tiles.n}x${r.tiles.k}`,
        ratio(r.overfetchTotal),
        ratio(r.overfetchA),
        ratio(r.overfetchB),
        ratio(r.overfetchC),
        human(r.dramReadBytes),
      ];
      return sim
        ? [...common, r.hitRate.toFixed(4), String(r.evictions), r.utilization.toFixed(3)]
        : [...common, human(r.dramWriteBytes), ratio(r.lowerBoundRatio)];
    }),
  );
}

function workloadsOf(flags: L3AnalyzeFlags): Workload[] {
  const given = [flags.m, flags.n, flags.k].filter((v) => v !== undefined).length;
  if (given > 0 && given < 3) {
    throw new KpuError("KPU_USAGE", "give all of --m, --n and --k", { where: "--m/--n/--k", hint: "Example: --m 4096 --n 4096 --k 4096." });
  }
  if (given === 3) {
    if (flags.example !== undefined) {
      throw new KpuError("KPU_USAGE", "both --m/--n/--k and --example were given", { where: "--example", hint: "Pass one or the other." });
    }
    const w = { name: `${flags.m}x${flags.n}x${flags.k}`, category: "", aspect: "", m: flags.m!, n: flags.n!, k: flags.k! };
    validateProblem(w, "--");
    return [w];
  }
  return graphWorkloads(loadNetwork({ example: flags.example ?? "mlp" }));
}

/**
 * `kpu l3 analyze`: per-tensor DRAM traffic and overfetch of each strategy at each L3 size (one record per strategy and
 * size), the bounds, `auto`'s pick with its reason, optionally a distributed-L3 grid and the L2 schedule.
 */
export function l3AnalyzeCommand(flags: L3AnalyzeFlags, io: CliIo): void {
  const workloads = workloadsOf(flags);
  const example = flags.m === undefined;
  const model = flags.model ?? "kpu";
  const cAccounting = flags.cAccounting ?? "rmw";
  const l3Bytes = parseSizeList(flags.l3 ?? (example ? "16KiB,64KiB,256KiB" : "16MiB"), "--l3");
  const tiles = flags.tiles !== undefined ? parseTiles(flags.tiles) : example ? { m: 32, n: 32, k: 32 } : undefined;
  const choice = flags.strategy ?? "all";
  const strategies = choice === "all" || choice === "auto" ? STRATEGIES : [choice];
  const base = { model, cAccounting, ...(tiles ? { tiles } : {}), ...(flags.tileRule ? { tileRule: flags.tileRule } : {}), ...(flags.l3Policy ? { l3Policy: flags.l3Policy } : {}) };
  const grid = flags.kpuGrid === undefined ? undefined : parseGrid(flags.kpuGrid, "--kpu-grid");
  const docs = workloads.map((w) => {
    const all = analyzeL3(w, { ...base, l3Bytes, strategies });
    const picks = choice === "auto" || choice === "all" ? pickStrategies(w, { ...base, l3Bytes }) : [];
    const results = choice === "auto" ? picks.map((p) => p.best) : all;
    const distributed =
      grid === undefined
        ? undefined
        : strategies.flatMap((strategy) =>
            analyzeDistributed(w, { ...base, gridRows: grid.rows, gridCols: grid.cols, sliceBytes: l3Bytes, strategy }),
          );
    // with an L2 in front of the L3 (the hierarchy engine): the L3 sees only the L2's misses and write-backs
    const l2 =
      flags.l2 === undefined
        ? undefined
        : analyzeL3(w, { ...base, l3Bytes, strategies, l2: { bytes: flags.l2, policy: flags.l2Policy ?? "lru" } });
    return { w, results, picks, distributed, l2 };
  });
  if (flags.json === true) {
    io.stdout(
      toJsonText({
        model,
        cAccounting,
        workloads: docs.map((d) => ({
          name: d.w.name,
          m: d.w.m,
          n: d.w.n,
          k: d.w.k,
          results: d.results.map(resultRecord),
          auto: d.picks.map((p) => ({ l3Bytes: p.l3Bytes, strategy: p.best.strategy, reason: p.reason })),
          ...(d.distributed
            ? {
                distributed: d.distributed.map((r) => ({
                  strategy: r.strategy,
                  sliceBytes: r.sliceBytes,
                  grid: `${r.gridRows}x${r.gridCols}`,
                  dramReadBytes: r.dramReadBytes,
                  dramWriteBytes: r.dramWriteBytes,
                  multicastReadBytes: r.multicastReadBytes,
                  compulsoryBytes: r.compulsoryBytes,
                  perTile: r.tiles.map((t) => ({
                    row: t.row,
                    col: t.col,
                    m: t.m,
                    n: t.n,
                    k: t.k,
                    dramReadBytes: t.result.dramReadBytes,
                    dramWriteBytes: t.result.dramWriteBytes,
                  })),
                })),
              }
            : {}),
          ...(d.l2 ? { withL2: { l2Bytes: flags.l2, policy: flags.l2Policy ?? "lru", results: d.l2.map((r) => ({ ...resultRecord(r), l2: r.l2 })) } } : {}),
        })),
        // the first workload's records, for single-workload callers
        results: docs[0]!.results.map(resultRecord),
      }),
    );
    return;
  }
  const sim = model === "kpu-sim";
  for (const d of docs) {
    io.stdout(
      `${d.w.name}: M=${d.w.m} N=${d.w.n} K=${d.w.k}, model ${model}${sim ? "" : `, C accounting ${cAccounting}`}\n`,
    );
    io.stdout(strategyTable(d.results, sim));
    for (const p of d.picks) io.stdout(`auto @ ${size(p.l3Bytes)}: ${p.reason}\n`);
    if (d.distributed) {
      io.stdout(
        renderTable(
          ["strategy", "grid", "L3/tile", "DRAM reads", "with multicast", "writes", "max tile reads", "traffic/compulsory"],
          d.distributed.map((r) => [
            STRATEGY_INFO[r.strategy].label,
            `${r.gridRows}x${r.gridCols}`,
            size(r.sliceBytes),
            human(r.dramReadBytes),
            human(r.multicastReadBytes),
            human(r.dramWriteBytes),
            human(r.maxTileReadBytes),
            ratio((r.multicastReadBytes + r.dramWriteBytes) / r.compulsoryBytes),
          ]),
        ),
      );
    }
    if (d.l2) {
      io.stdout(`with a ${size(flags.l2!)} ${flags.l2Policy ?? "lru"} L2 in front of the L3:\n`);
      io.stdout(
        renderTable(
          ["strategy", "L3", "L2 hit rate", "L3<->L2 bytes", "DRAM reads", "DRAM writes", "traffic/compulsory"],
          d.l2.map((r) => {
            const l2 = r.l2!;
            const req = l2.requests[0] + l2.requests[1] + l2.requests[2];
            const hit = l2.hits[0] + l2.hits[1] + l2.hits[2];
            const moved = l2.fillBytes.reduce((a, b) => a + b, 0) + l2.writeBackBytes.reduce((a, b) => a + b, 0);
            return [
              STRATEGY_INFO[r.strategy].label,
              size(r.l3Bytes),
              req === 0 ? "-" : (hit / req).toFixed(4),
              human(moved),
              human(r.dramReadBytes),
              human(r.dramWriteBytes),
              ratio(r.overfetchTotal),
            ];
          }),
        ),
      );
    }
  }
}

export function registerL3Analyze(l3: Command, io: CliIo): void {
  l3.command("analyze")
    .description("DRAM traffic and overfetch per strategy and L3 size, with bounds and the auto pick")
    .option("--m <n>", "rows of A and C", positiveInt("--m"))
    .option("--n <n>", "columns of B and C", positiveInt("--n"))
    .option("--k <n>", "the reduction dimension", positiveInt("--k"))
    .option("--example <name>", "analyse the matmuls of a built-in example (default mlp, when --m/--n/--k are absent)")
    .option("--tiles <Ti,Tj,Tk>", "tile edges in elements (default: kpu-sim's rule; 32,32,32 for examples)")
    .addOption(new Option("--tile-rule <rule>", "tile rule when --tiles is absent").choices(TILE_RULES))
    .option("--strategy <s>", `one of ${STRATEGY_CHOICES.join(", ")}`, oneOf("--strategy", STRATEGY_CHOICES), "all")
    .option("--l3 <sizes>", "L3 sizes, comma-separated with units (default 16MiB; 16KiB,64KiB,256KiB for examples)")
    .option("--model <model>", L3_MODELS.join(" or "), oneOf("--model", L3_MODELS), "kpu")
    .option("--c-accounting <mode>", `${C_ACCOUNTINGS.join(" or ")} (kpu model)`, oneOf("--c-accounting", C_ACCOUNTINGS), "rmw")
    .option("--kpu-grid <RxC>", "distributed L3: a grid of KPU tiles, each with an L3 slice of --l3")
    .option("--l2 <size>", "also analyse with an L2 of this size in front of the L3 (the L3 sees only its misses and write-backs)", byteSize("--l2"))
    .option("--l3-policy <policy>", `the L3's replacement policy: ${REPLACEMENT_POLICIES.join(", ")} (kpu model)`, oneOf("--l3-policy", REPLACEMENT_POLICIES))
    .option("--l2-policy <policy>", REPLACEMENT_POLICIES.join(", "), oneOf("--l2-policy", REPLACEMENT_POLICIES), "lru")
    .option("--json", "machine-readable output")
    .action((flags: L3AnalyzeFlags, command: Command) => {
      if (flags.l2 === undefined && command.getOptionValueSource("l2Policy") === "cli") {
        throw new KpuError("KPU_USAGE", "--l2-policy needs --l2 (there is no L2 without a size)", {
          where: "--l2-policy",
          hint: "Give the L2's size too, e.g. --l2 64KiB --l2-policy min.",
        });
      }
      l3AnalyzeCommand(flags, io);
    });
}
