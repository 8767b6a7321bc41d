import Tinypool from "tinypool";

/** The parent's Node flags without its export conditions (`--conditions X`, `--conditions=X`, `-C X`), which the worker replaces. */
function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--conditions" || a === "-C") i++;
    else if (!a.startsWith("--conditions=")) out.push(a);
  }
  return out;
}

/**
 * A tinypool of `threads` workers over a package's worker entry: the built JS (`built`, beside `moduleUrl` in dist),
 * or, when `moduleUrl` is a TypeScript source (tests, tsx), a bootstrap (`source`) that registers tsx first.
 */
export function createWorkerPool(moduleUrl: string, entries: { readonly built: string; readonly source: string }, threads: number): Tinypool {
  const fromSource = moduleUrl.endsWith(".ts");
  return new Tinypool({
    filename: new URL(fromSource ? entries.source : entries.built, moduleUrl).href,
    minThreads: threads,
    maxThreads: threads,
    ...(fromSource ? { execArgv: [...withoutConditions(process.execArgv), "--conditions=@kpu/source"] } : {}),
  });
}
