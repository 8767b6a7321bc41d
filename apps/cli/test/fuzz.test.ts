/**
 * The fuzz suite: generated flag values and file contents through the CLI, in-process. Whatever the input, a run
 * exits 0, 1, 2 or 4; a failing run's first stderr line starts with `error`; nothing prints a stack trace or a
 * control byte; an output that was not written completely is not left behind. Bounded: a fixed number of runs per
 * command with a fixed seed, so CI time stays flat.
 */
import fc from "fast-check";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kpu, type CliResult } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "kpu-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const put = (content: string | Uint8Array, ext: string): string => {
  const p = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(p, content);
  return p;
};

const ALLOWED_EXITS = [0, 1, 2, 4];
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The properties every run must have, whatever its input. */
function checkRun(r: CliResult, what: string): void {
  expect(ALLOWED_EXITS, `${what}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, `${what}: stack trace`).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(r.stderr, `${what}: control bytes in stderr`).not.toMatch(CONTROL);
  if (r.code !== 0) expect(r.stderr.split("\n")[0], `${what}: first stderr line`).toMatch(/^error/);
}

/** No temporary or partial output left in the scratch folder. */
function checkNoLeftovers(): void {
  const left = readdirSync(dir).filter((f) => /\.tmp|~$|\.partial/.test(f));
  expect(left).toEqual([]);
}

/** Flag values as a user might type them: good numbers, edge numbers, junk. */
const number = fc.oneof(
  fc.integer({ min: 1, max: 512 }).map(String),
  fc.constantFrom("0", "-1", "1.5", "1e9", "2147483648", "NaN", "", "abc", "0x10", " 7", "9999999999999999999"),
);
const size = fc.oneof(
  fc.constantFrom("16KiB", "64KiB", "1MiB", "1024KiB", "16MiB"),
  fc.constantFrom("0", "12", "-1KiB", "1KB", "KiB", "1.5MiB", "1e3MiB", "99999TiB", "", "x"),
);
const word = fc.oneof(fc.constantFrom("ws", "is", "os", "lru", "fifo", "min", "edge-ai", "minimal", "datacenter"), fc.string({ maxLength: 8 }));

/** A JSON value of any kind, for replacing fields. */
const anyJson = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(0, -1, 1e12, 1.5, null, true, "", "x", [], {}, [1, 2], { a: 1 }),
  fc.string({ maxLength: 6 }),
);

/** Mutates a valid document: drop a field, replace one, add an unknown one, or garble the text. */
function mutated(doc: unknown): fc.Arbitrary<string> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]): void => {
    paths.push(p);
    if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...p, Array.isArray(v) ? Number(k) : k]);
  };
  walk(doc, []);
  const edit = (path: (string | number)[], f: (parent: Record<string | number, unknown>, key: string | number) => void): string => {
    const copy = structuredClone(doc) as Record<string | number, unknown>;
    if (path.length === 0) return JSON.stringify(copy);
    let parent = copy;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    f(parent, path[path.length - 1]!);
    return JSON.stringify(copy);
  };
  return fc.oneof(
    fc.tuple(fc.constantFrom(...paths), anyJson).map(([p, v]) => edit(p, (o, k) => (o[k] = v))),
    fc.constantFrom(...paths).map((p) => edit(p, (o, k) => Reflect.deleteProperty(o, k))),
    fc.constantFrom(...paths).map((p) => edit(p, (o) => (o.unknownField = 1))),
    fc.constant(JSON.stringify(doc)).chain((t) => fc.integer({ min: 0, max: Math.max(0, t.length - 1) }).map((cut) => t.slice(0, cut))),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("latin1")),
  );
}

async function fuzz(args: fc.Arbitrary<string[]>, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(args, async (argv) => {
      const r = await kpu(...argv);
      checkRun(r, `kpu ${argv.join(" ")}`);
    }),
    { numRuns: runs, seed: 42, endOnFailure: true },
  );
  checkNoLeftovers();
}

describe("fuzz: every input exits 0, 1, 2 or 4 with one error line, no stack trace, nothing partial left", () => {
  it("l3 analyze flags", async () => {
    const args = fc.tuple(number, number, number, size, fc.option(fc.constantFrom("ws", "is", "os", "auto", "xx")), fc.option(fc.constantFrom("16,16,16", "0,1,1", "a,b", "64,64")));
    await fuzz(args.map(([m, n, k, l3, s, t]) => ["l3", "analyze", "--m", m, "--n", n, "--k", k, "--l3", l3, ...(s === null ? [] : ["--strategy", s]), ...(t === null ? [] : ["--tiles", t])]), 120);
  }, 120_000);

  it("sim and timing flags", async () => {
    const args = fc.tuple(fc.constantFrom("sim", "timing"), word, number, number, number, fc.option(fc.constantFrom("1", "2", "0", "65", "l1=2,l2=x", "l3=1")), fc.option(fc.constantFrom("16,16,16", "999999,1,1", "0,0,0")));
    await fuzz(args.map(([cmd, hw, m, n, k, b, t]) => [cmd, "--hw", hw, "--m", m, "--n", n, "--k", k, "--zero-latency", ...(b === null ? [] : ["--buffers", b]), ...(t === null ? [] : ["--tiles", t])]), 80);
  }, 120_000);

  it("sim --mapping files", async () => {
    const r = await kpu("sim", "--hw", "edge-ai", "--m", "96", "--n", "80", "--k", "64", "--emit-mapping", join(dir, "good-mapping.json"), "--json");
    expect(r.code).toBe(0);
    const good = JSON.parse(await import("node:fs").then((f) => f.readFileSync(join(dir, "good-mapping.json"), "utf8"))) as unknown;
    await fuzz(mutated(good).map((text) => ["sim", "--hw", "edge-ai", "--m", "96", "--n", "80", "--k", "64", "--mapping", put(text, ".json")]), 150);
  }, 120_000);

  it("hw validate files", async () => {
    const r = await kpu("hw", "show", "minimal", "--json");
    const good = JSON.parse(r.stdout) as unknown;
    await fuzz(mutated(good).map((text) => ["hw", "validate", put(text, ".json")]), 150);
  }, 120_000);

  it("compile model files", async () => {
    const r = await kpu("compile", "--example", "mlp", "--emit", "graph", "--json");
    const parsed = JSON.parse(r.stdout) as { graph?: unknown };
    const good = parsed.graph ?? parsed;
    await fuzz(mutated(good).map((text) => ["compile", put(text, ".json"), "--tile", "32"]), 120);
  }, 120_000);

  it("fabric flags", async () => {
    const args = fc.tuple(number, number, number, number, number, fc.constantFrom("os", "ws", "is", "xs"), fc.constantFrom("kpu", "scale-sim", "other"));
    await fuzz(args.map(([r, c, m, n, k, df, model]) => ["fabric", "--rows", r, "--cols", c, "--m", m, "--n", n, "--k", k, "--dataflow", df, "--model", model]), 100);
  }, 120_000);

  it("cpu schedule flags", async () => {
    const args = fc.tuple(number, number, number, fc.constantFrom("seed", "host", "nope"));
    await fuzz(args.map(([m, n, k, rules]) => ["cpu", "schedule", "--m", m, "--n", n, "--k", k, "--rules", rules]), 60);
  }, 120_000);

  it("l3 sweep grid files", async () => {
    const good = { workloads: [{ name: "w", m: 64, n: 48, k: 32 }], l3: ["16KiB", "64KiB"], strategies: ["ws", "os"] };
    let out = 0;
    await fuzz(mutated(good).map((text) => ["l3", "sweep", "--grid", put(text, ".json"), "--out", join(dir, `sweep${out++}`), "--workers", "1"]), 40);
  }, 180_000);

  it("unknown commands and flags", async () => {
    const args = fc.array(fc.oneof(word, fc.constantFrom("--json", "--help", "-x", "--", "l3", "cpu", "nope")), { maxLength: 4 });
    await fuzz(args, 80);
  }, 60_000);
});
