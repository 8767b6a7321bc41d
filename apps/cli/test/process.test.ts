import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { describe, expect, it } from "vitest";
import { TERMINAL_RESET, guardSignals, restoreTerminal } from "../src/util/process.js";

const cliRoot = join(import.meta.dirname, "..");
const dist = join(cliRoot, "dist/bin.js");
/** The built CLI when there is one (what users run), else the sources through tsx (a clean clone, no build). */
const binArgs = existsSync(dist) ? [dist] : ["--conditions=@kpu/source", "--import", "tsx", join(cliRoot, "src/bin.ts")];

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Spawns `kpu ...argv`; `onStart` gets the child (to close its stdout or signal it). */
function run(argv: readonly string[], onStart: (child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...binArgs, ...argv], { cwd: cliRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({ code, signal, stderr });
    });
    onStart(child);
  });
}

const STACK = /\n\s+at |EPIPE|Unhandled/;

describe("a closed pipe ends the command quietly (kpu ... | head -1)", () => {
  it("kpu demo: the reader closes after the first line; exit 0, nothing on stderr", async () => {
    const out = mkdtempSync(join(tmpdir(), "kpu-pipe-"));
    const r = await run(["demo", "--out", out], (child) => {
      child.stdout!.once("data", () => child.stdout!.destroy());
    });
    expect(r.stderr).not.toMatch(STACK);
    expect(r).toMatchObject({ code: 0, signal: null, stderr: "" });
  }, 60_000);

  const commands: readonly (readonly string[])[] = [
    ["l3", "analyze"],
    ["cpu", "schedule", "--m", "64", "--n", "64", "--k", "64", "--explain"],
    ["timing", "--m", "512", "--n", "512", "--k", "512", "--format", "csv"],
    ["l3", "sweep", "--preset", "focused", "--no-plots", "--out", join(mkdtempSync(join(tmpdir(), "kpu-pipe-")), "s")],
  ];
  for (const argv of commands) {
    it(`kpu ${argv.slice(0, 2).join(" ")}: stdout closed before the first write; exit 0`, async () => {
      const r = await run(argv, (child) => child.stdout!.destroy());
      expect(r.stderr).not.toMatch(STACK);
      expect(r.code).toBe(0);
    }, 60_000);
  }
});

describe("SIGINT and SIGTERM exit 130 and 143 with the finished rows kept", () => {
  for (const [signal, code, workers] of [["SIGINT", 130, "2"], ["SIGTERM", 143, "2"], ["SIGINT", 130, "1"]] as const) {
    it(`${signal} during kpu l3 sweep --preset comprehensive --workers ${workers}`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), "kpu-signal-")), "sweep");
      const rows = join(out, "rows.csv");
      const r = await run(["l3", "sweep", "--preset", "comprehensive", "--no-plots", "--workers", workers, "--out", out], (child) => {
        // Signal once the first rows are on disk, so the sweep is in the middle of its work.
        const poll = setInterval(() => {
          if (existsSync(rows) && readFileSync(rows, "utf8").split("\n").length > 3) {
            clearInterval(poll);
            child.kill(signal);
          }
        }, 20);
        child.on("close", () => clearInterval(poll));
      });
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stderr).toContain(`stopped by ${signal}`);
      expect({ code: r.code, signal: r.signal }).toEqual({ code, signal: null });
      // Every row on disk is whole: same number of cells as the header, newline-terminated.
      const text = readFileSync(rows, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text.trimEnd().split("\n");
      const cells = lines[0]!.split(",").length;
      for (const line of lines) expect(line.split(",").length).toBe(cells);
      expect(existsSync(join(out, "results.json"))).toBe(false); // stopped before the end
    }, 60_000);
  }
});

describe("restoreTerminal", () => {
  it("stops a tracked progress bar and re-enables auto-wrap on a terminal", () => {
    let written = "";
    const tty = { isTTY: true, columns: 80, write: (t: string) => ((written += t), true), cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as unknown as NodeJS.WriteStream;
    const bar = new SingleBar({ stream: tty, format: "{bar}" });
    bar.start(10, 1);
    expect(written).toContain("\x1b[?7l"); // cli-progress turned auto-wrap off
    const release = guardSignals(bar);
    restoreTerminal(tty);
    expect(bar.isActive).toBe(false);
    expect(written.lastIndexOf("\x1b[?7h")).toBeGreaterThan(written.lastIndexOf("\x1b[?7l"));
    expect(written.endsWith(TERMINAL_RESET)).toBe(true);
    release();
  });
});
