import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLE_NAMES, buildExample } from "@kpu/models";
import { countMacs, countParams } from "./count.js";

const readme = readFileSync(join(import.meta.dirname, "../README.md"), "utf8");
const num = (text: string): number => Number(text.replaceAll(",", ""));

describe("the README's numbers are the graphs' numbers", () => {
  it("the examples table: ops, parameters and MACs of every network", () => {
    const rows = [...readme.matchAll(/^\| `([\w-]+)` \| (\d+) \| ([\d,]+) \| ([\d,]+) \|/gm)];
    expect(rows.map((r) => r[1])).toEqual([...EXAMPLE_NAMES]);
    for (const [, name, ops, params, macs] of rows) {
      const g = buildExample(name!);
      expect([g.ops.length, countParams(g), countMacs(g)], name).toEqual([num(ops!), num(params!), num(macs!)]);
    }
  });

  it("LLaMA-3-8B prefill at 2,048 tokens and decode against a 2,048-token cache", () => {
    const m = /prefill at 2,048 tokens is ([\d,]+) MACs.*?\scache is ([\d,]+) MACs/s.exec(readme)!;
    expect(countMacs(buildExample("llama3-8b", { seq: 2048 }))).toBe(num(m[1]!));
    expect(countMacs(buildExample("llama3-8b", { phase: "decode", context: 2048 }))).toBe(num(m[2]!));
  });
});
