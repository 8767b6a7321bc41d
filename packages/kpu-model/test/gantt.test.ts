import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { ganttAscii, ganttChart, ganttHtml, ganttSvg, hardwarePreset, injectionCsv, injectionSchedule, simulateMatmul } from "../src/index.js";

const run = simulateMatmul({ hardware: hardwarePreset("minimal"), m: 96, n: 64, k: 96, strategy: "ws", tiles: { m: 32, n: 32, k: 32 }, buffers: 1 });

describe("Gantt charts", () => {
  const chart = ganttChart(run);

  it("has one lane per resource and a bar per task, labelled with its tile", () => {
    expect(chart.lanes).toHaveLength(4);
    expect(chart.bars).toHaveLength(run.plan.program.n);
    expect(chart.truncated).toBe(false);
    expect(chart.bars.some((b) => /^B\[k=\d+,j=\d+\]$/.test(b.label) && b.lane === 0)).toBe(true);
    expect(chart.bars.filter((b) => b.kind === "compute")).toHaveLength(run.plan.steps);
    expect(chart.bars.some((b) => b.stallCause === "data")).toBe(true);
    expect(chart.bars.some((b) => b.stallCause === "credit")).toBe(true);
    expect(chart.endNs).toBeCloseTo(run.report.timeNs, 6);
  });

  it("writes deterministic SVG with the tile labels and stalls", () => {
    const svg = ganttSvg(chart);
    expect(svg).toBe(ganttSvg(ganttChart(run)));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("B[k=0,j=0]");
    expect(svg).toContain("waiting for credit");
    expect(svg).toContain("waiting for data");
    expect(svg.match(/<rect/g)!.length).toBeGreaterThan(run.plan.program.n);
  });

  it("writes a self-contained HTML page with hover and zoom", () => {
    const html = ganttHtml(chart);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain("mouseenter");
    expect(html).toContain("wheel");
    const data = JSON.parse(/<script id="gantt-data" type="application\/json">(.*)<\/script>/.exec(html)![1]!) as { bars: unknown[] };
    expect(data.bars).toHaveLength(chart.bars.length);
  });

  it("runs its script without errors: draws every bar, shows details on hover, zooms", () => {
    const html = ganttHtml(chart);
    interface El {
      tag: string;
      attrs: Record<string, unknown>;
      children: El[];
      textContent: string;
      style: Record<string, string>;
      listeners: Record<string, (e?: unknown) => void>;
      firstChild: El | null;
      onclick?: () => void;
    }
    const make = (tag: string): El => {
      const el: El = {
        tag,
        attrs: {},
        children: [],
        textContent: "",
        style: {},
        listeners: {},
        get firstChild() {
          return this.children[0] ?? null;
        },
      };
      return Object.assign(el, {
        setAttribute: (k: string, v: unknown) => (el.attrs[k] = v),
        appendChild: (c: El) => el.children.push(c),
        removeChild: (c: El) => el.children.splice(el.children.indexOf(c), 1),
        addEventListener: (name: string, fn: (e?: unknown) => void) => (el.listeners[name] = fn),
        getBoundingClientRect: () => ({ left: 0, top: 0 }),
      });
    };
    const dataJson = /<script id="gantt-data" type="application\/json">(.*)<\/script>/.exec(html)![1]!;
    const byId: Record<string, El> = {};
    const document = {
      getElementById: (id: string) => (byId[id] ??= Object.assign(make(id), id === "gantt-data" ? { textContent: dataJson } : {})),
      createElementNS: (_ns: string, tag: string) => make(tag),
      createElement: (tag: string) => make(tag),
      createTextNode: (t: string) => make(`#text ${t}`),
    };
    const window = { innerWidth: 1200, addEventListener: () => undefined };
    const script = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!)[0]!;
    runInNewContext(script, { document, window, JSON, Math });
    const svg = byId.chart!;
    const rects = () => svg.children.flatMap((c) => [c, ...c.children]).filter((c) => c.tag === "rect");
    const before = rects().length;
    expect(before).toBeGreaterThan(chart.bars.length);
    const bar = rects().find((r) => r.listeners.mouseenter !== undefined && r.attrs.height === 24)!;
    bar.listeners.mouseenter!();
    expect(byId.info!.textContent).toMatch(/step \d+/);
    byId.zin!.onclick!();
    const [from, to, of] = /^showing ([\d.]+) - ([\d.]+) ns of ([\d.]+) ns$/.exec(byId.range!.textContent)!.slice(1).map(Number) as [number, number, number];
    expect(to - from).toBeCloseTo(of / 2, 1);
    expect(rects().length).toBeLessThan(before);
  });

  it("renders ASCII lanes of the requested width", () => {
    const text = ganttAscii(chart, { width: 60 });
    const lanes = text.split("\n").filter((l) => l.includes("|"));
    expect(lanes).toHaveLength(4);
    for (const l of lanes) expect(l.slice(l.indexOf("|") + 1, l.lastIndexOf("|"))).toHaveLength(60);
    expect(lanes[3]).toContain("#");
  });

  it("draws only the first tasks of a large run", () => {
    const small = ganttChart(run, { maxBars: 10 });
    expect(small.bars).toHaveLength(10);
    expect(small.truncated).toBe(true);
    expect(ganttSvg(small)).toContain(`first 10 of ${run.plan.program.n} tasks`);
  });
});

describe("injection schedule", () => {
  const rows = injectionSchedule(run);
  it("has one row per step in loop order, with times ordered DRAM -> L3 -> L2 -> L1 -> inject", () => {
    expect(rows).toHaveLength(run.plan.steps);
    expect(rows[0]).toMatchObject({ step: 0, i: 0, j: 0, k: 0, tile: "C[0,0] += A[0,0] * B[0,0]" });
    expect(rows[1]).toMatchObject({ i: 0, j: 1, k: 0 });
    for (const r of rows) {
      expect(r.aLeaveDram!).toBeLessThan(r.aInL3!);
      expect(r.bLeaveDram!).toBeLessThan(r.bInL3!);
      expect(r.aInL1!).toBeLessThanOrEqual(r.inject);
      expect(r.bInL1!).toBeLessThanOrEqual(r.inject);
      expect(r.inject).toBeLessThan(r.computeDone);
    }
    const injects = rows.map((r) => r.inject);
    expect(injects).toEqual([...injects].sort((a, b) => a - b));
  });

  it("writes CSV with a header", () => {
    const csv = injectionCsv(rows.slice(0, 2)).split("\n");
    expect(csv[0]).toBe("step,i,j,k,tile,aLeaveDram,aInL3,aInL2,aInL1,bLeaveDram,bInL3,bInL2,bInL1,inject,computeDone");
    expect(csv[1]).toMatch(/^0,0,0,0,"C\[0,0\] \+= A\[0,0\] \* B\[0,0\]",0,/);
  });
});
