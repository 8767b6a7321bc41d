// Real components for the queue's integration tests: a redis-server on a free loopback port with a temp dir and
// append-only persistence, and `kpu` processes (workers, producers) from the built CLI.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cliRoot = join(import.meta.dirname, "../../../apps/cli");
const dist = join(cliRoot, "dist/bin.js");
/** The built CLI (what users run); from a clean clone with no build, the sources through tsx. */
const binArgs = existsSync(dist) ? [dist] : ["--conditions=@kpu/source", "--import", "tsx", join(cliRoot, "src/bin.ts")];

export const HAVE_REDIS = spawnSync("redis-server", ["--version"]).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => { resolve(port); });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it holds, or fails after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
  /** Stops the server (SIGTERM: the append-only file is flushed) and starts it again on the same port and dir. */
  restart(): Promise<void>;
  cli(...args: string[]): string;
}

export async function startRedis(password?: string): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kpu-queue-redis-"));
  let child: ChildProcess | undefined;
  const auth = password === undefined ? [] : ["-a", password, "--no-auth-warning"];
  const cli = (...args: string[]): string => spawnSync("redis-cli", ["-p", String(port), ...auth, ...args], { encoding: "utf8" }).stdout.trim();
  const boot = async (): Promise<void> => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", join(dir, "redis.log")];
    child = spawn("redis-server", [...args, ...(password === undefined ? [] : ["--requirepass", password])], { stdio: "ignore" });
    await until("redis-server to answer PING", () => cli("ping") === "PONG", 10_000);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  };
  await boot();
  const url = password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${password}@127.0.0.1:${port}`;
  return {
    url,
    port,
    dir,
    cli,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      await boot();
    },
  };
}

export interface KpuProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The JSON lines printed so far (a worker's --json events). */
  events(): Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `kpu ...argv` as a real process. */
export function kpuSpawn(argv: readonly string[], env: Record<string, string> = {}): KpuProcess {
  const child = spawn(process.execPath, [...binArgs, ...argv], { cwd: cliRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const p: KpuProcess = {
    child,
    stdout: "",
    stderr: "",
    events: () =>
      p.stdout
        .split("\n")
        .filter((l) => l.startsWith("{") && l.endsWith("}"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited: new Promise((resolve) => child.on("close", (code, signal) => { resolve({ code, signal }); })),
  };
  child.stdout.on("data", (d: Buffer) => (p.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

/** Runs `kpu ...argv` to its end. */
export async function kpuRun(argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = kpuSpawn(argv, env);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** A worker process (--json), ready once it has printed its ready line. Short locks so that stalls show in ~1 s. */
export async function startWorker(url: string, name: string, env: Record<string, string> = {}, extra: readonly string[] = []): Promise<KpuProcess> {
  const w = kpuSpawn(["worker", "--redis", url, "--name", name, "--kinds", "sweep", "--lock-ms", "1000", "--json", ...extra], env);
  await until(`worker ${name} to be ready`, () => w.events().some((e) => e.event === "ready") || w.child.exitCode !== null);
  if (w.child.exitCode !== null) throw new Error(`worker ${name} exited: ${w.stderr}`);
  return w;
}

/** Stops a process with SIGTERM and waits for it. */
export async function stopProcess(p: KpuProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/** A small grid (4 workloads x 3 strategies = 12 jobs, 2 L3 sizes each: 24 rows) in a temp file; one workload fails. */
export function smallGrid(): string {
  const dir = mkdtempSync(join(tmpdir(), "kpu-queue-grid-"));
  const file = join(dir, "grid.yaml");
  writeFileSync(
    file,
    [
      "workloads:",
      "  - { name: sq256, m: 256, n: 256, k: 256 }",
      "  - { name: tall, m: 2048, n: 128, k: 256 }",
      "  - { name: wide, m: 128, n: 2048, k: 512 }",
      "  - { name: bad-dim, m: 0, n: 64, k: 64 }",
      "l3: [256KiB, 1MiB]",
      "",
    ].join("\n"),
  );
  return file;
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `kpu-queue-${tag}-`));
}
