import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { KpuError } from "@kpu/ir";

/** The C compiler found on this machine. */
export interface CCompiler {
  /** Executable name or path as given to execFile (never a shell string). */
  readonly command: string;
  /** First line of `--version`. */
  readonly version: string;
  readonly flags: readonly string[];
}

export const DEFAULT_CFLAGS = ["-O3", "-march=native", "-fopenmp", "-std=gnu11", "-w"] as const;

const SAFE_COMMAND = /^[A-Za-z0-9_./+-]{1,200}$/;

/**
 * Finds the system C compiler at run time: $CC if set, else the first of cc, gcc, clang that answers `--version`.
 * Throws KPU_CPU_NO_COMPILER when there is none.
 */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): CCompiler {
  const candidates = env.CC !== undefined && env.CC !== "" ? [env.CC] : ["cc", "gcc", "clang"];
  const tried: string[] = [];
  for (const command of candidates) {
    if (!SAFE_COMMAND.test(command)) {
      tried.push(`${command} (not a plain command name or path)`);
      continue;
    }
    try {
      const out = execFileSync(command, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
      return { command, version: out.split("\n")[0]?.trim() ?? command, flags: [...DEFAULT_CFLAGS] };
    } catch {
      tried.push(command);
    }
  }
  throw new KpuError("KPU_CPU_NO_COMPILER", `no C compiler found (tried ${tried.join(", ")})`, {
    where: "$CC",
    hint: "Install one (Debian: apt-get install gcc) or set CC to a compiler's path.",
  });
}

/** Where generated C and binaries go: $KPU_CACHE_DIR, else .kpu-cache under the current directory. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = resolve(env.KPU_CACHE_DIR ?? join(process.cwd(), ".kpu-cache"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function contentHash(...parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 24);
}

export type CompileOutcome = { readonly ok: true; readonly path: string; readonly cached: boolean } | { readonly ok: false; readonly error: string };

function run(command: string, args: readonly string[], timeoutMs: number): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((done) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      done({ ok: error === null, stderr: error !== null && stderr === "" ? error.message : stderr });
    });
  });
}

/** Compiles one translation unit to an object file cached by the hash of compiler, flags and source. */
export async function compileObject(cc: CCompiler, source: string, dir: string, timeoutMs = 300_000): Promise<CompileOutcome> {
  const hash = contentHash(cc.command, cc.version, cc.flags.join(" "), source);
  const obj = join(dir, `${hash}.o`);
  if (existsSync(obj)) return { ok: true, path: obj, cached: true };
  const src = join(dir, `${hash}.c`);
  writeFileSync(src, source);
  const tmp = join(dir, `.${hash}.${randomBytes(4).toString("hex")}.o`);
  const r = await run(cc.command, [...cc.flags, "-c", "-o", tmp, src], timeoutMs);
  if (!r.ok) {
    rmSync(tmp, { force: true });
    return { ok: false, error: r.stderr.split("\n").slice(0, 6).join("\n") };
  }
  renameSync(tmp, obj);
  return { ok: true, path: obj, cached: false };
}

/** Links objects into an executable cached by the hash of its objects. */
export async function linkBinary(cc: CCompiler, objects: readonly string[], dir: string, timeoutMs = 120_000): Promise<CompileOutcome> {
  const hash = contentHash(cc.command, cc.flags.join(" "), ...objects);
  const bin = join(dir, `kpu-bench-${hash}`);
  if (existsSync(bin)) return { ok: true, path: bin, cached: true };
  const tmp = join(dir, `.${hash}.${randomBytes(4).toString("hex")}.bin`);
  const r = await run(cc.command, [...cc.flags, "-o", tmp, ...objects, "-lm", "-ldl"], timeoutMs);
  if (!r.ok) {
    rmSync(tmp, { force: true });
    return { ok: false, error: r.stderr.split("\n").slice(0, 6).join("\n") };
  }
  renameSync(tmp, bin);
  return { ok: true, path: bin, cached: false };
}
