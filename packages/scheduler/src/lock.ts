import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { KpuError } from "@kpu/ir";
import { writeError } from "./files.js";

/** The lock proper-lockfile keeps (a folder, its mtime refreshed while held) and the sidecar naming the holder. */
export const LOCK_NAME = ".kpu-sweep.lock";
const OWNER_NAME = ".kpu-sweep.lock.owner";
/** A lock not refreshed for this long is stale (its holder died) and is taken over; the holder refreshes it every second. */
const STALE_MS = 5_000;

interface Owner {
  readonly pid: number;
  readonly host: string;
}

function readOwner(dir: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dir, OWNER_NAME), "utf8")) as Partial<Owner>;
    return typeof o.pid === "number" && typeof o.host === "string" ? { pid: o.pid, host: o.host } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Locks output folder `dir` for one writer (proper-lockfile; the holder's pid and host in a sidecar). A lock whose holder
 * is gone (killed: its lock is no longer refreshed) is taken over once stale, after at most 5 s. A live holder gives a
 * KpuError naming its pid at once. Returns the release function, which never throws.
 */
export async function lockOutputDir(dir: string, flag?: string): Promise<() => Promise<void>> {
  const options = { realpath: false, stale: STALE_MS, update: 1_000, lockfilePath: join(dir, LOCK_NAME), onCompromised: () => undefined };
  let release: () => Promise<void>;
  try {
    try {
      release = await lockfile.lock(dir, { ...options, retries: 0 });
    } catch (error) {
      const owner = readOwner(dir);
      const dead = owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !alive(owner.pid);
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || !dead) throw error;
      // the holder was killed before it could release: wait until its lock is stale, then proper-lockfile takes it over
      release = await lockfile.lock(dir, { ...options, retries: { retries: 20, minTimeout: 400, maxTimeout: 400 } });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw writeError(error, join(dir, LOCK_NAME), flag);
    // a holder that has just taken the lock writes its sidecar right after: give it a moment
    let owner = readOwner(dir);
    for (let i = 0; owner === undefined && i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      owner = readOwner(dir);
    }
    const who = owner === undefined ? "another process" : `process ${owner.pid}${owner.host === hostname() ? "" : ` on ${owner.host}`}`;
    throw new KpuError("KPU_L3_SWEEP_LOCKED", `another sweep is writing this folder (held by ${who})`, {
      where: flag === undefined ? dir : `${flag} ${dir}`,
      hint: `Wait for it to finish (or stop ${owner === undefined ? "it" : `pid ${owner.pid}`}), or use another --out folder.`,
      cause: error,
    });
  }
  const ownerPath = join(dir, OWNER_NAME);
  writeFileSync(ownerPath, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`);
  return async () => {
    rmSync(ownerPath, { force: true });
    await release().catch(() => undefined);
  };
}
