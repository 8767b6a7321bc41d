import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitColumns, renderTable } from "../src/util/print.js";

const lines = (t: string) => t.trimEnd().split("\n");
const word = fc.stringMatching(/^[a-z0-9]{1,5}$/);
const cell = fc.array(word, { minLength: 1, maxLength: 8 }).map((w) => w.join(" "));

describe("tables that fit the terminal", () => {
  it("keeps the natural width when it fits, or when there is no terminal", () => {
    const t = renderTable(["a", "b"], [["x", 1]], { width: 80 });
    expect(t).toBe(renderTable(["a", "b"], [["x", 1]], { width: undefined }));
  });

  it("fits every line to the width and keeps every word (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(cell, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 120 }), (cols, rows, extra) => {
        const head = Array.from({ length: cols }, (_, i) => `c${i}`);
        const body = rows.map((r) => r.slice(0, cols));
        const width = 3 * cols + 1 + 6 * cols + extra; // room for the narrowest wrapped columns
        const out = renderTable(head, body, { width });
        for (const l of lines(out)) expect(l.length).toBeLessThanOrEqual(width);
        for (const w of body.flat().flatMap((c) => c.split(" "))) expect(out).toContain(w);
      }),
      { numRuns: 150, seed: 16 },
    );
  });

  it("shares the width: narrow columns keep theirs, wide ones split the rest evenly", () => {
    expect(fitColumns([4, 50, 80], 64)).toEqual([4, 30, 30]);
    expect(fitColumns([10, 10], 100)).toEqual([10, 10]);
  });

  it("kpu cpu schedule --explain fits a 100-column terminal", () => {
    if (spawnSync("script", ["--version"]).status !== 0) return; // util-linux's script gives the process a terminal
    const bin = join(import.meta.dirname, "..", "src", "bin.ts");
    const cmd = `stty cols 100; ${process.execPath} --conditions=@kpu/source --import tsx ${bin} cpu schedule --m 64 --n 768 --k 768 --explain`;
    const r = spawnSync("script", ["-qc", cmd, "/dev/null"], { encoding: "utf8", cwd: join(import.meta.dirname, ".."), timeout: 60_000 });
    const table = lines(r.stdout.replace(/\r/g, "")).filter((l) => /^[┌│├└]/.test(l));
    expect(table.length).toBeGreaterThan(10);
    for (const l of table) expect(Array.from(l).length).toBeLessThanOrEqual(100);
  });
});
