import { describeHost, parseResultsText, pivotTables, type BenchResult, type ResultsDoc } from "@kpu/cpu-matmul";

export interface CpuView {
  readonly host: string;
  readonly threads: number;
  readonly peakGflops: number | null;
  readonly results: readonly (BenchResult & { readonly kernel: string })[];
  readonly failures: ResultsDoc["failures"];
  /** Columns of the speed-up heatmap (kernel and M, in pivot order) and its reference variant. */
  readonly columns: readonly string[];
  readonly reference: string | null;
  readonly speedups: readonly { readonly column: string; readonly variant: string; readonly value: number }[];
}

const REFERENCES = ["baseline", "seed-rules", "openblas"] as const;

/** A results file (`kpu cpu bench --out` / `--json`) as the page draws it: rows, and speed-up over a reference. */
export function cpuView(text: string, where: string): CpuView {
  const doc = parseResultsText(text, where);
  // bf16 measurements (results schemaVersion 5) are their own kernels, as in `kpu cpu report`'s pivot tables.
  const kernelOf = (r: BenchResult) => `${r.kernel ?? `N${r.n}_K${r.k}`}${r.dtype === undefined ? "" : `.${r.dtype}`}`;
  const results = doc.results.map((r) => ({ ...r, kernel: kernelOf(r) }));
  const column = (r: { kernel: string; m: number }) => `${r.kernel} M=${r.m}`;
  const reference = REFERENCES.find((v) => results.some((r) => r.variant === v)) ?? null;
  const base = new Map(results.filter((r) => r.variant === reference).map((r) => [column(r), r.medianUs]));
  const speedups = results.flatMap((r) => {
    const b = base.get(column(r));
    return b === undefined ? [] : [{ column: column(r), variant: r.variant, value: b / r.medianUs }];
  });
  return {
    host: describeHost(doc.host),
    threads: doc.threads,
    peakGflops: doc.peakGflops ?? null,
    results,
    failures: doc.failures,
    columns: pivotTables(doc).flatMap((t) => t.ms.map((m) => `${t.kernel} M=${m}`)),
    reference,
    speedups,
  };
}
