import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runCli, type CliIo } from "@kpu/cli";

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function kpu(...argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const cliRoot = join(import.meta.dirname, "..");

/** Runs the CLI as a real process from sources (no build needed). */
export function kpuProcess(...argv: string[]): CliResult {
  const r = spawnSync(process.execPath, ["--conditions=@kpu/source", "--import", "tsx", join(cliRoot, "src/bin.ts"), ...argv], {
    cwd: cliRoot,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
